"""Compiled detection content shared by the rule loader, the window engine and the correlator.

``rules.py`` produces these from Sigma YAML (through pySigma); ``windows.py`` and ``core.py``
consume them. They hold no pySigma objects, so state and tests need no YAML.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from services.correlator.sigma_terms import Term

Predicate = Callable[[Mapping[str, Any]], bool]
CorrelationType = Literal[
    "event_count", "value_count", "temporal", "temporal_ordered", "value_sum", "value_avg",
    "value_percentile",
]


@dataclass(frozen=True, slots=True)
class Logsource:
    product: str | None = None
    category: str | None = None
    service: str | None = None


@dataclass(frozen=True, slots=True)
class RuleMeta:
    """What an alert says about the rule that made it."""

    id: str
    title: str
    name: str | None = None
    level: str = "medium"
    tags: tuple[str, ...] = ()
    author: str | None = None
    path: Path | None = None


@dataclass(frozen=True, slots=True)
class DetectionRule:
    """A single-event Sigma rule compiled to a predicate over a nested ECS document."""

    meta: RuleMeta
    logsource: Logsource
    matches: Predicate  # includes the logsource routing below
    generate: bool = True  # False when only correlations may use its hits (Sigma ``generate``)
    # logsource routing as ANDed (field, accepted values) conditions, () meaning "field present"
    route: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # what ``matches`` tests besides the route, as plain terms (None: unknown, e.g. hand-built);
    # ``index.py`` reads it to evaluate the rule only on events that can match
    detection: Term | None = None


_COMPARE = {
    "gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le, "eq": operator.eq,
    "neq": operator.ne,
}


@dataclass(frozen=True, slots=True)
class CorrelationCondition:
    """Threshold of a correlation: ``gt/gte/lt/lte/eq`` bounds, and ``field`` for value_* types."""

    bounds: Mapping[str, float]
    field: str | None = None
    percentile: int | None = None  # value_percentile only

    def holds(self, value: float) -> bool:
        return all(_COMPARE[op](value, bound) for op, bound in self.bounds.items())


@dataclass(frozen=True, slots=True)
class CorrelationRule:
    meta: RuleMeta
    type: CorrelationType
    rules: tuple[str, ...]  # names or ids of the rules (or correlations) it correlates
    group_by: tuple[str, ...]
    timespan: timedelta
    condition: CorrelationCondition
    # alias name -> {rule name and rule id -> field in that rule's events}
    aliases: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    generate: bool = True  # False when another correlation uses it without ``generate: true``


@dataclass(frozen=True, slots=True)
class RuleError:
    path: str
    title: str | None
    reason: str


@dataclass(slots=True)
class RuleSet:
    detections: list[DetectionRule] = field(default_factory=list)
    correlations: list[CorrelationRule] = field(default_factory=list)
    errors: list[RuleError] = field(default_factory=list)
    warnings: list[RuleError] = field(default_factory=list)  # loaded, but see the reason
