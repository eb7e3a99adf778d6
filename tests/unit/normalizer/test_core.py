"""Normalizer.handle: provenance on every document, dead letters for bad input, never a raise."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas import topics
from schemas.dlq import DeadLetter
from schemas.ecs import EcsEvent
from schemas.ids import derived_id
from schemas.raw import RawEvent
from services.normalizer.core import Normalizer
from services.normalizer.parsers import PARSERS, ParseContext, ParseError
from tests.unit.normalizer.factories import RECEIVED, assert_fields, raw_event

INGESTED = "2026-03-02T12:00:00Z"
SSH_FAILURE = (
    "Mar  1 10:00:00 host-a sshd[7]: Failed password for root from 203.0.113.9 port 22 ssh2"
)


def only_event(outputs: list[EcsEvent | DeadLetter]) -> dict[str, Any]:
    assert len(outputs) == 1 and isinstance(outputs[0], EcsEvent), outputs
    return outputs[0].doc


def only_dead_letter(outputs: list[EcsEvent | DeadLetter]) -> DeadLetter:
    assert len(outputs) == 1 and isinstance(outputs[0], DeadLetter), outputs
    return outputs[0]


def test_core_every_document_carries_provenance() -> None:
    raw = raw_event(SSH_FAILURE, id="r-42", tenant="globex", source="fw-paris")
    doc = only_event(Normalizer().handle(raw))
    assert_fields(
        doc,
        {
            "event.id": "r-42",
            "organization.id": "globex",
            "event.original": SSH_FAILURE,
            "event.ingested": INGESTED,
            "event.kind": "event",
            "event.dataset": "system.auth",
            "@timestamp": "2026-03-01T10:00:00Z",
            "vigie": {"raw_id": "r-42", "source": "fw-paris", "format": "syslog"},
            "source.ip": "203.0.113.9",
        },
    )
    assert topics.topic_of(EcsEvent(doc)) == topics.ECS_EVENTS


def test_core_tenant_and_ids_are_never_taken_from_the_log() -> None:
    def forging(text: str, ctx: ParseContext) -> list[dict[str, Any]]:
        return [
            {
                "organization": {"id": "evil"},
                "event": {"id": "forged"},
                "message": text,
            }
        ]

    line = '<13>1 2026-01-01T00:00:00Z h a - - [organization id="evil"] hi'
    forged = only_event(Normalizer({"syslog": forging}).handle(raw_event(line)))
    assert_fields(forged, {"organization.id": "acme", "event.id": "raw-1", "event.original": line})
    real = only_event(Normalizer().handle(raw_event(line)))
    assert real["organization"] == {"id": "acme"}


@pytest.mark.parametrize(
    ("received_at", "ingested"),
    [
        (RECEIVED, INGESTED),
        (datetime(2026, 3, 2, 13, 0, tzinfo=timezone(timedelta(hours=1))), INGESTED),
        (datetime(2026, 3, 2, 12, 0), INGESTED),  # naive: taken as UTC
        (datetime(2026, 3, 2, 12, 0, 0, 250000, tzinfo=UTC), "2026-03-02T12:00:00.250000Z"),
    ],
)
def test_core_timestamp_falls_back_to_ingested(received_at: datetime, ingested: str) -> None:
    doc = only_event(Normalizer().handle(raw_event("no header at all", received_at=received_at)))
    assert_fields(
        doc, {"message": "no header at all", "event.ingested": ingested, "@timestamp": ingested}
    )


@pytest.mark.parametrize(
    ("data", "truncated", "flags", "message"),
    [
        (b"Mar  1 10:00:00 h app: caf\xe9", False, ["invalid_utf8"], "caf\ufffd"),
        (b"Mar  1 10:00:00 h app: cut", True, ["truncated"], "cut"),
        (b"Mar  1 10:00:00 h app: caf\xc3", True, ["invalid_utf8", "truncated"], "caf\ufffd"),
    ],
)
def test_core_flags_invalid_utf8_and_truncation(
    data: bytes, truncated: bool, flags: list[str], message: str
) -> None:
    raw = raw_event(data, truncated=truncated)
    doc = only_event(Normalizer().handle(raw))
    assert_fields(
        doc,
        {
            "vigie.flags": flags,
            "message": message,
            "process.name": "app",
            "event.original": raw.text(),
        },
    )


def test_core_clean_record_has_no_flags() -> None:
    assert "flags" not in only_event(Normalizer().handle(raw_event(SSH_FAILURE)))["vigie"]


def _raises(error: Exception) -> Any:
    def parser(text: str, ctx: ParseContext) -> list[dict[str, Any]]:
        raise error

    return parser


BAD_BASE64 = RawEvent(
    id="raw-1", tenant="acme", source="s", received_at=RECEIVED, transport="udp",
    format="syslog", data="!!not base64!!", encoding="base64",
)  # fmt: skip


@pytest.mark.parametrize(
    ("raw", "parsers", "error"),
    [
        (raw_event("x", id=""), PARSERS, "without id or tenant"),
        (raw_event("x", tenant=""), PARSERS, "without id or tenant"),
        (raw_event(""), PARSERS, "empty record"),
        (raw_event(" \t\r\n "), PARSERS, "empty record"),
        (raw_event("x", format="no-such-format"), PARSERS, "unknown format hint 'no-such-format'"),
        (BAD_BASE64, PARSERS, "not valid base64"),
        (raw_event("a"), {"syslog": _raises(ParseError("not 8 fields"))}, "syslog: not 8 fields"),
        (raw_event("a"), {"syslog": lambda text, ctx: []}, "produced no document"),
        (raw_event("a"), {"syslog": _raises(KeyError("boom"))}, "parser failed: KeyError"),
    ],
)  # fmt: skip
def test_core_bad_records_become_dead_letters(raw: RawEvent, parsers: Any, error: str) -> None:
    letter = only_dead_letter(Normalizer(parsers).handle(raw))
    assert error in letter.error
    assert letter.id == derived_id("normalizer", raw.id)
    assert (letter.stage, letter.source_topic) == ("normalizer", topics.RAW_EVENTS)
    assert (letter.record_id, letter.source, letter.tenant, letter.at) == (
        raw.id, raw.source, raw.tenant, raw.received_at,
    )  # fmt: skip
    assert RawEvent.model_validate_json(letter.payload) == raw
    assert topics.topic_of(letter) == "dlq.normalizer"


def test_core_further_documents_get_derived_ids() -> None:
    def three(text: str, ctx: ParseContext) -> list[dict[str, Any]]:
        return [{"message": f"{text}-{n}"} for n in range(3)]

    outputs = Normalizer({"syslog": three}).handle(raw_event("item", id="batch-7"))
    docs = [o.root for o in outputs if isinstance(o, EcsEvent)]
    assert [d["event"]["id"] for d in docs] == [
        "batch-7", derived_id("batch-7", "1"), derived_id("batch-7", "2"),
    ]  # fmt: skip
    assert len(docs) == len(outputs) and all(d["organization"]["id"] == "acme" for d in docs)
    assert [d["message"] for d in docs] == ["item-0", "item-1", "item-2"]


def test_core_missing_format_hint_means_syslog() -> None:
    doc = only_event(Normalizer().handle(raw_event(SSH_FAILURE, format=None)))
    assert_fields(doc, {"vigie.format": "syslog", "event.outcome": "failure"})


def test_core_timezone_per_source() -> None:
    normalizer = Normalizer(default_timezone="UTC", timezones={"fw-paris": "Europe/Paris"})
    line = "Jul  1 10:00:00 h app: m"
    paris = only_event(normalizer.handle(raw_event(line, source="fw-paris")))
    other = only_event(normalizer.handle(raw_event(line, source="fw-london")))
    assert (paris["@timestamp"], other["@timestamp"]) == (
        "2025-07-01T08:00:00Z",
        "2025-07-01T10:00:00Z",
    )


@pytest.mark.parametrize(
    "kwargs", [{"default_timezone": "Mars/Olympus"}, {"timezones": {"s": "../etc"}}]
)
def test_core_unknown_timezone_is_a_configuration_error(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="unknown timezone"):
        Normalizer(**kwargs)


def test_core_events_pass_the_schema_validation() -> None:
    (event,) = Normalizer().handle(raw_event(SSH_FAILURE))
    assert isinstance(event, EcsEvent)
    assert EcsEvent.model_validate(event.model_dump(mode="json")) == event


def test_core_redelivery_gives_identical_output() -> None:
    raw = raw_event(SSH_FAILURE)
    normalizer = Normalizer()
    assert normalizer.handle(raw) == normalizer.handle(raw)


def test_core_hostile_long_line_is_one_event() -> None:
    line = "Mar  1 10:00:00 h sshd[1]: Failed password for " + " from 192.0.2.1 port 1" * 3000
    doc = only_event(Normalizer().handle(raw_event(line)))
    assert doc["event"]["original"] == line


HEADERS = st.sampled_from(
    ["", "<13>", "<165>1 ", "<13>1 2026-01-01T00:00:00Z h a - - ", "Mar  1 10:00:00 h ",
     "Mar  1 10:00:00 h sshd[1]: ", "Mar  1 10:00:00 h sudo: ", "Mar  1 10:00:00 h useradd[1]: ",
     "Mar  1 10:00:00 h su[2]: ", "Mar  1 10:00:00 h sshd[1]: pam_unix(sshd:auth): "]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(header=HEADERS, body=st.text(max_size=300))
def test_core_any_text_gives_exactly_one_output(header: str, body: str) -> None:
    outputs = Normalizer().handle(raw_event(header + body))
    assert len(outputs) == 1
    # Syslog accepts any text: the only dead letter is an empty record, never a parser defect.
    if isinstance(outputs[0], DeadLetter):
        assert outputs[0].error == "empty record: no text to parse"


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=300))
def test_core_any_bytes_give_exactly_one_output(data: bytes) -> None:
    raw = raw_event(b"", format="syslog").model_copy(
        update={"data": base64.b64encode(data).decode(), "encoding": "base64"}
    )
    outputs = Normalizer().handle(raw)
    assert len(outputs) == 1
    if isinstance(outputs[0], EcsEvent):
        assert outputs[0].doc["vigie"]["flags"] == ["invalid_utf8"]
    else:
        assert outputs[0].error == "empty record: no text to parse"
