"""Normalizer: one RawEvent → its ECS documents (``EcsEvent``), or one ``DeadLetter``; never raises.

The parser is chosen by the RawEvent ``format`` hint (``PARSERS``). With no hint, or the hint
``auto``, the detector the Normalizer was built with (default ``detect.detect``) picks it from the
record text; either way the format used lands in ``vigie.format``. Every document gets, whatever
its parser wrote there:

* ``event.id``: ``raw.id`` for the first document, ``derived_id(raw.id, str(n))`` for the n-th;
* ``organization.id`` = ``raw.tenant`` (resolved by the collector, never read from the log);
* ``event.original`` = the record text (U+FFFD where the bytes were not UTF-8), unless the parser
  set it to a string: a batch parser (JSON array, NDJSON, Zeek TSV) gives each document the text
  of its own record, so that a batch of N records does not store the whole batch N times;
* ``event.ingested`` = ``raw.received_at`` (ISO 8601 UTC, ``Z``); ``event.kind`` default ``event``;
* ``@timestamp`` from the record, else ``event.ingested``;
* ``vigie.raw_id``, ``vigie.source``, ``vigie.format``, and ``vigie.flags`` when the record was
  not valid UTF-8 (``invalid_utf8``) or cut by the collector (``truncated``).

Dead letters (stage ``normalizer``, payload = the RawEvent JSON): no id or tenant, empty or
whitespace-only text, undecodable base64, unknown format hint, ``ParseError``, a parser that
returns no document or fails unexpectedly.

Timestamps without an offset are read in the source's timezone: ``timezones[raw.source]``, else
``default_timezone``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from schemas import topics
from schemas.dlq import DeadLetter
from schemas.ecs import EcsEvent
from schemas.ids import derived_id
from schemas.raw import RawEvent
from services.normalizer.detect import detect
from services.normalizer.parsers import PARSERS, Doc, ParseContext, ParseError, Parser
from services.normalizer.parsers.base import utc_iso

STAGE = "normalizer"
AUTO = "auto"
MAX_ERROR_CHARS = 2000
_OFFSET = re.compile(r"([+-])(0[0-9]|1[0-4]):([0-5][0-9])")


def zone(name: str) -> tzinfo:
    """The tzinfo for an IANA name or a ``+HH:MM`` offset; ``ValueError`` for an unknown one."""
    if name.upper() in ("UTC", "Z", "ETC/UTC"):
        return UTC  # the identity object lets timestamp parsing skip the conversion
    if offset := _OFFSET.fullmatch(name):  # a device set to a fixed offset (Elastic's tz_offset)
        sign, hours, minutes = offset.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes))
        return timezone(-delta if sign == "-" else delta)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown timezone {name!r}") from exc


class Normalizer:
    def __init__(
        self,
        parsers: Mapping[str, Parser] = PARSERS,
        *,
        default_timezone: str = "UTC",
        timezones: Mapping[str, str] | None = None,
        detector: Callable[[str], str] = detect,
    ) -> None:
        self._parsers = parsers
        self._detect = detector
        self._default_zone = zone(default_timezone)
        self._zones = {source: zone(name) for source, name in (timezones or {}).items()}

    def handle(self, raw: RawEvent) -> list[EcsEvent | DeadLetter]:
        if not raw.id or not raw.tenant:
            return [_dead_letter(raw, "record without id or tenant: cannot dedup nor scope it")]
        try:
            text = raw.text()
        except ValueError as exc:  # binascii.Error: the collector's base64 is damaged
            return [_dead_letter(raw, f"data is not valid base64: {exc}")]
        if not text or text.isspace():
            return [_dead_letter(raw, "empty record: no text to parse")]
        body = text.rstrip("\r\n\x00")
        fmt = self._detect(body) if raw.format in (None, AUTO) else raw.format
        parser = self._parsers.get(fmt)
        if parser is None:
            return [
                _dead_letter(raw, f"unknown format hint {fmt!r}; known: {sorted(self._parsers)}")
            ]
        received_at = _utc(raw.received_at)
        context = ParseContext(received_at, self._zones.get(raw.source, self._default_zone))
        try:
            docs = parser(body, context)
        except ParseError as exc:
            return [_dead_letter(raw, f"{fmt}: {exc.reason}")]
        except Exception as exc:  # a parser defect must cost one record, not the stream
            return [_dead_letter(raw, f"{fmt} parser failed: {type(exc).__name__}: {exc}")]
        if not docs:
            return [_dead_letter(raw, f"{fmt} parser produced no document")]
        return [*self.complete(raw, fmt, docs)]  # widened to handle's type (lists are invariant)

    def complete(self, raw: RawEvent, fmt: str, docs: list[Doc]) -> list[EcsEvent]:
        """The documents parsed from ``raw`` (by a parser, or a file reader such as ``evtx``)
        with ids, tenant and provenance, as ``handle`` returns them."""
        ingested = utc_iso(_utc(raw.received_at))
        text = raw.text()
        return [_finish(doc, n, raw, text, ingested, fmt) for n, doc in enumerate(docs)]


def _finish(doc: Doc, n: int, raw: RawEvent, text: str, ingested: str, fmt: str) -> EcsEvent:
    event = doc.get("event")
    if not isinstance(event, dict):
        event = doc["event"] = {}
    event["id"] = raw.id if n == 0 else derived_id(raw.id, str(n))
    if not isinstance(event.get("original"), str):
        event["original"] = text
    event["ingested"] = ingested
    event.setdefault("kind", "event")
    doc["organization"] = {"id": raw.tenant}
    doc.setdefault("@timestamp", ingested)
    provenance = {"raw_id": raw.id, "source": raw.source, "format": fmt}
    vigie = doc.get("vigie")
    if isinstance(vigie, dict):  # a parser's own markers (repeat_count) stay beside provenance
        vigie.update(provenance)
    else:
        vigie = doc["vigie"] = provenance
    if raw.encoding == "base64" or raw.truncated:
        vigie["flags"] = _flags(raw)
    # event.id and organization.id were set just above from a non-empty id and tenant: that is
    # all EcsEvent validates, so the document is not walked again.
    return EcsEvent.model_construct(doc)


def _flags(raw: RawEvent) -> list[str]:
    flags = ["invalid_utf8"] if raw.encoding == "base64" else []
    return [*flags, "truncated"] if raw.truncated else flags


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _dead_letter(raw: RawEvent, error: str) -> DeadLetter:
    return DeadLetter(
        id=derived_id(STAGE, raw.id),
        tenant=raw.tenant,
        stage=STAGE,
        source_topic=topics.RAW_EVENTS,
        record_id=raw.id,
        source=raw.source,
        error=error[:MAX_ERROR_CHARS],
        payload=raw.model_dump_json(),
        at=raw.received_at,
    )
