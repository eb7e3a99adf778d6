"""HTTP ingest bodies (pure): size limits while streaming, gzip within bounds, envelopes, and
per-item rejections; random input gives a batch or a BodyError, nothing else."""

from __future__ import annotations

import gzip
import json
import tracemalloc
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.collector.ingest import Batch, BodyError, BodyReader, parse_batch
from services.collector.tenancy import HttpBinding

BINDING = HttpBinding("acme", "firewall", "json")
AT = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
MAX_ITEM = 512


def parse(body: bytes, content_type: str | None = "application/json") -> Batch:
    return parse_batch(
        body, content_type, BINDING, peer="192.0.2.10:40000", received_at=AT, max_bytes=MAX_ITEM
    )


def read(chunks: list[bytes], encoding: str | None = None, **limits: int) -> bytes:
    reader = BodyReader(encoding, **({"max_body": 4096, "max_decoded": 4096} | limits))
    for chunk in chunks:
        reader.feed(chunk)
    return reader.finish()


def test_ingest_case_batch_partial_rejection(cases: dict[str, dict[str, Any]]) -> None:
    case = cases["api-batch-partial-rejection"]
    batch = parse(orjson.dumps(case["input"]["body"]))
    expected = case["expected"]
    assert len(batch.events) == expected["accepted"]
    assert [{"index": r.index, "reason": r.reason} for r in batch.rejected] == expected["rejected"]
    messages = [orjson.loads(e.data)["message"] for e in batch.events]
    assert messages == expected["forwarded_to_kafka"]


def test_ingest_item_becomes_a_raw_event_of_the_binding() -> None:
    (event,) = parse(b'{ "message" : "a",\n "n": 1 }').events
    assert (event.tenant, event.source, event.format) == ("acme", "firewall", "json")
    assert (event.transport, event.peer, event.received_at) == ("http", "192.0.2.10:40000", AT)
    assert (event.data, event.encoding) == ('{"message":"a","n":1}', "utf8")
    assert event.original_size == len(event.data) and not event.truncated


BIG = "x" * MAX_ITEM


@pytest.mark.parametrize(
    ("content_type", "body", "accepted", "rejected"),
    [
        ("application/json", b'{"m":1}', [{"m": 1}], []),
        (None, b'[{"m":1},{"m":2}]', [{"m": 1}, {"m": 2}], []),
        ("application/json; charset=utf-8", b"[]", [], []),
        ("application/vnd.example+json", b'[{"m":1}]', [{"m": 1}], []),
        (
            "application/json",
            b'[1, {"m": 2}, [3], null, {"big": "' + BIG.encode() + b'"}, {"m": "\xc3\xa9"}]',
            [{"m": 2}, {"m": "é"}],
            [
                (0, "event must be a JSON object"),
                (2, "event must be a JSON object"),
                (3, "event must be a JSON object"),
                (4, f"event is {len(BIG) + 10} octets, over the limit of {MAX_ITEM}"),
            ],
        ),
        (
            "application/x-ndjson",
            b'{"m":1}\r\n\n  \n{"m":2}\n"text"\n{"m":\xff}\n{bad\n{"m":3}',
            [{"m": 1}, {"m": 2}, {"m": 3}],
            [
                (4, "event must be a JSON object"),
                (5, "line is not valid UTF-8"),
                (6, "line is not valid JSON"),
            ],
        ),
        ("application/ndjson", b"", [], []),
    ],
)
def test_ingest_parse_batch_table(
    content_type: str | None,
    body: bytes,
    accepted: list[dict[str, Any]],
    rejected: list[tuple[int, str]],
) -> None:
    batch = parse(body, content_type)
    assert [orjson.loads(e.data) for e in batch.events] == accepted
    assert [(r.index, r.reason) for r in batch.rejected] == rejected


@pytest.mark.parametrize(
    ("content_type", "body", "reason"),
    [
        ("application/json", b'{"m":', "not_json"),
        ("application/json", b"", "not_json"),
        ("application/json", b'"just a string"', "not_json"),
        ("application/json", b"42", "not_json"),
        ("application/json", b'{"m":"\xff"}', "not_json"),
        ("application/json", b"[1e400]", "not_json"),
        ("text/plain", b'{"m":1}', "unsupported_type"),
        ("application/x-www-form-urlencoded", b"m=1", "unsupported_type"),
    ],
)
def test_ingest_envelope_errors_refuse_the_whole_body(
    content_type: str, body: bytes, reason: str
) -> None:
    with pytest.raises(BodyError) as error:
        parse(body, content_type)
    assert error.value.reason == reason


