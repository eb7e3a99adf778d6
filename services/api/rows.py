"""Bus records → ClickHouse rows: the mapping the sink applies (schemas/ddl/*.sql).

``Rows.of(topic, value)`` returns ``(table, row)`` for one record:

| topic        | model                        | table          |
|--------------|------------------------------|----------------|
| raw.events   | RawEvent (payload left out)  | raw_index      |
| ecs.events   | EcsEvent                     | events         |
| alerts       | Alert                        | alerts         |
| actions      | ActionRequest / ActionResult | actions        |
| dlq.<stage>  | DeadLetter                   | dead_letters   |

Every DateTime value is a timezone-aware UTC datetime. An event's ``ingested`` is its
``event.ingested`` or else the time it is stored, never its own timestamp: replayed old logs
must not expire on arrival under the tenant's retention TTL. Integers are checked against their
column width, so a row either fits its table or is refused here with ``RowError`` (and the record
is dead-lettered by the caller) instead of failing the whole batch insert.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

from schemas import topics
from schemas.action import ActionRequest, ActionResult
from schemas.alert import Alert
from schemas.codec import decode, encode
from schemas.dlq import DeadLetter
from schemas.ecs import EcsEvent
from schemas.raw import RawEvent
from services.api.utc import parse_utc, utc

Row = dict[str, Any]

DEFAULT_RETENTION_DAYS = 365
_UINT16 = 2**16 - 1
_UINT32 = 2**32 - 1
_UINT64 = 2**64 - 1
_DATETIME_END = datetime(2106, 2, 7, tzinfo=UTC)  # where ClickHouse's 32-bit DateTime ends


class RowError(ValueError):
    """The record cannot become a row of its table."""


def _bounded(value: int, top: int, name: str) -> int:
    if not 0 <= value <= top:
        raise RowError(f"{name}={value} is outside 0..{top}")
    return value


def raw_row(raw: RawEvent) -> Row:
    size = raw.original_size or len(
        raw.data.encode() if raw.encoding == "utf8" else base64.b64decode(raw.data)
    )
    return {
        "tenant": raw.tenant,
        "source": raw.source,
        "id": raw.id,
        "received_at": utc(raw.received_at),
        "transport": raw.transport,
        "size": _bounded(size, _UINT32, "size"),
        "truncated": int(raw.truncated),
    }


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def _texts(value: Any) -> list[str]:
    if value is None:
        return []
    return [_text(v) for v in value] if isinstance(value, list) else [_text(value)]


def _instant(value: Any, name: str) -> datetime:
    if not isinstance(value, str) or not value:
        raise RowError(f"{name} must be an ISO 8601 string, got {value!r}")
    try:
        return parse_utc(value)
    except ValueError as exc:
        raise RowError(f"{name}: {exc}") from exc


def _required(event: EcsEvent, path: str) -> str:
    value = event.get(path)
    if not isinstance(value, str) or not value:
        raise RowError(f"{path} is missing or not a non-empty string")
    return value


def _retention(days: int, ingested: datetime) -> int:
    # The TTL adds the days to a 32-bit DateTime, which wraps after 2106 and would then expire
    # the row at once: keep the expiry before the wrap.
    return max(1, min(days, _UINT16, (_DATETIME_END - ingested).days - 1))


def event_row(event: EcsEvent, *, retention_days: int, now: datetime) -> Row:
    """``ingested`` is event.ingested or, when absent, ``now`` (the time it reaches the store)."""
    ingested_at = event.get("event.ingested")
    ingested = utc(now) if ingested_at is None else _instant(ingested_at, "event.ingested")
    return {
        "tenant": _required(event, "organization.id"),
        "id": _required(event, "event.id"),
        "raw_id": _text(event.get("vigie.raw_id")),
        "source": _text(event.get("vigie.source")),
        "timestamp": _instant(event.get("@timestamp"), "@timestamp"),
        "ingested": ingested,
        "dataset": _text(event.get("event.dataset")),
        "category": _texts(event.get("event.category")),
        "action": _text(event.get("event.action")),
        "outcome": _text(event.get("event.outcome")),
        "host_name": _text(event.get("host.hostname") or event.get("host.name")),
        "source_ip": _text(event.get("source.ip")),
        "user_name": _text(event.get("user.name")),
        "message": _text(event.get("message")),
        "doc": encode(event).decode(),
        "retention_days": _retention(retention_days, ingested),
    }


def alert_row(alert: Alert) -> Row:
    return {
        "tenant": alert.tenant,
        "id": alert.id,
        "version": _bounded(alert.version, _UINT32, "version"),
        "rule_id": alert.rule.id,
        "rule_title": alert.rule.title,
        "level": alert.rule.level,
        "tags": list(alert.rule.tags),
        "group_json": orjson.dumps(alert.group, option=orjson.OPT_SORT_KEYS).decode(),
        "first_seen": utc(alert.first_seen),
        "last_seen": utc(alert.last_seen),
        "count": _bounded(alert.count, _UINT64, "count"),
        "event_ids": list(alert.event_ids),
        "risk_score": alert.risk_score,
        "doc": encode(alert).decode(),
    }


def action_row(action: ActionRequest | ActionResult) -> Row:
    at = action.requested_at if isinstance(action, ActionRequest) else action.finished_at
    return {
        "tenant": action.tenant,
        "id": action.id,
        "kind": action.kind,
        "alert_id": action.alert_id,
        "playbook": action.playbook,
        "step": _bounded(action.step, _UINT16, "step"),
        "adapter": action.adapter,
        "action": action.action,
        "status": action.status,
        "at": utc(at),
        "doc": encode(action).decode(),
    }


def dead_letter_row(letter: DeadLetter) -> Row:
    return {
        "tenant": letter.tenant,
        "id": letter.id,
        "stage": letter.stage,
        "source_topic": letter.source_topic,
        "record_id": letter.record_id or "",
        "source": letter.source or "",
        "error": letter.error,
        "payload": letter.payload,
        "at": utc(letter.at),
    }


ACTION_KINDS: dict[str, type[ActionRequest] | type[ActionResult]] = {
    "request": ActionRequest,
    "result": ActionResult,
}


def decode_action(value: bytes) -> ActionRequest | ActionResult:
    """An action message, decoded as the model its ``kind`` names."""
    message = orjson.loads(value)
    kind = message.get("kind") if isinstance(message, dict) else None
    if kind not in ACTION_KINDS:
        raise RowError(f"action kind must be one of {sorted(ACTION_KINDS)}, got {kind!r}")
    return decode(value, ACTION_KINDS[kind])


class Rows:
    """Turns records into rows, given the tenants' retention and a clock for ingest times."""

    def __init__(self, retention_days: Mapping[str, int], *, now: Callable[[], datetime]) -> None:
        self._retention = dict(retention_days)
        self._now = now
        self._by_topic: dict[str, tuple[str, Callable[[bytes], Row]]] = {
            topics.RAW_EVENTS: ("raw_index", lambda v: raw_row(decode(v, RawEvent))),
            topics.ECS_EVENTS: ("events", self._event),
            topics.ALERTS: ("alerts", lambda v: alert_row(decode(v, Alert))),
            topics.ACTIONS: ("actions", lambda v: action_row(decode_action(v))),
        }

    def _event(self, value: bytes) -> Row:
        event = decode(value, EcsEvent)
        tenant = _required(event, "organization.id")
        days = self._retention.get(tenant, DEFAULT_RETENTION_DAYS)
        return event_row(event, retention_days=days, now=self._now())

    def of(self, topic: str, value: bytes) -> tuple[str, Row]:
        """The table and row for one record; raises on anything that is not a valid message."""
        if topic.startswith(topics.DLQ_PREFIX):
            return "dead_letters", dead_letter_row(decode(value, DeadLetter))
        if topic not in self._by_topic:
            raise RowError(f"no table for topic {topic!r}")
        table, convert = self._by_topic[topic]
        return table, convert(value)
