"""Per-tenant rule tuning from YAML files: disable, exclusions, overrides, suppression. Pure.

``load_tuning(paths)`` reads ``*.yml``/``*.yaml`` files (folders are walked in name order); each
file (or each document of a multi-document file) is::

    tenant: acme            # or "*": every tenant
    disable: [rule id or name, ...]
    exclusions:             # rule id or name -> filters; an event matching any filter is
      <rule>:               # not a hit of that rule (neither an alert nor a correlation hit)
        - {user.name: [svc_backup], process.command_line|contains: nightly}
    overrides:
      <rule>: {level: low, tags: [vigie.tuned]}
    suppress:               # one alert per rule and ``by`` values per window from its opening
      <rule>: {window: 1h, by: [host.name]}

A filter is a Sigma ``selection`` over ECS field names, with the matcher's modifiers: it is
wrapped into a Sigma rule and compiled by ``rules.load_rule_text`` with no field mapping, so it
matches exactly as a rule would. Every file or entry that cannot be used is a ``TuningError``
(path, reason) and is left out; nothing raises.

For one tenant and rule, the entries of ``"*"`` and of the tenant (under the rule's id or name)
are merged: disables and exclusions add up, tags add up, and for ``level`` and ``suppress`` the
tenant's own entry wins over ``"*"`` (among equals, the later file wins).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from schemas.alert import Level

from .model import Predicate
from .rules import load_rule_text
from .sigma_pipeline import passthrough_pipeline

ALL_TENANTS = "*"
_SUFFIXES = (".yml", ".yaml")
_SPAN = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


@dataclass(frozen=True, slots=True)
class Suppression:
    window: timedelta
    by: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RuleTuning:
    """What the tuning does to one rule for one tenant."""

    exclusions: tuple[Predicate, ...] = ()
    level: Level | None = None
    tags: tuple[str, ...] = ()
    suppress: Suppression | None = None

    def excludes(self, doc: Mapping[str, Any]) -> bool:
        return any(exclusion(doc) for exclusion in self.exclusions)

    def then(self, later: RuleTuning) -> RuleTuning:
        """This tuning merged with a later (or more specific) one."""
        return RuleTuning(
            self.exclusions + later.exclusions,
            later.level or self.level,
            self.tags + tuple(t for t in later.tags if t not in self.tags),
            later.suppress or self.suppress,
        )


@dataclass(frozen=True, slots=True)
class TuningError:
    path: str
    reason: str


@dataclass(slots=True)
class Tuning:
    disabled: dict[str, frozenset[str]] = field(default_factory=dict)  # tenant -> ids or names
    rules: dict[str, dict[str, RuleTuning]] = field(default_factory=dict)  # tenant -> ref -> ...
    errors: list[TuningError] = field(default_factory=list)

    def disabled_for(self, tenant: str) -> frozenset[str]:
        return self.disabled.get(ALL_TENANTS, frozenset()) | self.disabled.get(tenant, frozenset())

    def for_rule(self, tenant: str, names: Iterable[str]) -> RuleTuning | None:
        """The merged tuning of the rule known by ``names`` (id and name), None when untuned."""
        found = [
            self.rules[t][n]
            for t in (ALL_TENANTS, tenant)
            if t in self.rules
            for n in names
            if n in self.rules[t]
        ]
        merged = found[0] if found else None
        for later in found[1:]:
            merged = merged.then(later) if merged else later
        return merged


class _Override(BaseModel):
    model_config = ConfigDict(extra="forbid")
    level: Level | None = None
    tags: list[str] = Field(default_factory=list)


class _Suppress(BaseModel):
    model_config = ConfigDict(extra="forbid")
    window: timedelta
    by: list[str] = Field(default_factory=list)

    @field_validator("window", mode="before")
    @classmethod
    def _span(cls, text: Any) -> timedelta:
        match = _SPAN.match(text) if isinstance(text, str) else None
        if not match or int(match[1]) == 0:
            raise ValueError("window is a positive number and a unit among s, m, h, d: '1h'")
        return timedelta(**{_UNITS[match[2]]: int(match[1])})


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tenant: str = Field(min_length=1)
    disable: list[str] = Field(default_factory=list)
    exclusions: dict[str, list[dict[str, Any]]] = Field(default_factory=dict)
    overrides: dict[str, _Override] = Field(default_factory=dict)
    suppress: dict[str, _Suppress] = Field(default_factory=dict)


def load_tuning(paths: Sequence[str | Path]) -> Tuning:
    tuning = Tuning()
    for path in _files(paths, tuning):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            tuning.errors.append(TuningError(str(path), f"cannot read the file: {e}"))
            continue
        read_tuning_text(text, str(path), tuning)
    return tuning


def read_tuning_text(text: str, path: str = "<text>", tuning: Tuning | None = None) -> Tuning:
    """Add the tuning documents in ``text`` to ``tuning`` (a new one when None); returns it."""
    tuning = tuning if tuning is not None else Tuning()
    try:
        documents = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as e:
        tuning.errors.append(TuningError(path, f"invalid YAML: {e}"))
        return tuning
    for document in documents:
        try:
            _add(_File.model_validate(document), path, tuning)
        except ValidationError as e:
            reasons = "; ".join(f"{'.'.join(map(str, x['loc']))}: {x['msg']}" for x in e.errors())
            tuning.errors.append(TuningError(path, reasons))
    return tuning


def _files(paths: Sequence[str | Path], tuning: Tuning) -> Iterator[Path]:
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.suffix in _SUFFIXES and p.is_file())
        elif path.is_file():
            yield path
        else:
            tuning.errors.append(TuningError(str(path), "no such file or directory"))


def _add(spec: _File, path: str, tuning: Tuning) -> None:
    tenant = spec.tenant
    tuning.disabled[tenant] = tuning.disabled.get(tenant, frozenset()) | frozenset(spec.disable)
    entries: dict[str, RuleTuning] = {}
    for ref, filters in spec.exclusions.items():
        exclusion = _exclusion(filters, f"{path}: exclusions of {ref}", tuning)
        if exclusion is not None:
            entries[ref] = RuleTuning(exclusions=(exclusion,))
    for ref, override in spec.overrides.items():
        tuned = RuleTuning(level=override.level, tags=tuple(override.tags))
        entries[ref] = entries[ref].then(tuned) if ref in entries else tuned
    for ref, suppress in spec.suppress.items():
        tuned = RuleTuning(suppress=Suppression(suppress.window, tuple(suppress.by)))
        entries[ref] = entries[ref].then(tuned) if ref in entries else tuned
    known = tuning.rules.setdefault(tenant, {})
    for ref, tuned in entries.items():
        known[ref] = known[ref].then(tuned) if ref in known else tuned


def _exclusion(filters: list[dict[str, Any]], where: str, tuning: Tuning) -> Predicate | None:
    """One predicate true when any filter matches, compiled as a Sigma rule would be."""
    if not filters or not all(filters):
        tuning.errors.append(TuningError(where, "each exclusion is a non-empty field mapping"))
        return None
    detection: dict[str, Any] = {f"filter{i}": f for i, f in enumerate(filters)}
    detection["condition"] = "1 of filter*"
    rule = {"title": where, "logsource": {"product": "vigie-tuning"}, "detection": detection}
    ruleset = load_rule_text(yaml.safe_dump(rule), path=where, pipeline=passthrough_pipeline())
    if ruleset.errors or not ruleset.detections:
        reason = ruleset.errors[0].reason if ruleset.errors else "no detection compiled"
        tuning.errors.append(TuningError(where, reason))
        return None
    return ruleset.detections[0].matches
