"""Records → rows: each topic's model mapped to its table's columns, bad records refused."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from schemas.codec import encode
from services.api.rows import Rows
from tests.unit.api.data import (
    T0,
    action_request,
    action_result,
    alert,
    dead_letter,
    ecs,
    out,
    raw,
)

NOW = datetime(2026, 12, 2, 8, 30, tzinfo=UTC)
TEN_UTC = datetime(2026, 12, 1, 10, tzinfo=UTC)
ROWS = Rows({"tenant-a": 90}, now=lambda: NOW)


def row_of(message: Any) -> tuple[str, dict[str, Any]]:
    topic, _, value = out(message)
    return ROWS.of(topic, value)


def test_rows_raw_event_goes_to_raw_index_without_payload() -> None:
    table, row = row_of(raw("r-1", "tenant-a", "fw-a", truncated=True))
    assert table == "raw_index"
    assert row == {
        "tenant": "tenant-a",
        "source": "fw-a",
        "id": "r-1",
        "received_at": T0,
        "transport": "tcp",
        "size": len("<13>Dec  1 10:00:00 host-1 sshd[1]: line r-1"),
        "truncated": 1,
    }


def test_rows_event_columns_come_from_the_nested_document() -> None:
    event = ecs(
        "e-1",
        "tenant-a",
        "r-1",
        "fw-a",
        event={
            "id": "e-1",
            "ingested": "2026-12-01T10:00:05+01:00",
            "dataset": "linux.auth",
            "category": ["authentication", "session"],
            "action": "ssh_login",
            "outcome": "failure",
        },
        host={"name": "short", "hostname": "host-1.example.com"},
    )
    table, row = row_of(event)
    assert table == "events"
    assert orjson.loads(row.pop("doc")) == event.doc
    assert row == {
        "tenant": "tenant-a",
        "id": "e-1",
        "raw_id": "r-1",
        "source": "fw-a",
        "timestamp": datetime(2026, 12, 1, 10, 0, tzinfo=UTC),
        "ingested": datetime(2026, 12, 1, 9, 0, 5, tzinfo=UTC),
        "dataset": "linux.auth",
        "category": ["authentication", "session"],
        "action": "ssh_login",
        "outcome": "failure",
        "host_name": "host-1.example.com",
        "source_ip": "203.0.113.7",
        "user_name": "alice",
        "message": "event e-1",
        "retention_days": 90,
    }


@pytest.mark.parametrize(
    ("fields", "column", "expected"),
    [
        ({"host": {"name": "web-1"}}, "host_name", "web-1"),
        ({"host": {}}, "host_name", ""),
        ({"event": {"id": "e-1", "category": "network"}}, "category", ["network"]),
        ({"event": {"id": "e-1"}}, "category", []),
        ({"event": {"id": "e-1"}}, "ingested", NOW),  # absent: the time it is stored
        ({"source": {"ip": "2001:db8::7"}}, "source_ip", "2001:db8::7"),
        ({"user": {"name": 1001}}, "user_name", "1001"),
        ({"@timestamp": "2026-12-01T10:00:00"}, "timestamp", TEN_UTC),
        ({"@timestamp": "2026-12-01T11:00:00+01:00"}, "timestamp", TEN_UTC),
        ({"organization": {"id": "tenant-b"}}, "retention_days", 365),  # unconfigured: default
        ({"event.id": "flat-id"}, "id", "flat-id"),
    ],
)
def test_rows_event_field_mapping(fields: dict[str, Any], column: str, expected: Any) -> None:
    doc = ecs("e-1", "tenant-a", "r-1", "fw-a").doc
    for key, value in fields.items():
        if key == "event.id":
            del doc["event"]
        doc[key] = value
    _, row = ROWS.of("ecs.events", orjson.dumps(doc))
    assert row[column] == expected


def test_rows_event_retention_stops_before_the_datetime_wrap() -> None:
    rows = Rows({"tenant-a": 60_000}, now=lambda: NOW)
    topic, _, value = out(ecs("e-1", "tenant-a", "r-1", "fw-a"))
    _, row = rows.of(topic, value)
    expiry = NOW.toordinal() + row["retention_days"]
    assert row["retention_days"] < 60_000
    assert expiry < datetime(2106, 2, 7).toordinal()


def test_rows_alert_row() -> None:
    message = alert("a-1", "tenant-a", datetime(2026, 12, 1, 10, 3), version=4, count=2)
    table, row = row_of(message)
    assert table == "alerts"
    assert orjson.loads(row.pop("doc")) == orjson.loads(encode(message))
    assert row == {
        "tenant": "tenant-a",
        "id": "a-1",
        "version": 4,
        "rule_id": "rule-brute",
        "rule_title": "Title of rule-brute",
        "level": "high",
        "tags": ["attack.t1110"],
        "group_json": '{"source.ip":"203.0.113.7"}',
        "first_seen": T0,
        "last_seen": datetime(2026, 12, 1, 10, 3, tzinfo=UTC),  # naive in: taken as UTC
        "count": 2,
        "event_ids": ["a-1-e0", "a-1-e1"],
        "risk_score": 42.0,
    }


def test_rows_actions_are_decoded_by_kind() -> None:
    request = action_request("act-1", "tenant-a", "a-1", T0)
    result = action_result("act-2", request, datetime(2026, 12, 1, 10, 5, tzinfo=UTC))
    rows = [row_of(request), row_of(result)]
    assert [(table, r["kind"], r["status"], r["at"]) for table, r in rows] == [
        ("actions", "request", "pending", T0),
        ("actions", "result", "succeeded", datetime(2026, 12, 1, 10, 5, tzinfo=UTC)),
    ]
    assert orjson.loads(rows[1][1]["doc"])["request_id"] == "act-1"


def test_rows_dead_letter_row_from_any_dlq_topic() -> None:
    table, row = row_of(dead_letter("normalizer", "r-9", "tenant-a", "fw-a"))
    assert table == "dead_letters"
    assert row == {
        "tenant": "tenant-a",
        "id": "normalizer-r-9",
        "stage": "normalizer",
        "source_topic": "raw.events",
        "record_id": "r-9",
        "source": "fw-a",
        "error": "ParseError: no parser matched",
        "payload": "garbage",
        "at": T0,
    }


def _alert_json(**changes: Any) -> bytes:
    return orjson.dumps({**orjson.loads(encode(alert("a-1", "tenant-a", T0))), **changes})


def _event_json(**changes: Any) -> bytes:
    doc = {**ecs("e-1", "tenant-a", "r-1", "fw-a").doc, **changes}
    return orjson.dumps({k: v for k, v in doc.items() if v is not None})


def _action_json(**changes: Any) -> bytes:
    request = action_request("act-1", "tenant-a", "a-1", T0)
    return orjson.dumps({**orjson.loads(encode(request)), **changes})


@pytest.mark.parametrize(
    ("topic", "value", "reason"),
    [
        ("alerts", b"\xff\xfe not json", "not a valid Alert"),
        ("alerts", b"[1, 2]", "not a valid Alert"),
        ("alerts", _alert_json(version=-1), "version=-1"),
        ("alerts", _alert_json(count=-3), "count=-3"),
        ("actions", _action_json(step=70_000), "step=70000"),
        ("ecs.events", _event_json(organization=None), "organization.id"),
        ("ecs.events", _event_json(organization={"id": ""}), "organization.id"),
        ("ecs.events", _event_json(event={"dataset": "x"}), "event.id"),
        ("ecs.events", _event_json(**{"@timestamp": None}), "@timestamp"),
        ("ecs.events", _event_json(**{"@timestamp": "soon"}), "@timestamp"),
        ("ecs.events", _event_json(**{"@timestamp": 1781524800}), "@timestamp"),
        ("actions", b'{"kind": "rumour", "id": "x"}', "action kind"),
        ("actions", b'{"kind": "request", "id": "x"}', "not a valid ActionRequest"),
        ("dlq.normalizer", b"{}", "not a valid DeadLetter"),
        ("assets", b"{}", "no table for topic"),
    ],
)
def test_rows_refuse_what_cannot_become_a_row(topic: str, value: bytes, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        ROWS.of(topic, value)
