"""Playbooks: YAML files saying which alerts get which response steps; planning those steps.

Files are ``*.yml``/``*.yaml`` (searched recursively under each configured directory, or named
directly), one or more YAML documents each::

    id: block-ssh-bruteforce        # unique across all files
    title: Block SSH brute-force sources
    enabled: true                   # default true
    tenants: [acme]                 # optional allow-list; default every tenant
    trigger:                        # every condition given must hold; a list matches any item
      rule_ids: [ssh-bruteforce]
      tags: [attack.t1110]          # also matches sub-techniques (attack.t1110.001)
      min_level: high               # informational < low < medium < high < critical
      tenants: [acme]
    steps:                          # the Responder runs them in this order
      - adapter: webhook            # a name in services.responder.adapters.ADAPTERS
        action: block_ip
        target: {ip: "${alert.group.source.ip}"}   # placeholders: see templating.py
        approval: none              # required: the request waits for an analyst
        ttl: 10m                    # the request expires unexecuted after this (s, m, h, d)
        dedup_window: 10m           # same tenant, playbook, step and target: a duplicate

``load_playbooks`` never skips silently: an unreadable file, a bad document or a duplicate id is
an entry of ``PlaybookSet.errors`` (path, reason). ``PlaybookSet.plan`` is pure; request ids derive
from (alert id, playbook id, step index), so a republished alert (same id, higher version) plans
the same ids, which the Responder has already handled.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic import field_validator, model_validator

from schemas.action import ActionRequest
from schemas.alert import Alert, Level
from schemas.ids import derived_id
from services.responder import templating

LEVELS: tuple[Level, ...] = ("informational", "low", "medium", "high", "critical")
_SUFFIXES = (".yml", ".yaml")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_SHORT_DURATION = re.compile(r"\s*(\d+)\s*([smhd])\s*")


def _short_duration(value: Any) -> Any:
    if not isinstance(value, str) or value.strip().isdigit() or value.strip().startswith("P"):
        return value  # seconds or ISO 8601: pydantic parses those
    match = _SHORT_DURATION.fullmatch(value)
    if not match:
        raise ValueError("a duration is like 30s, 10m, 2h, 1d, a number of seconds or PT10M")
    return timedelta(seconds=int(match[1]) * _UNITS[match[2]])


def _positive(value: timedelta) -> timedelta:
    if value <= timedelta(0):
        raise ValueError("must be longer than zero")
    return value


# "10m", "600s", an integer number of seconds or ISO 8601 ("PT10M").
Duration = Annotated[timedelta, BeforeValidator(_short_duration), AfterValidator(_positive)]
Names = tuple[Annotated[str, Field(min_length=1)], ...]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Trigger(_Model):
    rule_ids: Names = ()
    tags: Names = ()
    min_level: Level | None = None
    tenants: Names = ()

    @model_validator(mode="after")
    def _not_empty(self) -> Trigger:
        if not (self.rule_ids or self.tags or self.min_level or self.tenants):
            raise ValueError("a trigger needs at least one of rule_ids, tags, min_level, tenants")
        return self

    def matches(self, alert: Alert) -> bool:
        return (
            (not self.rule_ids or alert.rule.id in self.rule_ids)
            and (not self.tags or _any_tag(self.tags, alert.rule.tags))
            and (not self.min_level or _rank(alert.rule.level) >= _rank(self.min_level))
            and (not self.tenants or alert.tenant in self.tenants)
        )


def _rank(level: Level) -> int:
    return LEVELS.index(level)


def _any_tag(wanted: Iterable[str], tags: Iterable[str]) -> bool:
    have = [t.lower() for t in tags]
    return any(t == w or t.startswith(f"{w}.") for w in map(str.lower, wanted) for t in have)


class Step(_Model):
    adapter: str = Field(min_length=1)
    action: str = Field(min_length=1)
    target: dict[str, Any] = Field(default_factory=dict)
    approval: Literal["required", "none"] = "none"
    ttl: Duration | None = None
    dedup_window: Duration | None = None

    @field_validator("target")
    @classmethod
    def _valid_template(cls, target: dict[str, Any]) -> dict[str, Any]:
        problems = templating.check(target)
        if problems:
            raise ValueError("; ".join(problems))
        return target


class Playbook(_Model):
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
    title: str = Field(min_length=1)
    enabled: bool = True
    tenants: Names = ()
    trigger: Trigger
    steps: tuple[Step, ...] = Field(min_length=1)

    def applies_to(self, alert: Alert) -> bool:
        return (
            self.enabled
            and (not self.tenants or alert.tenant in self.tenants)
            and self.trigger.matches(alert)
        )


@dataclass(frozen=True, slots=True)
class LoadError:
    path: str
    reason: str


@dataclass(frozen=True, slots=True)
class Planned:
    """A request, the step it came from, and why its target could not be rendered (if so)."""

    request: ActionRequest
    step: Step
    error: str | None = None


@dataclass(frozen=True, slots=True)
class PlaybookSet:
    playbooks: tuple[Playbook, ...] = ()
    errors: tuple[LoadError, ...] = ()

    def plan(self, alert: Alert, *, now: datetime) -> list[Planned]:
        """The steps of every playbook the alert triggers, in playbook then step order."""
        return [
            _planned(alert, playbook, index, step, now)
            for playbook in self.playbooks
            if playbook.applies_to(alert)
            for index, step in enumerate(playbook.steps)
        ]


def _planned(alert: Alert, playbook: Playbook, index: int, step: Step, now: datetime) -> Planned:
    try:
        target, error = templating.render(step.target, alert), None
    except templating.TemplateError as exc:
        target, error = {}, f"target not rendered: {exc}"
    request = ActionRequest(
        id=derived_id(alert.id, playbook.id, str(index)),
        tenant=alert.tenant,
        alert_id=alert.id,
        playbook=playbook.id,
        step=index,
        adapter=step.adapter,
        action=step.action,
        target=target,
        status="awaiting_approval" if step.approval == "required" else "pending",
        requested_at=now,
        expires_at=now + step.ttl if step.ttl else None,
    )
    return Planned(request, step, error)


def dedup_key(request: ActionRequest) -> tuple[str, str, int, str]:
    """What makes two requests the same action: tenant, playbook, step and rendered target."""
    target = json.dumps(request.target, sort_keys=True, separators=(",", ":"), default=str)
    return (request.tenant, request.playbook, request.step, target)


def explain(exc: ValidationError) -> str:
    """A validation error as ``location: message`` pairs, never echoing the input values."""
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc']) or '(document)'}: {error['msg']}"
        for error in exc.errors()
    )


def load_playbooks(paths: Iterable[str | Path]) -> PlaybookSet:
    playbooks: list[Playbook] = []
    errors: list[LoadError] = []
    first_seen: dict[str, str] = {}
    for path, problem in _files(paths):
        if problem:
            errors.append(LoadError(str(path), problem))
            continue
        found, failed = _load_file(path)
        errors.extend(failed)
        for playbook in found:
            if playbook.id in first_seen:
                reason = f"duplicate id {playbook.id!r}, first in {first_seen[playbook.id]}"
                errors.append(LoadError(str(path), reason))
            else:
                first_seen[playbook.id] = str(path)
                playbooks.append(playbook)
    return PlaybookSet(tuple(playbooks), tuple(errors))


def _files(paths: Iterable[str | Path]) -> Iterable[tuple[Path, str | None]]:
    for path in map(Path, paths):
        if path.is_dir():
            files = sorted(p for p in path.rglob("*.y*ml") if p.suffix in _SUFFIXES and p.is_file())
            if not files:
                yield path, "the directory holds no .yml or .yaml file"
            yield from ((f, None) for f in files)
        elif path.is_file():
            yield path, None
        else:
            yield path, "no such file or directory"


def _load_file(path: Path) -> tuple[list[Playbook], list[LoadError]]:
    try:
        documents = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        return [], [LoadError(str(path), f"unreadable: {exc}")]
    found: list[Playbook] = []
    errors: list[LoadError] = []
    for number, document in enumerate(documents, start=1):
        if document is None:  # an empty document, e.g. after a trailing "---"
            continue
        try:
            found.append(Playbook.model_validate(document))
        except ValidationError as exc:
            errors.append(LoadError(str(path), f"document {number}: {explain(exc)}"))
    return found, errors
