"""FortiGate FortiOS 5.6–7.6 ``key=value`` logs (traffic, utm, event, dns types) → ECS, as
Elastic's ``fortinet_fortigate`` integration maps them.

In: the record with or without a syslog header (``<189>date=...``, ``<ISO time> <host> date=...``);
values are bare or double-quoted (see ``kv``: key=value text inside quotes is data).

Out: ``event.module`` ``fortinet_fortigate``, ``event.dataset`` ``fortinet_fortigate.log``,
``event.kind/category/type/outcome/action/code/reason/start/duration/timezone``, ``@timestamp``
(``date`` + ``time`` + ``tz``; without ``tz`` in the source's timezone), ``source.*``,
``destination.*`` (VPN logs: the remote peer is the source), ``network.*`` (direction as written,
else from private-ness of both addresses), ``observer.*``, ``rule.*``, ``url.*``, ``user.*``,
``http.*``, ``dns.*``, ``file.*``, ``log.level``, ``message``, ``related.*``; every other field
under ``fortinet.firewall.*`` as a string (``N/A`` and empty values dropped; ``advpnsc`` boolean).

Errors: ``ParseError`` when the text carries none of FortiOS's identifying keys.
"""

from __future__ import annotations

import re
from typing import Any

from services.normalizer.parsers import fieldmap, fortigate_fields, kv, network, syslog, timestamps
from services.normalizer.parsers.base import Doc, ParseContext, ParseError

MODULE, DATASET = "fortinet_fortigate", "fortinet_fortigate.log"
_IDENTIFYING = ("logid", "devid", "devname", "type")
_TZ = re.compile(r"(?:[A-Za-z]{1,4})?([+-])([0-9]{1,2}):?([0-9]{2})")
_UTC_NAMES = frozenset({"UTC", "GMT", "Z"})
_LOGIN_MESSAGE = re.compile(
    r"(?P<role>\S+) (?P<user>\S+) (?:login (?P<failed>\S+)|logged in (?P<ok>\S+)) from",
    re.IGNORECASE,
)
_DIRECTIONS = {"outgoing": "outbound", "incoming": "inbound"}
_ECS_DIRECTIONS = frozenset({"ingress", "egress", "inbound", "outbound", "internal", "external"})


def parse(text: str, ctx: ParseContext) -> list[Doc]:
    start = kv.body_start(text)
    if start < 0:
        raise ParseError("no key=value fields: not a FortiOS log")
    fields = {k: v for k, v in kv.pairs(text[start:]).items() if v and v != "N/A"}
    if not any(key in fields for key in _IDENTIFYING):
        raise ParseError("no FortiOS identifying field (logid, devid, devname or type)")
    header, _ = syslog.split_header(text[:start], ctx) if start else ({}, "")
    doc = _base(fields, header, ctx)
    _map_fields(doc, fields)
    _classify(doc, fields)
    _finish(doc, fields)
    firewall: dict[str, Any] = fields
    if "advpnsc" in firewall:  # Elastic's one boolean among FortiOS's strings
        firewall["advpnsc"] = firewall["advpnsc"] != "0"
    doc["fortinet"] = {"firewall": firewall}
    return [doc]


def _base(fields: dict[str, str], header: Doc, ctx: ParseContext) -> Doc:
    doc: Doc = {
        "event": {"module": MODULE, "dataset": DATASET, "kind": "event"},
        "observer": {"vendor": "Fortinet", "product": "Fortigate", "type": "firewall"},
    }
    if "log" in header:
        doc["log"] = {"syslog": header["log"]["syslog"]}
    hostname = header.get("host", {}).get("hostname")
    if hostname and "devname" not in fields:
        doc["observer"]["name"] = hostname
    offset = _offset(fields.get("tz", ""))
    if offset is not None:
        doc["event"]["timezone"] = offset.replace(":", "")
    moment = _local_time(fields, offset, ctx) or header.get("@timestamp")
    if moment is not None:
        doc["@timestamp"] = moment
    start = timestamps.parse_epoch(fields.pop("eventtime", ""))
    if start is not None:
        doc["event"]["start"] = start
        doc.setdefault("@timestamp", start)
    return doc


