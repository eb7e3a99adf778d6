"""HTTP ingest bodies → RawEvents, one per item, and per-item rejections (pure; the FastAPI
adapter is ``listeners/http.py``).

Body (``BodyReader``), fed chunk by chunk as it arrives:
- more than ``max_body`` octets on the wire → ``BodyError("too_large")``;
- ``Content-Encoding: gzip`` is inflated as it streams (``zlib.decompressobj``), never past
  ``max_decoded`` octets: one octet more raises ``too_large``, so a decompression bomb stops at
  the limit instead of expanding. Concatenated gzip members are read in turn (RFC 1952 §2.2);
  corrupt or truncated gzip → ``bad_encoding``; any other encoding → ``unsupported_encoding``.

Envelope (``parse_batch``) — the whole request fails only here:
- JSON (``application/json``, ``*/*+json``, or no type): one object (one item) or an array of
  items; invalid JSON or UTF-8, or a top-level scalar → ``not_json``.
- NDJSON (``application/x-ndjson``, ``application/ndjson``): every LF-terminated line is an item
  (a CR before the LF is removed; blank lines are skipped); an item's index is its 0-based line
  number.
- Any other content type → ``unsupported_type``.

Items, each on its own: a JSON object becomes one RawEvent (``transport="http"``, the binding's
tenant, source and format hint) whose ``data`` is the object re-serialised by orjson (so keys
and spacing are normalised, and integers beyond 64 bits are read as floats). An item that is not
an object, not valid UTF-8 or JSON (an NDJSON line), or larger than ``max_bytes`` once
serialised is rejected alone, with its index and reason; the items after it still count.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson

from schemas.raw import RawEvent
from services.collector.core import make_raw_event
from services.collector.tenancy import HttpBinding

GZIP_WBITS = 16 + zlib.MAX_WBITS
JSON_TYPES = frozenset({"", "application/json"})
NDJSON_TYPES = frozenset({"application/x-ndjson", "application/ndjson"})
NOT_AN_OBJECT = "event must be a JSON object"


class BodyError(Exception):
    """The request as a whole is refused; ``reason`` is a short key (metric label, status)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Rejection:
    index: int
    reason: str


@dataclass(slots=True)
class Batch:
    events: list[RawEvent] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)


class BodyReader:
    """Collects a request body, inflating gzip on the way, within the two size limits."""

    def __init__(self, encoding: str | None, *, max_body: int, max_decoded: int) -> None:
        coding = (encoding or "identity").strip().lower()
        if coding not in ("identity", "gzip", "x-gzip"):
            raise BodyError("unsupported_encoding", f"content encoding {coding!r} is not gzip")
        self._inflater = zlib.decompressobj(GZIP_WBITS) if coding != "identity" else None
        self._max_body = max_body
        self._max_decoded = max_decoded
        self._received = 0
        self._body = bytearray()

    def feed(self, chunk: bytes) -> None:
        self._received += len(chunk)
        if self._received > self._max_body:
            raise BodyError("too_large", f"the body exceeds {self._max_body} octets")
        if self._inflater is None:
            self._keep(chunk)
        else:
            self._inflate(chunk)

    def finish(self) -> bytes:
        if self._inflater is not None and not self._inflater.eof:
            raise BodyError("bad_encoding", "the gzip body is truncated")
        return bytes(self._body)

    def _inflate(self, data: bytes) -> None:
        while data:
            assert self._inflater is not None
            if self._inflater.eof:  # another gzip member follows
                self._inflater = zlib.decompressobj(GZIP_WBITS)
            room = self._max_decoded - len(self._body)
            try:
                # At most room + 1 octets out: one past the limit is enough to refuse.
                self._keep(self._inflater.decompress(data, room + 1))
            except zlib.error as exc:
                raise BodyError("bad_encoding", f"the body is not valid gzip: {exc}") from exc
            data = self._inflater.unused_data if self._inflater.eof else b""

    def _keep(self, data: bytes) -> None:
        if len(self._body) + len(data) > self._max_decoded:
            raise BodyError("too_large", f"the decoded body exceeds {self._max_decoded} octets")
        self._body += data


def parse_batch(
    body: bytes,
    content_type: str | None,
    binding: HttpBinding,
    *,
    peer: str | None,
    received_at: datetime,
    max_bytes: int,
    max_items: int = 10_000,
) -> Batch:
    """The RawEvents and rejections of one request body; raises BodyError for the envelope.

    The item count is bounded as well as the bytes: a few KB of gzip can hold millions of ``{}``,
    each of which would otherwise become a record in memory.
    """
    batch = Batch()
    items = _items(body, _media_type(content_type))
    if len(items) > max_items:
        raise BodyError("too_large", f"{len(items)} items; at most {max_items} per request")
    for index, item, problem in items:
        encoded = problem or _encode(item, max_bytes)
        if isinstance(encoded, str):
            batch.rejected.append(Rejection(index, encoded))
            continue
        raw = make_raw_event(
            encoded,
            tenant=binding.tenant,
            source=binding.source,
            transport="http",
            peer=peer,
            format=binding.format,
            received_at=received_at,
        )
        batch.events.append(raw)
    return batch


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _items(body: bytes, media_type: str) -> list[tuple[int, Any, str | None]]:
    """(index, parsed item, problem) for each item of the body."""
    if media_type in NDJSON_TYPES:
        return [
            (index, *_line(line))
            for index, line in enumerate(body.split(b"\n"))
            if line.strip(b" \t\r")
        ]
    if media_type not in JSON_TYPES and not media_type.endswith("+json"):
        raise BodyError("unsupported_type", f"content type {media_type!r} is not JSON or NDJSON")
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BodyError("not_json", f"the body is not valid JSON: {exc}") from exc
    if isinstance(document, dict):
        return [(0, document, None)]
    if isinstance(document, list):
        return [(index, item, None) for index, item in enumerate(document)]
    raise BodyError("not_json", "the body must be a JSON object or an array of objects")


def _line(line: bytes) -> tuple[Any, str | None]:
    line = line.removesuffix(b"\r")
    try:
        return orjson.loads(line), None
    except orjson.JSONDecodeError:
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            return None, "line is not valid UTF-8"
        return None, "line is not valid JSON"


def _encode(item: Any, max_bytes: int) -> bytes | str:
    """The item serialised, or the reason it is rejected."""
    if not isinstance(item, dict):
        return NOT_AN_OBJECT
    try:
        encoded = orjson.dumps(item)
    except orjson.JSONEncodeError as exc:
        return f"event cannot be re-serialised: {exc}"
    if len(encoded) > max_bytes:
        return f"event is {len(encoded)} octets, over the limit of {max_bytes}"
    return encoded
