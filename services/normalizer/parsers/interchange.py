"""Pieces shared by the SIEM interchange formats (``cef``, ``leef``): pure helpers, no format rules.

* ``syslog_prefix``: the syslog header fields of whatever precedes the ``CEF:``/``LEEF:`` marker
  (``@timestamp``, ``log.syslog.*``, ``host.hostname``), or nothing when the marker starts the text.
* ``header_fields``: ``n`` ``|``-terminated header fields with ``\\|`` and ``\\\\`` unescaped, and
  where the rest begins (None when there are fewer than ``n``).
* ``vendor_time``: the time formats ArcSight and QRadar devices write (epoch milliseconds,
  ``MMM dd [yyyy] HH:mm:ss[.SSS] [zone]``, ISO 8601) as ISO 8601 UTC, None when invalid.
"""

from __future__ import annotations

import re
from datetime import UTC

from services.normalizer.parsers import syslog, timestamps
from services.normalizer.parsers.base import Doc, ParseContext

_HEADER_FIELD = re.compile(r"((?:[^|\\]|\\.)*+)\|", re.DOTALL)
_HEADER_ESCAPE = re.compile(r"\\([|\\])")
_BSD_TIME = re.compile(
    r"([A-Za-z]{3}) {1,2}([0-9]{1,2})(?: ([0-9]{4}))? ([0-9]{2}:[0-9]{2}:[0-9]{2})"
    r"(?:\.([0-9]{1,9}))?(?: ([A-Za-z]{1,5}))?"
)
_UTC_NAMES = frozenset({"UTC", "GMT", "Z"})


def syslog_prefix(prefix: str, ctx: ParseContext) -> Doc:
    if not prefix.strip():
        return {}
    header, _ = syslog.split_header(prefix, ctx)
    fields: Doc = {k: header[k] for k in ("@timestamp", "host") if k in header}
    if "log" in header:
        fields["log"] = {"syslog": header["log"]["syslog"]}
    return fields


def header_fields(text: str, start: int, count: int) -> tuple[list[str], int] | None:
    """``count`` header fields from ``start``, unescaped, and the offset after the last ``|``."""
    fields: list[str] = []
    pos = start
    for _ in range(count):
        match = _HEADER_FIELD.match(text, pos)
        if match is None:
            return None
        value = match.group(1)
        fields.append(_HEADER_ESCAPE.sub(r"\1", value) if "\\" in value else value)
        pos = match.end()
    return fields, pos


def vendor_time(value: str, ctx: ParseContext) -> str | None:
    """A zone name other than UTC/GMT/Z is not trusted (abbreviations are ambiguous): the
    source's timezone applies, as for times without a zone."""
    value = value.strip()
    if value.isdigit():
        return timestamps.parse_epoch(value) if len(value) >= 10 else None
    bsd = _BSD_TIME.fullmatch(value)
    if bsd is None:
        return timestamps.parse_iso(value, ctx.timezone)
    month, day, year, hms, frac, zone = bsd.groups()
    tz = UTC if zone is not None and zone.upper() in _UTC_NAMES else ctx.timezone
    return timestamps.parse_bsd(month, day, hms, frac, year, zone=tz, received_at=ctx.received_at)
