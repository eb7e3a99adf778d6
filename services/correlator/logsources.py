"""Logsource routing: which ECS events a Sigma rule may see, kept as data (``logsources.yml``).

A route pairs a logsource selector (some of product, category, service) with conditions on the
event, ``field: value`` or ``field: [values]`` (any value; case-insensitive; a list-valued field
matches when any element does) or ``field: "*"`` (the field is present). A rule gets the routes
whose selector its logsource contains; of these only the most specific are kept (a route for
``{product: linux, service: sshd}`` replaces the one for ``{product: linux}``), and their
conditions are ANDed. Conditions stay plain ``(field, values)`` pairs so rules can later be
indexed by them.

A logsource attribute that no kept route covers is reported as unrouted. The loader then keeps
the rule, records a warning and lets it see the events the other attributes select (every
event, when nothing is routed): its own field tests still apply, and a detection engineer
adding a new source would rather see a warning than lose coverage until the table learns it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from .field_access import getter
from .matcher import all_of
from .model import Logsource, Predicate
from .text_match import as_text

DEFAULT_LOGSOURCES = Path(__file__).with_name("logsources.yml")

RouteCondition = tuple[str, tuple[str, ...]]  # field, accepted values; () means "is present"
_KEYS = ("product", "category", "service")


class _RouteSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    logsource: dict[Literal["product", "category", "service"], str] = Field(min_length=1)
    when: dict[str, str | list[str]] = Field(min_length=1)


class _FileSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    routes: list[_RouteSpec]


@dataclass(frozen=True, slots=True)
class Route:
    selector: frozenset[tuple[str, str]]
    when: tuple[RouteCondition, ...]


@dataclass(frozen=True, slots=True)
class Routing:
    """The conditions for one logsource, and its attributes no route covers."""

    conditions: tuple[RouteCondition, ...]
    unrouted: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class LogsourceMap:
    routes: tuple[Route, ...] = ()

    def route(self, logsource: Logsource) -> Routing:
        wanted = _attributes(logsource)
        found = [r for r in self.routes if r.selector <= wanted]
        kept = [r for r in found if not any(r.selector < other.selector for other in found)]
        covered = frozenset().union(*(r.selector for r in kept))
        conditions = tuple(dict.fromkeys(c for r in kept for c in r.when))
        return Routing(conditions, tuple(sorted(wanted - covered)))


def load_logsources(path: str | Path | None = None) -> LogsourceMap:
    """Routes from a YAML file (the packaged ``logsources.yml`` by default)."""
    source = Path(path) if path is not None else DEFAULT_LOGSOURCES
    spec = _FileSpec.model_validate(yaml.safe_load(source.read_text(encoding="utf-8")))
    return LogsourceMap(tuple(_route(r) for r in spec.routes))


@lru_cache(maxsize=1)
def default_logsources() -> LogsourceMap:
    return load_logsources()


def logsource_predicate(logsource: Logsource, logsources: LogsourceMap | None = None) -> Predicate:
    """Whether an event belongs to the logsource (always true when nothing routes it)."""
    table = logsources if logsources is not None else default_logsources()
    return route_predicate(table.route(logsource).conditions)


def route_predicate(conditions: tuple[RouteCondition, ...]) -> Predicate:
    return all_of([_check(field, values) for field, values in conditions])


def _check(field: str, values: tuple[str, ...]) -> Predicate:
    get = getter(field)
    if not values:
        return lambda doc: get(doc) is not None
    exact = frozenset(values)  # the usual spelling answers without folding case
    folded = frozenset(v.lower() for v in values)

    def accepts(value: Any) -> bool:
        if type(value) is str and value in exact:
            return True
        text = as_text(value)
        return text is not None and text.lower() in folded

    def check(doc: Mapping[str, Any]) -> bool:
        value = get(doc)
        if type(value) is list:
            return any(accepts(v) for v in value)
        return value is not None and accepts(value)

    return check


def _attributes(logsource: Logsource) -> frozenset[tuple[str, str]]:
    return frozenset(
        (key, value.lower()) for key in _KEYS if (value := getattr(logsource, key)) is not None
    )


def _route(spec: _RouteSpec) -> Route:
    when = tuple(
        (field, () if value == "*" else tuple([value] if isinstance(value, str) else value))
        for field, value in spec.when.items()
    )
    return Route(frozenset((k, v.lower()) for k, v in spec.logsource.items()), when)