def _offset(tz: str) -> str | None:
    """``+HH:MM`` for FortiOS's ``-0700``, ``+02:00``, ``GMT+2:00``; ``Z`` for UTC names."""
    if tz.upper() in _UTC_NAMES:
        return "Z"
    match = _TZ.fullmatch(tz.strip())
    if match is None:
        return None
    sign, hours, minutes = match.groups()
    return f"{sign}{int(hours):02d}:{minutes}"


def _local_time(fields: dict[str, str], offset: str | None, ctx: ParseContext) -> str | None:
    date, time = fields.get("date"), fields.get("time")
    if not date or not time:
        return None
    return timestamps.parse_iso(f"{date}T{time}{offset or ''}", ctx.timezone)


def _map_fields(doc: Doc, fields: dict[str, str]) -> None:
    table = fortigate_fields.by_type(fields.get("type", ""), fields.get("subtype", ""))
    fieldmap.move(doc, fields, table, keep=fortigate_fields.COPIED)
    if "url" in fields:
        url = _url(fields.pop("url"))
        doc["url"] = {**url, **doc.get("url", {})}


def _url(value: str) -> dict[str, str]:
    """``url.original`` plus the parts Elastic's ``uri_parts`` gives for a path or absolute URL."""
    parts: dict[str, str] = {"original": value}
    rest = value
    scheme, sep, after = value.partition("://")
    if sep and scheme.isalpha():
        parts["scheme"] = scheme.lower()
        authority, slash, rest = after.partition("/")
        rest = slash + rest
        if authority:
            parts["domain"] = authority.rpartition("@")[2].partition(":")[0]
    rest, _, fragment = rest.partition("#")
    path, question, query = rest.partition("?")
    if path:
        parts["path"] = path
    if question and query:
        parts["query"] = query
    if fragment:
        parts["fragment"] = fragment
    return parts


def _classify(doc: Doc, fields: dict[str, str]) -> None:
    event = doc["event"]
    classify = _CLASSIFIERS.get(fields.get("type", ""))
    if classify is not None:
        classify(event, fields)
    message = doc.get("message")
    if isinstance(message, str) and ("login" in message.lower() or "logged in" in message.lower()):
        _login(doc, message)
    if "action" not in event:
        named = fields.get("eventtype") or fortigate_fields.LOGID_ACTIONS.get(event.get("code", ""))
        if named:
            event["action"] = named
            fields.pop("eventtype", None)


def _traffic(event: dict[str, Any], fields: dict[str, str]) -> None:
    action = fields.get("action", "")
    types = ["connection"]
    if action:
        event["action"], event["outcome"] = action, "success"
        types.append("start" if action == "start" else "end")
    if fields.get("app") and action != "deny":
        types.append("protocol")
    if fields.get("utmaction") == "block" or action == "deny":
        types.append("denied")
    elif not fields.get("utmaction"):
        types.append("allowed")
    event["category"], event["type"] = ["network"], types


def _utm(event: dict[str, Any], fields: dict[str, str]) -> None:
    action = fields.get("action", "")
    types = []
    if action in ("block", "blocked"):
        types.append("denied")
    if fields.get("subtype") == "dns" or fields.get("type") == "dns":
        types.append("info")
    if action in ("pass", "passthrough"):
        types.append("allowed")
    if action:
        event["outcome"] = "success"
    event["category"] = ["network"]
    if types:
        event["type"] = types


