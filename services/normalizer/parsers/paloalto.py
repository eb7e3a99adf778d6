"""PAN-OS syslog CSV (PAN-OS 10.x/11.x) → ECS, as Elastic's panw.panos integration maps it.

In: one PAN-OS log record, bare or after a syslog header (BSD or RFC 5424, read with
``syslog.split_header``):
``FUTURE_USE,Receive Time,Serial,Type,Subtype,FUTURE_USE,Generated Time,...`` in the field
order of ``paloalto_fields`` for TRAFFIC, THREAT (url, virus, spyware, vulnerability, file,
wildfire ...), SYSTEM and CONFIG; any other type keeps the common fields.
Fields are RFC 4180 CSV: a quoted value may hold commas and ``""``; commas inside a ``{...}``
value (Link Switches) do not split it; an empty field stays in its position and is absent from
the document (``record_fields`` returns it as ``None``). Times without an offset are in
``ctx.timezone``.

Out (``event.module`` ``panw``, ``event.dataset`` ``panw.panos``): ``@timestamp`` (the high
resolution timestamp, else the receive time, UTC); ``observer.*`` (vendor, product, type,
serial_number, hostname, ingress/egress zone and interface); ``source.*`` / ``destination.*``
(ip, port, nat.ip/port — dropped when 0.0.0.0:0 —, bytes, packets, geo.name from the location
field, user.name exactly as logged, e.g. ``domain\\user``, with user.domain split out, and
user.email); ``user.*`` (the source user); ``network.{transport, application, direction, type,
bytes, packets, community_id}``; ``event.{kind, category, type, action, outcome, severity, code,
start, end, duration}``; ``rule.{name, uuid}``; ``url.*``, ``file.*``, ``http.*``,
``log.level``; ``labels.*`` from the flags bit field; ``related.{ip, user, hosts, hash}``; and
every other field under ``panw.panos`` (``threat.id`` is the Threat ID field as logged,
``threat.name`` its description, "URL-filtering" for 9999; ``direction`` as logged).

``event.action`` is the firewall's Action field (allow, deny, drop, reset-both, alert ...), the
field Sigma's ``action`` maps to; Elastic writes a name derived from the subtype there instead
(``url_filtering``), which stays readable in ``panw.panos.sub_type``. THREAT
``client-to-server`` gives ``network.direction`` inbound and ``server-to-client`` outbound, as
Elastic does.

Errors: ``ParseError`` when no PAN-OS CSV record (a receive time in the second field) is found.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from services.normalizer.parsers import network, syslog, timestamps
from services.normalizer.parsers import paloalto_fields as layout
from services.normalizer.parsers.base import Doc, ParseContext, ParseError, utc_iso
from services.normalizer.parsers.community_id import community_id

_CSV_START = re.compile(
    r"(?:^|(?<=\s))[^,\s]*,(?:[0-9]{4}/[0-9]{2}/[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}"
    r"|[0-9]{4}-[0-9]{2}-[0-9]{2}T[^,\s]+),"
)
# After a comma: a quoted field that ends at a comma (group 1), else plain text up to the next
# comma, a balanced {...} group counting as text (group 2; an unbalanced brace is plain text).
_FIELD = re.compile(r',(?:"((?:[^"]|"")*)"(?=,|\Z)|((?:\{[^{}]*\}|[^,])*))')
_THREAT = re.compile(r"(.*)\(\s*([0-9]+)\s*\)", re.S)
_USER = re.compile(r"(?:([^\\@]*)\\{1,2}(.+)|(.+)@([^@]+))", re.S)


def parse(text: str, ctx: ParseContext) -> list[Doc]:
    start = _csv_start(text)
    fields = split_csv(text[start:])
    log_type = fields[3] or ""
    values = _values(fields, log_type)
    doc: Doc = {"event": {"module": "panw", "dataset": "panw.panos", "kind": "event"}}
    doc["observer"] = dict(layout.OBSERVER)
    if "_serial" in values:
        doc["observer"]["serial_number"] = values["_serial"]
    doc["panw"] = {"panos": _vendor_fields(values)}
    _syslog_header(doc, text[:start].strip(), ctx)
    _times(doc, values, ctx)
    for path, name in layout.COPIES.get(log_type, ()):
        if name in values:
            _put(doc, path, _typed(name, values[name]))
    _classify(doc, values, log_type)
    _network(doc, values, log_type)
    _users(doc, values)
    _threat(doc, values)
    _related(doc, values)
    return [doc]


def record_fields(text: str) -> list[str | None]:
    """The CSV fields of a PAN-OS record (syslog header skipped); ``None`` for an empty one."""
    return split_csv(text[_csv_start(text) :])


def _csv_start(text: str) -> int:
    start = _CSV_START.search(text)
    if start is None:
        raise ParseError("no PAN-OS CSV record (FUTURE_USE,receive time,serial,type,...) found")
    return start.start()


def split_csv(text: str) -> list[str | None]:
    """RFC 4180 fields of one line, ``{...}`` groups kept whole; an empty field is ``None``."""
    if '"' not in text and "{" not in text:
        return [field or None for field in text.split(",")]
    return [
        (quoted.replace('""', '"') if '""' in quoted else quoted) or plain or None
        for quoted, plain in _FIELD.findall("," + text)
    ]


def _values(fields: list[str | None], log_type: str) -> dict[str, str]:
    names = layout.COMMON + layout.LAYOUTS.get(log_type, ())
    values = {name: value for name, value in zip(names, fields, strict=False) if value is not None}
    if log_type == "SYSTEM":  # PAN-OS pads some SYSTEM columns with blanks
        values = {name: value.strip() for name, value in values.items() if value.strip()}
    return values


def _vendor_fields(values: dict[str, str]) -> dict[str, Any]:
    panos: dict[str, Any] = {}
    for name, value in values.items():
        if name == "network.pcap_id" and value == "0":  # "0": no packet capture
            continue
        if not name.startswith("_") and name not in layout.MOVED:
            _put(panos, name, _typed(name, value))
    return panos


def _put(node: dict[str, Any], path: str, value: Any) -> None:
    """``set_field`` with the dotted path split once per path (the paths are a fixed few)."""
    *parents, leaf = _parts(path)
    for part in parents:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[leaf] = value


@lru_cache(maxsize=1024)
def _parts(path: str) -> tuple[str, ...]:
    return tuple(path.split("."))


def _typed(name: str, value: str) -> Any:
    if name in layout.INTEGERS and value.isdigit() and value.isascii() and len(value) <= 18:
        return int(value)  # 18 digits: sums and nanoseconds still fit a signed 64-bit integer
    return value.lower() if name in ("network.application", "protocol") else value


def _syslog_header(doc: Doc, header: str, ctx: ParseContext) -> None:
    if not header:
        return
    wrapper, _ = syslog.split_header(header, ctx)
    if "log" in wrapper:
        doc["log"] = wrapper["log"]
    hostname = wrapper.get("host", {}).get("hostname")
    if hostname:
        doc["observer"]["hostname"] = hostname


def _times(doc: Doc, values: dict[str, str], ctx: ParseContext) -> None:
    panos = doc["panw"]["panos"]
    for name, target in layout.TIMES:
        value = values.get(name)
        if value is None or (name == "_high_res_timestamp" and value.startswith(("1969", "1970"))):
            continue  # PAN-OS 9.1 and older send an epoch placeholder there
        moment = timestamps.parse_iso(value.replace("/", "-", 2), ctx.timezone)
        if moment is not None:
            _put(panos, target, moment)
    stamp = panos.get("high_resolution_timestamp") or panos.get("received_time")
    if stamp:
        doc["@timestamp"] = stamp
    start = timestamps.parse_iso(values.get("start_time", "").replace("/", "-", 2), ctx.timezone)
    elapsed = values.get("elapsed_time", "")
    if start is not None:
        doc["event"]["start"] = start
    if elapsed.isdigit() and elapsed.isascii() and len(elapsed) <= 9:
        doc["event"]["duration"] = int(elapsed) * 1_000_000_000
        end = _later(start, int(elapsed)) if start is not None else None
        if end is not None:
            doc["event"]["end"] = end


def _later(moment: str, seconds: int) -> str | None:
    """``moment`` (a ``timestamps`` UTC string) plus ``seconds``; None past year 9999."""
    try:
        return utc_iso(
            datetime.fromisoformat(moment.removesuffix("Z")) + timedelta(seconds=seconds)
        )
    except (ValueError, OverflowError):
        return None


def _classify(doc: Doc, values: dict[str, str], log_type: str) -> None:
    event = doc["event"]
    event["kind"], categories = layout.CLASSES.get(log_type, ("event", ()))
    if categories:
        event["category"] = list(categories)
    types: list[str] = []
    action = values.get("action", "").replace(" ", "-").lower()  # "reset both" → "reset-both"
    if action:
        doc["panw"]["panos"]["action"] = event["action"] = action
        if action in layout.ALLOWED or action in layout.DENIED:
            types.append("allowed" if action in layout.ALLOWED else "denied")
        successes = layout.ALLOWED if log_type == "THREAT" else ("allow",)
        event["outcome"] = "success" if action in successes else "failure"
    if log_type == "TRAFFIC":
        sessions = layout.SESSION_TYPES.get(values.get("sub_type", ""), [])
        types += [kind for kind in sessions if kind not in types]
    if types:
        event["type"] = types
    if log_type == "CONFIG":
        _config(event, values)
    level = doc.get("log", {}).get("level")
    if isinstance(level, str):
        doc["log"]["level"] = level = level.lower()
        if level in layout.SEVERITIES:
            event["severity"] = layout.SEVERITIES[level]


def _config(event: dict[str, Any], values: dict[str, str]) -> None:
    if "cmd" in values:
        event["action"] = f"cmd-{values['cmd']}"
    outcome = {"Succeeded": "success", "Failed": "failure"}.get(values.get("result", ""))
    event["outcome"] = outcome or "unknown"


def _network(doc: Doc, values: dict[str, str], log_type: str) -> None:
    panos = doc["panw"]["panos"]
    for side in ("source", "destination"):
        nat = doc.get(side, {}).get("nat", {})
        if nat.get("ip") == "0.0.0.0" and nat.get("port") == 0:  # PAN-OS: no translation
            del doc[side]["nat"]
    flags = _flags(values.get("_labels"))
    labels = {name: True for name, bit in layout.LABELS.items() if flags & bit}
    if labels:
        doc["labels"] = labels
    if flags & layout.LABELS["x_forwarded_for"] and "_srcuser" in values:
        panos["x_forwarded_for"] = values.pop("_srcuser")
    source_ip = doc.get("source", {}).get("ip", "")
    if "ipv6_session" in labels or ":" in source_ip:
        _put(doc, "network.type", "ipv6")
    elif "." in source_ip:
        _put(doc, "network.type", "ipv4")
    if log_type == "THREAT":
        _threat_network(doc, values)
    if values.get("http2_connection", "0") != "0":
        _put(doc, "http.version", "2")
    _community_ids(doc)


def _flags(value: str | None) -> int:
    try:
        return int(value, 16) if value and value[:2] in ("0x", "0X") else int(value or 0)
    except ValueError:
        return 0


def _threat_network(doc: Doc, values: dict[str, str]) -> None:
    panos = doc["panw"]["panos"]
    direction = values.get("_direction")
    _put(doc, "network.direction", layout.DIRECTIONS.get(direction or "", "unknown"))
    if direction:
        panos["direction"] = direction
    forwarded = values.get("_forwarded_ip")
    if forwarded and network.is_ip(forwarded):
        _put(doc, "network.forwarded_ip", forwarded)
    elif forwarded:
        panos["x_forwarded_for"] = forwarded
    misc, sub_type = panos.get("misc"), values.get("sub_type")
    if misc and sub_type == "url":
        _url(doc, panos.pop("misc"))
    elif misc and sub_type in layout.FILE_SUBTYPES:
        name = re.split(r"[/\\]", panos.pop("misc"))[-1]
        doc["file"] = {**doc.get("file", {}), "name": name}
        if name != misc:
            doc["file"]["path"] = misc


def _url(doc: Doc, original: str) -> None:
    """A scheme-less PAN-OS URL (``host[:port]/path?query``), split as Elastic's script does."""
    url: dict[str, Any] = {"original": original}
    host, slash, rest = original.partition("/")
    path, question, query = (slash + rest).partition("?")
    if not slash:
        host, question, query = original.partition("?")
    if slash:
        url["path"] = path
        extension = path.rpartition("/")[2].rpartition(".")[2] if "." in path else ""
        if extension:
            url["extension"] = extension
    if question:
        url["query"] = query
    domain, colon, port = host.partition(":")
    url["domain"] = domain
    if colon and port.isdigit() and port.isascii():
        url["port"] = int(port)
    elif not colon:
        _put(doc, "destination.domain", domain)
    doc["url"] = url


