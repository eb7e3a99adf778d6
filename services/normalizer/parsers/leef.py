"""IBM QRadar Log Event Extended Format (LEEF 1.0 and 2.0) → ECS.

In: ``LEEF:1.0|Vendor|Product|Version|EventID|<attributes>`` or
``LEEF:2.0|Vendor|Product|Version|EventID|<delimiter>|<attributes>``, optionally after a syslog
header. The 2.0 delimiter is one character or its hex code ``xHH``/``0xHH``; empty means tab, and
a sender that leaves the field out (its 6th ``|``-field already holds ``key=value``) gets tab too.
LEEF 1.0 attributes are tab-separated. Only the header is split on ``|``: a pipe in an attribute
value is text. Each attribute's key ends at its first ``=``; a piece without ``=`` belongs to the
previous value (a delimiter inside a value is kept).

Out: ``leef.version``, ``leef.delimiter``, ``leef.attributes`` (keys as written),
``observer.vendor/product/version``, ``event.code`` (EventID), ``event.module`` ``leef``,
``event.dataset`` ``leef.log``, the predefined attributes in ECS (``src``/``dst``/``srcPort``/
``dstPort``/``*PostNAT*``/``srcMAC``/``dstMAC`` → ``source.*``/``destination.*``, ``proto`` →
``network.transport``, ``sev`` → ``event.severity``, ``usrName`` → ``user.name``, ``role`` →
``user.roles``, ``identHostName`` → ``host.hostname``, ``*Bytes``/``*Packets``, ``url``,
``policy`` → ``rule.name``, ``msg`` → ``message``), ``@timestamp`` from ``devTime`` (epoch
milliseconds, ``MMM dd yyyy HH:mm:ss[.SSS] [UTC]`` or ISO 8601) else the syslog header,
``related.ip/user``, ``network.community_id``.

Errors: ``ParseError`` without a ``LEEF:`` marker, with a short header, or with a 2.0 delimiter
field that is neither a character, a hex code nor attributes.
"""

from __future__ import annotations

import re
from typing import Any

from services.normalizer.parsers import fieldmap, interchange, network
from services.normalizer.parsers.base import Doc, ParseContext, ParseError

MODULE, DATASET = "leef", "leef.log"
_MARKER = re.compile(r"LEEF:\s?(?=[0-9]+(?:\.[0-9]+)?\|)")
_HEX = re.compile(r"(?:0x|x)([0-9A-Fa-f]{2,4})", re.IGNORECASE)
_TAB = "\t"


def _ip(value: str) -> str | None:
    return value if network.is_ip(value) else None


def _severity(value: str) -> int | None:
    number = network.integer(value.strip())
    return number if number is not None and 0 <= number <= 10 else None


TABLE: dict[str, tuple[str, Any]] = {
    "src": ("source.ip", _ip),
    "srcPort": ("source.port", network.port),
    "srcPostNAT": ("source.nat.ip", _ip),
    "srcPostNATPort": ("source.nat.port", network.port),
    "srcMAC": ("source.mac", lambda v: v.upper().replace(":", "-")),
    "srcBytes": ("source.bytes", network.integer),
    "srcPackets": ("source.packets", network.integer),
    "dst": ("destination.ip", _ip),
    "dstPort": ("destination.port", network.port),
    "dstPostNAT": ("destination.nat.ip", _ip),
    "dstPostNATPort": ("destination.nat.port", network.port),
    "dstMAC": ("destination.mac", lambda v: v.upper().replace(":", "-")),
    "dstBytes": ("destination.bytes", network.integer),
    "dstPackets": ("destination.packets", network.integer),
    "totalPackets": ("network.packets", network.integer),
    "sev": ("event.severity", _severity),
    "usrName": ("user.name", str),
    "role": ("user.roles", lambda v: [v]),
    "identHostName": ("host.hostname", str),
    "url": ("url.original", str),
    "policy": ("rule.name", str),
    "msg": ("message", str),
}
PLAN = fieldmap.plan(TABLE)


def parse(text: str, ctx: ParseContext) -> list[Doc]:
    marker = _MARKER.search(text)
    if marker is None:
        raise ParseError("no LEEF: marker followed by a version")
    header = interchange.header_fields(text, marker.end(), 5)
    if header is None:
        raise ParseError("a LEEF header has 5 |-terminated fields before the attributes")
    (version, vendor, product, device_version, event_id), end = header
    delimiter, end = _delimiter(text, end) if version.startswith("2") else (_TAB, end)
    attributes = attribute_pairs(text[end:], delimiter)
    doc: Doc = interchange.syslog_prefix(text[: marker.start()], ctx)
    doc["event"] = {"module": MODULE, "dataset": DATASET, "kind": "event", "code": event_id}
    observer = {"vendor": vendor, "product": product, "version": device_version}
    doc["observer"] = {key: value for key, value in observer.items() if value}
    doc["leef"] = {"version": version, "delimiter": delimiter, "attributes": attributes}
    fieldmap.move(doc, dict(attributes), PLAN)
    if "proto" in attributes:
        doc.setdefault("network", {}).update(network.transport_fields(attributes["proto"]))
    if "devTime" in attributes and (moment := interchange.vendor_time(attributes["devTime"], ctx)):
        doc["@timestamp"] = moment
    _related(doc)
    return [doc]


def _delimiter(text: str, start: int) -> tuple[str, int]:
    """The LEEF 2.0 delimiter and where the attributes begin (the field may be left out)."""
    field = interchange.header_fields(text, start, 1)
    if field is None or "=" in field[0][0]:
        return _TAB, start
    value, end = field[0][0], field[1]
    if not value:
        return _TAB, end
    hex_code = _HEX.fullmatch(value)
    if hex_code is not None:
        code = int(hex_code.group(1), 16)
        if 0 < code < 0xD800:
            return chr(code), end
    if len(value) == 1:
        return value, end
    raise ParseError(f"LEEF 2.0 delimiter {value[:16]!r} is neither a character nor xHH")


def attribute_pairs(attributes: str, delimiter: str) -> dict[str, str]:
    """``key=value`` attributes split on ``delimiter``; a piece without ``=`` extends the value."""
    pairs: dict[str, str] = {}
    last: str | None = None
    for piece in attributes.split(delimiter):
        key, equals, value = piece.partition("=")
        if equals and key.strip():
            last = key.strip()
            pairs[last] = value
        elif last is not None and piece:
            pairs[last] += delimiter + piece
    return pairs


def _related(doc: Doc) -> None:
    source: dict[str, Any] = doc.get("source", {})
    destination: dict[str, Any] = doc.get("destination", {})
    network.add_related(doc, "ip", source.get("ip"), source.get("nat", {}).get("ip"))
    network.add_related(doc, "ip", destination.get("ip"), destination.get("nat", {}).get("ip"))
    network.add_related(doc, "user", doc.get("user", {}).get("name"))
    network.set_community_id(doc)