def test_body_reader_plain_body_within_and_over_the_limit() -> None:
    assert read([b"ab", b"cd"], max_body=4) == b"abcd"
    with pytest.raises(BodyError, match="exceeds 4 octets") as error:
        read([b"ab", b"cde"], max_body=4)
    assert error.value.reason == "too_large"


def test_body_reader_inflates_gzip_in_any_chunking() -> None:
    data = b'{"m":"' + b"y" * 3000 + b'"}'
    packed = gzip.compress(data)
    assert read([packed], "gzip") == data
    assert read([packed[i : i + 7] for i in range(0, len(packed), 7)], "GZIP") == data
    # Concatenated members are one body (RFC 1952), even split across chunks.
    two = gzip.compress(b"[1,") + gzip.compress(b"2]")
    assert read([two[:25], two[25:]], "x-gzip") == b"[1,2]"


@pytest.mark.parametrize(
    ("chunks", "encoding", "reason"),
    [
        ([gzip.compress(b"[1,2]")[:-4]], "gzip", "bad_encoding"),  # truncated
        ([b"not gzip at all"], "gzip", "bad_encoding"),
        ([gzip.compress(b"[]") + b"trailing"], "gzip", "bad_encoding"),
        ([b""], "gzip", "bad_encoding"),
        ([b"[]"], "br", "unsupported_encoding"),
        ([gzip.compress(b"z" * 5000)], "gzip", "too_large"),
    ],
)
def test_body_reader_refusals_table(chunks: list[bytes], encoding: str, reason: str) -> None:
    with pytest.raises(BodyError) as error:
        read(chunks, encoding)
    assert error.value.reason == reason


def test_body_reader_stops_a_decompression_bomb_at_the_limit() -> None:
    bomb = gzip.compress(bytes(10 * 1024 * 1024), compresslevel=9)
    assert len(bomb) < 20 * 1024
    reader = BodyReader("gzip", max_body=len(bomb), max_decoded=1024 * 1024)
    tracemalloc.start()
    try:
        with pytest.raises(BodyError, match="decoded body exceeds 1048576 octets"):
            for start in range(0, len(bomb), 4096):
                reader.feed(bomb[start : start + 4096])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * 1024 * 1024  # the limit and one chunk, never the 10 MB


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)
# Stdlib json, not orjson: it writes integers past 64 bits and lone surrogates, as senders may.
json_bodies = json_values.map(lambda value: json.dumps(value).encode())
ndjson_bodies = st.lists(json_bodies, max_size=5).map(b"\n".join)
content_types = st.sampled_from(
    [None, "application/json", "application/x-ndjson", "text/plain", "application/x+json"]
)


@settings(max_examples=300, deadline=None)
@given(body=st.binary(max_size=300) | json_bodies | ndjson_bodies, content_type=content_types)
def test_ingest_random_bodies_give_a_batch_or_a_body_error(
    body: bytes, content_type: str | None
) -> None:
    try:
        batch = parse(body, content_type)
    except BodyError as exc:
        assert exc.reason in {"not_json", "unsupported_type"}
        return
    for event in batch.events:
        assert isinstance(orjson.loads(event.data), dict)
    indexes = [r.index for r in batch.rejected]
    assert len(set(indexes)) == len(indexes)


@settings(max_examples=200, deadline=None)
@given(body=st.binary(max_size=2000), cut=st.integers(min_value=0, max_value=2000))
def test_body_reader_random_gzip_never_escapes_its_errors(body: bytes, cut: int) -> None:
    packed = gzip.compress(body)
    for candidate in (packed, packed[:cut], body):
        try:
            assert read([candidate], "gzip", max_decoded=1500) == body
        except BodyError as exc:
            assert exc.reason in {"bad_encoding", "too_large"}


def test_ingest_item_count_is_bounded_like_the_bytes() -> None:
    body = b"[" + b",".join([b"{}"] * 11) + b"]"
    limits = {"peer": None, "received_at": AT, "max_bytes": MAX_ITEM}
    with pytest.raises(BodyError) as refused:
        parse_batch(body, "application/json", BINDING, max_items=10, **limits)  # type: ignore[arg-type]
    assert refused.value.reason == "too_large" and "11 items" in str(refused.value)
    batch = parse_batch(body, "application/json", BINDING, max_items=11, **limits)  # type: ignore[arg-type]
    assert len(batch.events) == 11
