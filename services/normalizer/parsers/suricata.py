"""Suricata EVE JSON (one event per record, Suricata 4 to 8) → ECS, as Elastic's suricata.eve.

In: an EVE JSON object with an ``event_type``; ``timestamp`` is ``%Y-%m-%dT%H:%M:%S.%f%z`` (an
offset without colon, ``-0500``, ``+0530``; one with a colon or ``Z`` is read too; microseconds
are kept). Every event type is accepted; alert, flow, dns (v1 one answer per event, v2 grouped
and detailed answers, v3 ``queries``), http, tls, fileinfo and stats get their own fields.

Out (``event.module`` ``suricata``, ``event.dataset`` ``suricata.eve``): ``@timestamp`` (UTC);
``source.*`` / ``destination.*`` (address, ip when it is one, port, packets, bytes, domain);
``network.{transport, protocol, community_id, bytes, packets}``; ``event.{kind, category, type,
severity, outcome, start, end, duration}``; ``rule.{id, name, category}`` and ``message`` for
alerts; ``http.*``, ``url.*``, ``user_agent.original``, ``file.{path, size}``; ``dns.*`` and
``tls.*`` (see ``suricata_protocols``); ``related.{ip,
hosts, hash}``; and the rest of the event under ``suricata.eve`` (``flow_id`` as a string), less
what Elastic moves to ECS fields.

Errors: ``ParseError`` when the text is not a JSON object with a string ``event_type``. A field
of an unexpected type is left where it is (under ``suricata.eve``) and not mapped.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import orjson

from schemas.ecs import set_field
from services.normalizer.parsers import network, suricata_protocols, timestamps
from services.normalizer.parsers.base import Doc, ParseContext, ParseError
from services.normalizer.parsers.community_id import community_id

# event_type → (event fields, network.protocol), from Elastic's pipeline parameters.
_WEB = {"category": ["network", "web"], "type": ["access", "protocol"]}
_PROTOCOLS = (
    "dns",
    "ftp",
    "ikev2",
    "krb5",
    "mqtt",
    "smb",
    "smtp",
    "snmp",
    "ssh",
    "tftp",
    "tls",
    "rdp",
)
EVENT_TYPES: dict[str, tuple[dict[str, Any], str | None]] = {
    "alert": ({"kind": "alert", "category": ["network", "intrusion_detection"]}, None),
    "flow": ({"type": ["connection"]}, None),
    "http": (_WEB, "http"),
    "http2": (_WEB, "http"),
    "stats": ({"kind": "metric"}, None),
    "ftp_data": ({"type": ["protocol"]}, "ftp"),
    "rfb": ({"type": ["protocol"]}, "rdp"),
    **{name: ({"type": ["protocol"]}, name) for name in _PROTOCOLS},
}
_FLOW_COUNTERS = (
    ("pkts_toserver", "source.packets"),
    ("pkts_toclient", "destination.packets"),
    ("bytes_toserver", "source.bytes"),
    ("bytes_toclient", "destination.bytes"),
)
_NO_PROTOCOL = ("failed", "template", "template-rust")
_URL = re.compile(r"([^?#]*)(?:\?([^#]*))?(?:#(.*))?", re.S)


def parse(text: str, ctx: ParseContext) -> list[Doc]:
    try:
        eve = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise ParseError(f"not JSON: {exc}") from None
    if not isinstance(eve, dict) or not isinstance(eve.get("event_type"), str):
        raise ParseError("not a Suricata EVE event: no event_type")
    event_type = eve["event_type"] = eve["event_type"].lower()
    doc: Doc = {"event": {"module": "suricata", "dataset": "suricata.eve", "kind": "event",
                          "category": ["network"]}}  # fmt: skip
    _timestamp(doc, eve, ctx)
    _endpoints(doc, eve)
    _event_type(doc, eve, event_type)
    for mapper in (_alert, _flow, _http, _fileinfo, suricata_protocols.dns, suricata_protocols.tls):
        mapper(doc, eve)
    _related(doc)
    doc["suricata"] = {"eve": eve}
    return [doc]


def _timestamp(doc: Doc, eve: dict[str, Any], ctx: ParseContext) -> None:
    stamp = eve.pop("timestamp", None)
    moment = timestamps.parse_iso(stamp, ctx.timezone) if isinstance(stamp, str) else None
    if moment is not None:
        doc["@timestamp"] = moment


def _endpoints(doc: Doc, eve: dict[str, Any]) -> None:
    for side, prefix in (("source", "src"), ("destination", "dest")):
        address, port = eve.pop(f"{prefix}_ip", None), eve.pop(f"{prefix}_port", None)
        endpoint: dict[str, Any] = {}
        if isinstance(address, str):
            endpoint["address"] = address
            if network.is_ip(address):
                endpoint["ip"] = address
        if _is_int(port):
            endpoint["port"] = port
        if endpoint:
            doc[side] = endpoint
    net: dict[str, Any] = {}
    proto = eve.pop("proto", None)
    if isinstance(proto, str):
        net["transport"] = proto.lower()
    source, destination = doc.get("source", {}), doc.get("destination", {})
    flow = community_id(net.get("transport"), source.get("ip"), source.get("port"),
                        destination.get("ip"), destination.get("port"))  # fmt: skip
    if flow:
        net["community_id"] = flow
    doc["network"] = net
    if _is_int(eve.get("flow_id")):
        eve["flow_id"] = str(eve["flow_id"])


def _event_type(doc: Doc, eve: dict[str, Any], event_type: str) -> None:
    fields, protocol = EVENT_TYPES.get(event_type, ({}, None))
    doc["event"].update({k: list(v) if isinstance(v, list) else v for k, v in fields.items()})
    app_proto = eve.pop("app_proto", None)
    if isinstance(app_proto, str) and app_proto.lower() not in _NO_PROTOCOL:
        protocol = "ftp" if app_proto.lower() == "ftp-data" else app_proto.lower()
    if protocol:
        doc["network"]["protocol"] = protocol


def _alert(doc: Doc, eve: dict[str, Any]) -> None:
    alert = eve.get("alert")
    if not isinstance(alert, dict):
        return
    rule = {}
    for key, field in (("category", "category"), ("signature_id", "id"), ("signature", "name")):
        value = alert.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool) and value != "":
            rule[field] = str(value)
    if rule:
        doc["rule"] = rule
    if isinstance(alert.get("category"), str):
        doc["message"] = alert["category"]
    action = alert.pop("action", None)
    if isinstance(action, str):
        doc["event"].setdefault("type", []).append("denied" if action == "blocked" else action)
    if _is_int(alert.get("severity")):
        doc["event"]["severity"] = alert.pop("severity")


def _flow(doc: Doc, eve: dict[str, Any]) -> None:
    flow = eve.get("flow")
    if not isinstance(flow, dict):
        return
    for key, path in _FLOW_COUNTERS:
        if _is_int(flow.get(key)):
            set_field(doc, path, flow.pop(key))
    _flow_totals(doc)
    event = doc["event"]
    for key in ("start", "end"):
        value = flow.pop(key, None)
        moment = timestamps.parse_iso(value, UTC) if isinstance(value, str) else None
        if moment is not None:
            event[key] = moment
    if "start" in event and "end" in event:
        duration = _nanoseconds(event["end"]) - _nanoseconds(event["start"])
        if duration >= 0:
            event["duration"] = duration
    state = {"new": "start", "closed": "end"}.get(str(flow.get("state")))
    if state:
        event.setdefault("type", []).append(state)


def _flow_totals(doc: Doc) -> None:
    source, destination = doc.get("source", {}), doc.get("destination", {})
    for total in ("bytes", "packets"):
        value = source.get(total, 0) + destination.get(total, 0)
        if 0 < value < 2**63:  # two 64-bit counters may sum past what JSON encoders write
            doc["network"][total] = value


def _http(doc: Doc, eve: dict[str, Any]) -> None:
    http = eve.get("http")
    if not isinstance(http, dict):
        return
    status = http.pop("status", None)
    if _is_int(status):
        set_field(doc, "http.response.status_code", status)
        if eve["event_type"] == "http":
            doc["event"]["outcome"] = "success" if status < 400 else "failure"
    for key, path in (("http_method", "http.request.method"),
                      ("http_refer", "http.request.referrer"),
                      ("http_user_agent", "user_agent.original")):  # fmt: skip
        if isinstance(http.get(key), str):
            set_field(doc, path, http.pop(key))
    if _is_int(http.get("length")):
        set_field(doc, "http.response.body.bytes", http.pop("length"))
    hostname = http.pop("hostname", None)
    if isinstance(hostname, str):
        doc.setdefault("destination", {})["domain"] = hostname
        if doc["network"].get("protocol") == "http":
            set_field(doc, "url.domain", hostname)
    if isinstance(http.get("url"), str):
        _url(doc, http.pop("url"))


def _url(doc: Doc, original: str) -> None:
    path, query, fragment = _URL.match(original).groups()  # type: ignore[union-attr]
    url = doc.setdefault("url", {})
    url["original"] = original
    url["path"] = path
    for key, value in (("query", query), ("fragment", fragment)):
        if value:
            url[key] = value


def _fileinfo(doc: Doc, eve: dict[str, Any]) -> None:
    info = eve.get("fileinfo")
    if not isinstance(info, dict):
        return
    if isinstance(info.get("filename"), str):
        set_field(doc, "file.path", info.pop("filename"))
    if _is_int(info.get("size")):
        set_field(doc, "file.size", info.pop("size"))


def _related(doc: Doc) -> None:
    related: dict[str, list[Any]] = {}
    ips = [doc.get(side, {}).get("ip") for side in ("source", "destination")]
    ips += doc.get("dns", {}).get("resolved_ip", [])
    hosts = [
        doc.get("url", {}).get("domain"),
        doc.get("tls", {}).get("client", {}).get("server_name"),
    ]
    server = doc.get("tls", {}).get("server", {})
    hashes = [server.get("hash", {}).get("sha1"), server.get("ja3s"),
              doc.get("tls", {}).get("client", {}).get("ja3")]  # fmt: skip
    for name, values in (("ip", ips), ("hosts", hosts), ("hash", hashes)):
        unique = list(dict.fromkeys(v for v in values if isinstance(v, str) and v))
        if unique:
            related[name] = unique
    if related:
        doc["related"] = related


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _nanoseconds(iso: str) -> int:
    """Nanoseconds since the epoch of a ``timestamps`` UTC string (all fraction digits kept)."""
    seconds, _, fraction = iso.removesuffix("Z").partition(".")
    whole = int(datetime.fromisoformat(seconds).replace(tzinfo=UTC).timestamp())
    return whole * 1_000_000_000 + int((fraction + "000000000")[:9])