def _community_ids(doc: Doc) -> None:
    transport = doc.get("network", {}).get("transport")
    source, destination = doc.get("source", {}), doc.get("destination", {})
    ids = []
    for ends in ((source, destination), (source.get("nat", {}), destination.get("nat", {}))):
        if ends[0].get("port") and ends[1].get("port"):  # Elastic skips a zero or missing port
            ids.append(community_id(transport, ends[0].get("ip"), ends[0].get("port"),
                                    ends[1].get("ip"), ends[1].get("port")))  # fmt: skip
    if ids and ids[0]:
        _put(doc, "network.community_id", ids[0])
    if len(ids) == 2 and ids[1]:
        _put(doc, "panw.panos.network.nat.community_id", ids[1])
        if ids[1] != ids[0]:
            doc["network"]["community_id"] = [c for c in ids if c]


def _users(doc: Doc, values: dict[str, str]) -> None:
    for side, name in (("source", "_srcuser"), ("destination", "_dstuser")):
        if name in values:
            doc.setdefault(side, {}).setdefault("user", {}).update(_user(values[name]))
    if "user" in doc.get("source", {}):
        doc["user"] = {**doc.get("user", {}), **doc["source"]["user"]}


def _user(logged: str) -> dict[str, str]:
    """The user as logged (``domain\\user``, ``user@domain`` or a bare name) and its domain."""
    user = {"name": logged}
    match = _USER.fullmatch(logged)
    domain = match and (match.group(1) or match.group(4))
    if domain:
        user["domain"] = domain
    return user


