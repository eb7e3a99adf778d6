"""Received bytes + listener context → RawEvent (topic ``raw.events``), or a DeadLetter.

- Every record gets a new stable id (``schemas.ids.new_id``) here, once; every later stage and
  sink deduplicates on it.
- Valid UTF-8 is kept as text (``encoding="utf8"``); anything else is the base64 of the exact
  bytes (``encoding="base64"``), so no byte is altered or lost. A frame cut at ``max_bytes`` may
  end inside a multi-byte character: it is then base64 as well, still exact.
- A UDP datagram loses one trailing LF, CRLF or NUL (a sender's terminator, not data), unless
  it was cut (``datagram_frame``: the trailer alone never makes a datagram too long); TCP
  frames arrive already without their terminator (``framing.py``).
- An empty or whitespace-only record is still a record: the sender sent something, and the
  normalizer dead-letters it, so it is counted rather than vanishing here.
- ``original_size`` is the record's size before any truncation (default: the frame's size).
- A frame the connection cut short (``Frame.error``) becomes a ``DeadLetter`` for
  ``dlq.collector`` whose payload is the RawEvent of what did arrive (``frame_error``).
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Literal

from schemas import topics
from schemas.codec import encode
from schemas.dlq import DeadLetter
from schemas.ids import derived_id, new_id
from schemas.raw import RawEvent, Transport
from services.collector.framing import Frame

STAGE = "collector"
_DATAGRAM_TRAILERS = (b"\r\n", b"\n", b"\x00")


def strip_trailer(datagram: bytes) -> bytes:
    """The datagram without one trailing LF, CRLF or NUL."""
    for trailer in _DATAGRAM_TRAILERS:
        if datagram.endswith(trailer):
            return datagram[: -len(trailer)]
    return datagram


def datagram_frame(datagram: bytes, max_bytes: int) -> Frame:
    """A datagram as a frame: cut at ``max_bytes`` unless only its trailer is past the limit."""
    size = len(strip_trailer(datagram))
    return Frame(datagram if size <= max_bytes else datagram[:max_bytes], size)


def make_raw_event(
    frame: bytes,
    *,
    tenant: str,
    source: str,
    transport: Transport,
    peer: str | None,
    format: str | None,
    received_at: datetime,
    truncated: bool = False,
    original_size: int | None = None,
) -> RawEvent:
    if transport == "udp" and not truncated:
        frame = strip_trailer(frame)
    encoding: Literal["utf8", "base64"] = "utf8"
    try:
        data = frame.decode("utf-8")
    except UnicodeDecodeError:
        data, encoding = base64.b64encode(frame).decode("ascii"), "base64"
    return RawEvent(
        id=new_id(),
        tenant=tenant,
        source=source,
        received_at=received_at,
        transport=transport,
        peer=peer,
        format=format,
        data=data,
        encoding=encoding,
        truncated=truncated,
        original_size=len(frame) if original_size is None else original_size,
    )


def frame_error(raw: RawEvent, error: str) -> DeadLetter:
    """A dead letter for a record the transport delivered incomplete (payload: the RawEvent)."""
    return DeadLetter(
        id=derived_id(STAGE, raw.id),
        tenant=raw.tenant,
        stage=STAGE,
        source_topic=topics.RAW_EVENTS,
        record_id=raw.id,
        source=raw.source,
        error=error,
        payload=encode(raw).decode("utf-8"),
        at=raw.received_at,
    )
