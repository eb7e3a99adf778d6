"""``vigie rules check``: every rule document a load saw, as loaded, unsupported or error.

``report(ruleset)`` turns a ``RuleSet`` into one ``RuleReport`` per rule, nothing skipped:

* ``loaded``: each detection (kind ``detection``: logsource, level, ``generate``) and each
  correlation (kind ``correlation``: type, the rules it uses) that the correlator will run, with
  the loader's warnings for it (e.g. an unrouted logsource) in ``warnings``;
* ``unsupported``: a valid rule using what Vigie does not evaluate. Load errors whose reason says
  "not supported"/"unsupported" (every Vigie refusal of a feature is worded so; pySigma's refusal of
  the pipe syntax says "doesn't supports") and loaded correlations of a type the window engine
  lacks (``windows.SUPPORTED``), which the correlator would skip;
* ``error``: every other load error (invalid YAML or Sigma, duplicate ids, a correlation that
  references an unknown rule, ...), with the loader's reason.

A warning with no loaded rule of the same path and title (none is expected) is its own report,
with status ``loaded`` and no kind, so it is still shown. Reports are sorted by path; ``ok`` is
true when every rule loaded.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from sigma.processing.pipeline import ProcessingPipeline

from .model import CorrelationRule, DetectionRule, Logsource, RuleError, RuleSet
from .rules import load_rules
from .windows import SUPPORTED

Status = Literal["loaded", "unsupported", "error"]
_UNSUPPORTED = re.compile(r"not supported|unsupported|doesn't support", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class RuleReport:
    status: Status
    path: str
    title: str | None
    id: str | None = None
    kind: Literal["detection", "correlation"] | None = None
    level: str | None = None
    logsource: dict[str, str] | None = None  # detection
    type: str | None = None  # correlation
    rules: tuple[str, ...] = ()  # correlation: the rules (ids) it uses
    generate: bool | None = None
    reason: str | None = None
    warnings: tuple[str, ...] = field(default=())

    def as_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in (None, (), [])}

    def lines(self) -> list[str]:
        if self.status != "loaded" or self.kind is None:
            head = f"{self.status:<12}{self.path}: {self.title or '(no title)'}"
            tail = [f"  reason: {self.reason}"] if self.reason else []
        else:
            what = _logsource_text(self.logsource) if self.kind == "detection" else self._uses()
            quiet = "" if self.generate else " (no alerts of its own: used by a correlation)"
            head = f"{self.status:<12}{self.kind:<12}{self.level or '-':<14}{self.id}  {self.title}"
            tail = [f"  {what}{quiet}  {self.path}"]
        return [head, *tail, *(f"  warning: {w}" for w in self.warnings)]

    def _uses(self) -> str:
        return f"{self.type} of {', '.join(self.rules)}"


@dataclass(frozen=True, slots=True)
class CheckReport:
    rules: list[RuleReport]

    @property
    def ok(self) -> bool:
        return all(r.status == "loaded" for r in self.rules)

    def summary(self) -> str:
        count = {s: sum(r.status == s for r in self.rules) for s in ("loaded", "unsupported")}
        warned = sum(bool(r.warnings) for r in self.rules)
        errors = len(self.rules) - count["loaded"] - count["unsupported"]
        return (
            f"{len(self.rules)} rules: {count['loaded']} loaded ({warned} with warnings), "
            f"{count['unsupported']} unsupported, {errors} errors"
        )


def check_rules(
    paths: Sequence[str | Path], *, pipeline: ProcessingPipeline | None = None
) -> CheckReport:
    return report(load_rules(paths, pipeline=pipeline))


def report(ruleset: RuleSet) -> CheckReport:
    warnings: dict[tuple[str, str | None], list[str]] = defaultdict(list)
    for warning in ruleset.warnings:
        warnings[warning.path, warning.title].append(warning.reason)
    reports = [_detection(r, warnings) for r in ruleset.detections]
    reports += [_correlation(r, warnings) for r in ruleset.correlations]
    reports += [_failure(e) for e in ruleset.errors]
    reports += [  # left over: warnings of no loaded rule
        RuleReport("loaded", path, title, warnings=tuple(reasons))
        for (path, title), reasons in warnings.items()
    ]
    return CheckReport(sorted(reports, key=lambda r: r.path))


def classify(reason: str) -> Status:
    """``unsupported`` for a refused feature, ``error`` for anything else."""
    return "unsupported" if _UNSUPPORTED.search(reason) else "error"


def _detection(
    rule: DetectionRule, warnings: dict[tuple[str, str | None], list[str]]
) -> RuleReport:
    meta = rule.meta
    path = str(meta.path) if meta.path else "<text>"
    return RuleReport(
        "loaded", path, meta.title, meta.id, "detection", meta.level,
        logsource=_logsource(rule.logsource), generate=rule.generate,
        warnings=tuple(warnings.pop((path, meta.title), ())),
    )  # fmt: skip


def _correlation(
    rule: CorrelationRule, warnings: dict[tuple[str, str | None], list[str]]
) -> RuleReport:
    meta = rule.meta
    path = str(meta.path) if meta.path else "<text>"
    supported = rule.type in SUPPORTED
    reason = None if supported else _unsupported_type(rule.type)
    return RuleReport(
        "loaded" if supported else "unsupported", path, meta.title, meta.id, "correlation",
        meta.level, type=rule.type, rules=rule.rules, generate=rule.generate, reason=reason,
        warnings=tuple(warnings.pop((path, meta.title), ())),
    )  # fmt: skip


def _failure(error: RuleError) -> RuleReport:
    return RuleReport(classify(error.reason), error.path, error.title, reason=error.reason)


def _unsupported_type(kind: str) -> str:
    return f"correlation type {kind} is not supported (supported: {', '.join(sorted(SUPPORTED))})"


def _logsource(source: Logsource) -> dict[str, str]:
    return {k: v for k in ("product", "category", "service") if (v := getattr(source, k))}


def _logsource_text(source: dict[str, str] | None) -> str:
    if not source:
        return "logsource: none"
    return "logsource: " + " ".join(f"{k}={v}" for k, v in source.items())