def _threat(doc: Doc, values: dict[str, str]) -> None:
    logged = values.get("_threat")
    if logged is None:
        return
    threat = {"id": logged, "name": logged}
    match = _THREAT.fullmatch(logged)
    if match:
        threat["name"] = "URL-filtering" if match.group(2) == "9999" else match.group(1).strip()
    doc["panw"]["panos"]["threat"] = threat


def _related(doc: Doc, values: dict[str, str]) -> None:
    if "ruleset" in values:
        doc["rule"] = {**doc.get("rule", {}), "name": values["ruleset"]}
    if "device_name" in values:
        doc["observer"]["hostname"] = values["device_name"]
    if "host.ip" in values:
        doc["host"] = {"ip": [values["host.ip"]]}
    source, destination = doc.get("source", {}), doc.get("destination", {})
    network.add_related(doc, "ip", source.get("ip"), source.get("nat", {}).get("ip"),
                        destination.get("ip"), destination.get("nat", {}).get("ip"),
                        values.get("host.ip"), values.get("xff.ip"),
                        doc.get("network", {}).get("forwarded_ip"))  # fmt: skip
    network.add_related(doc, "user", source.get("user", {}).get("name"),
                        destination.get("user", {}).get("name"), values.get("admin"))  # fmt: skip
    network.add_related(doc, "hosts", doc["observer"].get("hostname"), values.get("dst.host"),
                        values.get("src.host"))  # fmt: skip
    network.add_related(doc, "hash", values.get("file.hash"))
