"""Hand-built rules and events for correlator tests (no YAML loader needed)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml

from schemas.ecs import EcsEvent, get_field, set_field
from services.correlator.model import (
    CorrelationCondition,
    CorrelationRule,
    CorrelationType,
    DetectionRule,
    Logsource,
    RuleMeta,
)

DAY = "2026-12-01"
IP = "203.0.113.50"
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def when(text: str) -> datetime:
    """``"10:00:30"`` on the test day, or a full ISO time; always UTC."""
    iso = text if "T" in text else f"{DAY}T{text}"
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).replace(tzinfo=UTC)


def timespan(text: str) -> timedelta:
    return timedelta(**{_UNITS[text[-1]]: int(text[:-1])})


def meta(name: str, *, level: str = "medium", tags: tuple[str, ...] = ()) -> RuleMeta:
    return RuleMeta(id=f"id-{name}", title=f"rule {name}", name=name, level=level, tags=tags)


def labelled(doc: Mapping[str, Any], name: str) -> bool:
    return name in (get_field(dict(doc), "labels.rules") or ())


def detection(
    name: str, *, generate: bool = True, level: str = "medium", tags: tuple[str, ...] = ()
) -> DetectionRule:
    """A rule matching the events whose ``labels.rules`` list holds ``name``."""
    return DetectionRule(
        meta(name, level=level, tags=tags),
        Logsource(product="test"),
        lambda doc: labelled(doc, name),
        generate=generate,
    )


def correlation(
    name: str,
    type: CorrelationType,
    rules: tuple[str, ...],
    *,
    group_by: tuple[str, ...] = ("source.ip",),
    span: timedelta = timedelta(minutes=1),
    bounds: Mapping[str, float] | None = None,
    field: str | None = None,
    aliases: Mapping[str, Mapping[str, str]] | None = None,
    generate: bool = True,
    level: str = "high",
) -> CorrelationRule:
    condition = CorrelationCondition(bounds=dict(bounds or {}), field=field)
    return CorrelationRule(
        meta(name, level=level), type, rules, group_by, span, condition,
        aliases=dict(aliases or {}), generate=generate,
    )  # fmt: skip


def correlation_from_yaml(text: str, *, name: str = "case") -> CorrelationRule:
    """The ``correlation:`` block of a bug-report case, read the way the Sigma spec defines it."""
    block = yaml.safe_load(text)["correlation"]
    condition = dict(block.get("condition") or {})
    field = condition.pop("field", None)
    return correlation(
        name, block["type"], tuple(block["rules"]), group_by=tuple(block["group-by"]),
        span=timespan(block["timespan"]), bounds=condition, field=field,
        aliases=block.get("aliases"),
    )  # fmt: skip


def doc(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A nested ECS document from dotted field names."""
    out: dict[str, Any] = {}
    for path, value in fields.items():
        set_field(out, path, value)
    return out


def event(
    tenant: str, event_id: str, at: str, rules: tuple[str, ...] = (), **fields: Any
) -> EcsEvent:
    """An ECS event; keyword names use ``__`` for dots (``source__ip``)."""
    dotted = {k.replace("__", "."): v for k, v in fields.items()}
    return EcsEvent(
        doc(
            {
                "@timestamp": when(at).isoformat().replace("+00:00", "Z"),
                "event.id": event_id,
                "organization.id": tenant,
                "labels.rules": list(rules),
                **dotted,
            }
        )
    )


def auth_event(event_id: str, at: str, process: str, message: str, **fields: Any) -> EcsEvent:
    """An event as the normalizer writes a line of the system auth log."""
    return EcsEvent(
        doc({
            "@timestamp": when(at).isoformat(), "event.id": event_id, "organization.id": "acme",
            "event.dataset": "system.auth", "host.os.type": "linux", "process.name": process,
            "message": message, **fields,
        })
    )  # fmt: skip


def sshd_event(event_id: str, at: str, kind: str, outcome: str, user: str) -> EcsEvent:
    return auth_event(
        event_id, at, "sshd", f"{kind} password for {user} from {IP} port 22 ssh2",
        **{"event.category": ["authentication"], "event.outcome": outcome, "source.ip": IP,
           "user.name": user, "system.auth.ssh.event": kind},
    )  # fmt: skip
