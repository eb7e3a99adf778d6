"""ArcSight Common Event Format (CEF 0 and 1) → ECS, as Elastic's ``cef`` integration maps it.

In: ``CEF:Version|Device Vendor|Device Product|Device Version|Device Event Class ID|Name|Severity|
Extension``, optionally after a syslog header. Header fields: ``\\|`` is a pipe and ``\\\\`` a
backslash. Extension: ``key=value`` pairs; a value runs up to the space before the next
unescaped ``key=`` (so it may hold spaces), ``\\=``, ``\\\\``, ``\\n`` and ``\\r`` are unescaped.

Out: ``cef.version``, ``cef.device_event_class_id``, ``cef.name``, ``cef.severity`` (strings as
written), ``cef.extensions`` (every pair, keys as the sender wrote them), ``observer.vendor/
product/version``, ``event.code`` (class id), ``event.severity`` (0-10 when numeric),
``event.module`` ``cef``, ``event.dataset`` ``cef.log``, the mapped extensions of ``cef_fields``
(``source.*``, ``destination.*``, ``network.*``, ``user``/``url``/``http``/``file``/``host``/
``observer`` fields, ``message``, ``event.action/outcome``), ``@timestamp`` from ``rt`` (else the
syslog header), ``event.start/end/created``, ``labels.<label>`` from ``cs1..cs6``/``cn1..cn3``/
``cfp1..cfp4``/``flexString1..2`` and their ``...Label``, ``source|destination.geo.location``
from ``slat/slong``/``dlat/dlong``, ``related.ip/user/hash``,
``network.community_id``.

Errors: ``ParseError`` without a ``CEF:`` marker or with fewer than 7 header fields.
"""

from __future__ import annotations

import re
from typing import Any

from schemas.ecs import set_field
from services.normalizer.parsers import cef_fields, fieldmap, interchange, network
from services.normalizer.parsers.base import Doc, ParseContext, ParseError

MODULE, DATASET = "cef", "cef.log"
_MARKER = re.compile(r"CEF:\s?(?=[0-9]+\|)")
_KEY = re.compile(r"(?:^|(?<= ))([A-Za-z0-9_.\[\]-]+)=")
_ESCAPE = re.compile(r"\\([=\\nr])")
_UNESCAPED = {"=": "=", "\\": "\\", "n": "\n", "r": "\r"}
_LABEL_SUFFIX = "Label"


def parse(text: str, ctx: ParseContext) -> list[Doc]:
    marker = _MARKER.search(text)
    if marker is None:
        raise ParseError("no CEF: marker followed by a version")
    header = interchange.header_fields(text, marker.end(), 7)
    if header is None:
        raise ParseError("a CEF header has 7 |-terminated fields")
    (version, vendor, product, device_version, class_id, name, severity), end = header
    extensions = extension_pairs(text[end:])
    doc: Doc = interchange.syslog_prefix(text[: marker.start()], ctx)
    doc["event"] = {"module": MODULE, "dataset": DATASET, "kind": "event", "code": class_id}
    if (level := network.integer(severity.strip())) is not None and 0 <= level <= 10:
        doc["event"]["severity"] = level
    observer = {"vendor": vendor, "product": product, "version": device_version}
    doc["observer"] = {key: value for key, value in observer.items() if value}
    doc["cef"] = {
        "version": version, "device_event_class_id": class_id, "name": name,
        "severity": severity, "extensions": extensions,
    }  # fmt: skip
    _map_extensions(doc, extensions, ctx)
    _related(doc, extensions)
    return [doc]


def extension_pairs(extension: str) -> dict[str, str]:
    """The ``key=value`` pairs of a CEF extension, values unescaped and without trailing spaces."""
    keys = list(_KEY.finditer(extension))
    pairs: dict[str, str] = {}
    for n, key in enumerate(keys):
        end = keys[n + 1].start() if n + 1 < len(keys) else len(extension)
        value = extension[key.end() : end].rstrip(" ")
        pairs[key.group(1)] = _ESCAPE.sub(_unescape, value) if "\\" in value else value
    return pairs


def _unescape(match: re.Match[str]) -> str:
    return _UNESCAPED[match.group(1)]


def _map_extensions(doc: Doc, extensions: dict[str, str], ctx: ParseContext) -> None:
    hostname = doc.pop("host", {}).get("hostname")  # the syslog sender, unless dvchost says
    fieldmap.move(doc, dict(extensions), cef_fields.PLAN)
    if hostname and "hostname" not in doc.get("host", {}):
        doc.setdefault("host", {})["hostname"] = hostname
    for key in cef_fields.TRANSPORT_KEYS:
        if key in extensions:
            doc.setdefault("network", {}).update(network.transport_fields(extensions[key]))
    for key, path in cef_fields.TIMES.items():
        if key in extensions and (moment := interchange.vendor_time(extensions[key], ctx)):
            set_field(doc, path, moment)  # the device time beats the syslog header
    for side, (lat, lon) in cef_fields.GEO_KEYS.items():
        location = _location(extensions.get(lat), extensions.get(lon))
        if location is not None:
            doc.setdefault(side, {})["geo"] = {"location": location}
    labels = _labels(extensions)
    if labels:
        doc["labels"] = labels


def _location(lat: str | None, lon: str | None) -> dict[str, float] | None:
    try:
        latitude, longitude = float(lat or "nan"), float(lon or "nan")
    except ValueError:
        return None
    if -90 <= latitude <= 90 and -180 <= longitude <= 180:  # also rejects NaN
        return {"lat": latitude, "lon": longitude}
    return None


def _labels(extensions: dict[str, str]) -> dict[str, str]:
    """``cs1Label=Policy cs1=Default`` → ``{"Policy": "Default"}``: custom fields by label."""
    labels: dict[str, str] = {}
    for key, label in extensions.items():
        if not key.endswith(_LABEL_SUFFIX) or not label.strip():
            continue
        value = extensions.get(key[: -len(_LABEL_SUFFIX)])
        if value is not None:
            labels[label.strip().replace(".", "_")] = value
    return labels


def _related(doc: Doc, extensions: dict[str, str]) -> None:
    source: dict[str, Any] = doc.get("source", {})
    destination: dict[str, Any] = doc.get("destination", {})
    network.add_related(doc, "ip", destination.get("ip"), destination.get("nat", {}).get("ip"))
    network.add_related(doc, "ip", source.get("ip"), source.get("nat", {}).get("ip"))
    network.add_related(
        doc, "user", destination.get("user", {}).get("name"), source.get("user", {}).get("name")
    )
    network.add_related(doc, "hosts", doc.get("observer", {}).get("hostname"))
    network.add_related(doc, "hash", *(extensions.get(key) for key in cef_fields.HASH_KEYS))
    network.set_community_id(doc)
