"""make_raw_event, datagram_frame and frame_error: encoding, trailers, truncation, empty records."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import pytest

from schemas.codec import decode
from schemas.raw import RawEvent
from services.collector.core import datagram_frame, frame_error, make_raw_event

AT = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def event(frame: bytes, **overrides: Any) -> RawEvent:
    context: dict[str, Any] = {
        "tenant": "acme",
        "source": "fw-1",
        "transport": "tcp",
        "peer": "192.0.2.10:51514",
        "format": "syslog",
        "received_at": AT,
    }
    return make_raw_event(frame, **(context | overrides))


def original_bytes(raw: RawEvent) -> bytes:
    return raw.data.encode() if raw.encoding == "utf8" else base64.b64decode(raw.data)


def test_make_raw_event_keeps_context_and_valid_utf8_as_text() -> None:
    raw = event("<13>1 - host-a app - - - café".encode())
    assert (raw.tenant, raw.source, raw.transport, raw.peer, raw.format, raw.received_at) == (
        "acme",
        "fw-1",
        "tcp",
        "192.0.2.10:51514",
        "syslog",
        AT,
    )
    assert (raw.data, raw.encoding) == ("<13>1 - host-a app - - - café", "utf8")
    assert raw.original_size == len("<13>1 - host-a app - - - café".encode())
    assert raw.truncated is False


@pytest.mark.parametrize(
    "frame",
    [b"<13>caf\xe9 latin-1", b"\xff\xfe\x00binary", b"\xc3", b"ok\xed\xa0\x80surrogate"],
)
def test_make_raw_event_invalid_utf8_is_exact_base64(frame: bytes) -> None:
    raw = event(frame)
    assert raw.encoding == "base64"
    assert base64.b64decode(raw.data) == frame
    assert raw.original_size == len(frame)


@pytest.mark.parametrize(
    ("transport", "frame", "kept"),
    [
        ("udp", b"<13>a\n", b"<13>a"),
        ("udp", b"<13>a\r\n", b"<13>a"),
        ("udp", b"<13>a\x00", b"<13>a"),
        ("udp", b"<13>a\n\n", b"<13>a\n"),
        ("udp", b"<13>a\r", b"<13>a\r"),
        ("udp", b"<13>a", b"<13>a"),
        ("tcp", b"<13>a\n", b"<13>a\n"),
    ],
)
def test_make_raw_event_strips_one_datagram_trailer(
    transport: str, frame: bytes, kept: bytes
) -> None:
    raw = event(frame, transport=transport)
    assert original_bytes(raw) == kept
    assert raw.original_size == len(kept)


def test_make_raw_event_truncated_keeps_flag_size_and_bytes() -> None:
    raw = event(b"<13>abc\n", transport="udp", truncated=True, original_size=5000)
    assert (raw.truncated, raw.original_size) == (True, 5000)
    assert raw.data == "<13>abc\n"  # a cut datagram has no trailer to strip


def test_make_raw_event_cut_inside_a_character_stays_exact() -> None:
    cut = "café".encode()[:4]
    raw = event(cut, truncated=True, original_size=5)
    assert raw.encoding == "base64" and base64.b64decode(raw.data) == cut
    assert raw.text() == "caf\ufffd"


@pytest.mark.parametrize(("frame", "data"), [(b"", ""), (b"   \t", "   \t"), (b"\n", "")])
def test_make_raw_event_empty_frame_is_still_a_record(frame: bytes, data: str) -> None:
    raw = event(frame, transport="udp")
    assert (raw.data, raw.encoding, raw.original_size) == (
        data,
        "utf8",
        0 if not data else len(data),
    )


def test_make_raw_event_ids_are_new_and_unique() -> None:
    ids = {event(b"<13>same").id for _ in range(1000)}
    assert len(ids) == 1000 and all(len(i) == 32 for i in ids)


@pytest.mark.parametrize(
    ("datagram", "max_bytes", "data", "size", "truncated"),
    [
        (b"<13>abcd", 8, b"<13>abcd", 8, False),
        (b"<13>abcd\n", 8, b"<13>abcd\n", 8, False),  # only the trailer is past the limit
        (b"<13>abcd\r\n", 8, b"<13>abcd\r\n", 8, False),
        (b"<13>abcde", 8, b"<13>abcd", 9, True),
        (b"<13>abcde\n", 8, b"<13>abcd", 9, True),
    ],
)
def test_datagram_frame_cuts_past_max_bytes(
    datagram: bytes, max_bytes: int, data: bytes, size: int, truncated: bool
) -> None:
    frame = datagram_frame(datagram, max_bytes)
    assert (frame.data, frame.original_size, frame.truncated) == (data, size, truncated)


def test_frame_error_dead_letter_carries_the_partial_record() -> None:
    raw = event(b"<13>partial", truncated=True, original_size=50)
    letter = frame_error(raw, "incomplete octet-counted frame: 11 of 50 octets")
    assert (letter.tenant, letter.stage, letter.source_topic) == ("acme", "collector", "raw.events")
    assert (letter.record_id, letter.source, letter.at) == (raw.id, "fw-1", AT)
    assert letter.error.startswith("incomplete")
    assert decode(letter.payload.encode(), RawEvent) == raw
    assert frame_error(raw, "x").id == letter.id  # derived: a retry yields the same id