def _event(event: dict[str, Any], fields: dict[str, str]) -> None:
    subtype, action = fields.get("subtype", ""), fields.get("action", "")
    categories, types = fortigate_fields.EVENT_SUBTYPES.get(subtype, ((), ()))
    if action in ("FSSO-logon", "auth-logon"):
        types = (*types, "start")
    elif action in ("FSSO-logoff", "auth-logout"):
        types = (*types, "end")
    if action == "perf-stats":
        categories, types = ("host",), ("info",)
    if categories:
        event["category"] = list(categories)
    if types:
        event["type"] = list(types)
    status = fields.get("status", "").lower()
    if fields.get("result") == "ERROR" or status in ("failure", "failed", "negotiate_error"):
        event["outcome"] = "failure"
    elif fields.get("result") == "OK" or status == "success" or action in _LOGON_ACTIONS:
        event["outcome"] = "success"


_LOGON_ACTIONS = frozenset({"FSSO-logon", "auth-logon", "FSSO-logoff", "auth-logout"})
_CLASSIFIERS = {"traffic": _traffic, "utm": _utm, "dns": _utm, "event": _event}


def _login(doc: Doc, message: str) -> None:
    """Admin login messages: ``Administrator admin login failed from https(192.0.2.1) ...``."""
    event = doc["event"]
    event.setdefault("action", "login")
    categories = event.setdefault("category", [])
    if "authentication" not in categories:
        categories.append("authentication")
    match = _LOGIN_MESSAGE.match(message)
    if match is not None:
        outcome = (match["failed"] or match["ok"] or "").lower()
        if outcome.startswith("fail"):
            event["outcome"] = "failure"
        elif outcome.startswith("success"):
            event["outcome"] = "success"
        if match["role"][:1].isupper():
            doc.setdefault("source", {}).setdefault("user", {})["roles"] = [match["role"]]
    source_user = doc.get("source", {}).get("user")
    if source_user and "name" in source_user:
        doc["user"] = dict(source_user)


def _finish(doc: Doc, fields: dict[str, str]) -> None:
    if fields.get("subtype") == "vpn":
        _swap_vpn_ends(doc)
    source, destination = doc.get("source", {}), doc.get("destination", {})
    net = doc.setdefault("network", {})
    _network_direction(net, source, destination)
    for counter in ("bytes", "packets"):
        if counter in source and counter in destination:
            net[counter] = source[counter] + destination[counter]
    if "iana_number" in net:
        net.update(network.transport_fields(net["iana_number"]))
    if not net:
        del doc["network"]
    if "duration" in fields and (seconds := network.integer(fields.pop("duration"))) is not None:
        doc["event"]["duration"] = seconds * 1_000_000_000
    network.add_related(
        doc, "ip", source.get("ip"), destination.get("ip"), source.get("nat", {}).get("ip"),
        destination.get("nat", {}).get("ip"), fields.get("ip"), fields.get("assignip"),
        fields.get("tunnelip"),
    )  # fmt: skip
    network.add_related(doc, "user", source.get("user", {}).get("name"))
    network.add_related(doc, "user", destination.get("user", {}).get("name"))
    network.add_related(doc, "hosts", destination.get("address"), source.get("address"))
    network.add_related(doc, "hosts", doc.get("dns", {}).get("question", {}).get("name"))


def _swap_vpn_ends(doc: Doc) -> None:
    """In VPN logs ``remip`` (the client) is the source and ``locip`` (this firewall) the target."""
    source, destination = doc.pop("source", {}), doc.pop("destination", {})
    user = source.pop("user", None)
    if user is not None:
        destination["user"] = user
    if destination:
        doc["source"] = destination
    if source:
        doc["destination"] = source


def _network_direction(net: dict[str, Any], source: dict[str, Any], dest: dict[str, Any]) -> None:
    written = net.get("direction")
    if isinstance(written, str):
        lowered = written.lower()
        lowered = _DIRECTIONS.get(lowered, lowered)
        net["direction"] = lowered if lowered in _ECS_DIRECTIONS else "unknown"
    elif "ip" in source and "ip" in dest:
        net["direction"] = network.direction(source["ip"], dest["ip"])
