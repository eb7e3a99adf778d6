"""Cisco ASA (and FTD in ASA syslog mode) ``%ASA-<severity>-<message id>: <text>`` → ECS, as
Elastic's ``cisco_asa`` integration maps it.

In: the message with or without a syslog header before the ``%ASA-`` tag (``<166>Aug 18 2026
18:24:29 fw-a : %ASA-6-302020: ...``, ``Jan 23 15:10:55 192.0.2.1 %ASA-2-106006: ...``), also
inside rsyslog's ``message repeated N times: [ ... ]`` (→ ``cisco.asa.message_repeats``).

Out: ``event.module`` ``cisco_asa``, ``event.dataset`` ``cisco_asa.log``, ``event.code`` (message
id), ``event.severity`` and ``log.level`` (from the tag), ``event.kind/category/type/outcome/
action`` per message id (``cisco_asa_messages``), ``source.*`` / ``destination.*`` (``address``
and ``ip`` or ``domain``, ``port``, ``nat.*``, ``user.*``; built connections oriented by their
``inbound``/``outbound`` word), ``network.direction/transport/iana_number/community_id``,
``observer.*`` (interfaces from ``cisco.asa.source_interface``/``destination_interface``),
``event.duration/start/end`` from ``duration h:mm:ss``, ``cisco.asa.*``, ``related.*``,
``message`` (the text after the tag), the syslog header fields and ``@timestamp``. A message id
without a pattern (or a text its patterns do not fit) keeps the base fields.

Errors: ``ParseError`` when there is no ``%ASA-n-nnnnnn`` tag.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from schemas.ecs import set_field
from services.normalizer.parsers import network, syslog
from services.normalizer.parsers.base import Doc, ParseContext, ParseError, utc_iso
from services.normalizer.parsers.cisco_asa_messages import MESSAGES, VERDICTS, Message

MODULE, DATASET = "cisco_asa", "cisco_asa.log"
_TAG = re.compile(r"%(?:ASA|FTD|FWSM|PIX)-(?:[A-Za-z_]+-)?([0-7])-([0-9]{6}):?\s*")
LEVELS = ("unknown", "alert", "critical", "error", "warning", "notification", "informational",
          "debug")  # fmt: skip  # Elastic's names, index = ASA severity
_TAG_SEARCH_LIMIT = 1024  # the tag follows a short header; a longer prefix is not ASA

# Regex group → (ECS path, converter) for the groups that need no side-specific handling.
GROUP_FIELDS: dict[str, tuple[str, Any]] = {
    "reason": ("event.reason", str.strip),
    "acl": ("cisco.asa.rule_name", str),
    "conn_id": ("cisco.asa.connection_id", str),
    "initiator": ("cisco.asa.termination_initiator", str),
    "term_user": ("cisco.asa.termination_user", str),
    "bytes": ("network.bytes", network.integer),
    "sbytes": ("source.bytes", network.integer),
    "dbytes": ("destination.bytes", network.integer),
    "icmp_type": ("cisco.asa.icmp_type", network.integer),
    "icmp_code": ("cisco.asa.icmp_code", network.integer),
    "assigned_ip": ("cisco.asa.assigned_ip", str),
    "session_type": ("cisco.asa.session_type", str),
    "aaa_type": ("cisco.asa.aaa_type", str),
    "group": ("source.user.group.name", str),
    "server_user": ("server.user.name", str),
    "plain_user": ("user.name", str),
    "app": ("network.protocol", str.lower),
    "net_type": ("network.type", str.lower),  # Elastic files 302020/302021's ICMP there too
}
_SIDES = (("src", "source"), ("dst", "destination"))
_INTERFACES = {"src": "source_interface", "dst": "destination_interface"}


def parse(text: str, ctx: ParseContext) -> list[Doc]:
    tag = _TAG.search(text, 0, _TAG_SEARCH_LIMIT + 32)
    if tag is None or tag.start() > _TAG_SEARCH_LIMIT:
        raise ParseError("no %ASA-<severity>-<message id> tag: not a Cisco ASA message")
    header, _ = syslog.split_header(text[: tag.start()], ctx) if tag.start() else ({}, "")
    repeats, body = syslog.unwrap_repeated(text[tag.end() :].rstrip())
    severity, code = int(tag.group(1)), tag.group(2)
    doc = _base(header, severity, code, body)
    if repeats is not None:
        doc["cisco"]["asa"]["message_repeats"] = repeats
    message = MESSAGES.get(code)
    groups = _groups(message, body) if message else {}
    _apply(doc, groups)
    if message is not None:
        _classify(doc["event"], message, groups.get("verdict"))
    _finish(doc)
    if not doc["cisco"]["asa"]:
        del doc["cisco"]
    return [doc]


def _base(header: Doc, severity: int, code: str, body: str) -> Doc:
    event = {"module": MODULE, "dataset": DATASET, "kind": "event", "category": ["network"],
             "code": code, "severity": severity}  # fmt: skip
    doc: Doc = {"event": event, "log": {"level": LEVELS[severity]}, "message": body,
                "observer": {"vendor": "Cisco", "product": "asa", "type": "firewall"},
                "cisco": {"asa": {}}}  # fmt: skip
    if "log" in header:
        doc["log"]["syslog"] = header["log"]["syslog"]
    if "@timestamp" in header:
        doc["@timestamp"] = header["@timestamp"]
    hostname = header.get("host", {}).get("hostname")
    if hostname:
        doc["host"] = {"hostname": hostname}
        doc["observer"]["hostname"] = hostname
    return doc


def _groups(message: Message, body: str) -> dict[str, str]:
    if message.search:
        found: dict[str, str] = {}
        for pattern in message.patterns:
            match = pattern.search(body)
            if match is not None:
                found.update({k: v for k, v in match.groupdict().items() if v is not None})
        return found
    for pattern in message.patterns:
        match = pattern.match(body)
        if match is not None:
            return {k: v for k, v in match.groupdict().items() if v is not None}
    return {}


def _apply(doc: Doc, groups: dict[str, str]) -> None:
    asa = doc["cisco"]["asa"]
    for prefix, side in _SIDES:
        _apply_side(doc, asa, groups, prefix, side)
    if "dir" in groups:
        doc.setdefault("network", {})["direction"] = groups["dir"].lower()
    if "proto" in groups:
        doc.setdefault("network", {}).update(network.transport_fields(groups["proto"]))
    for group, (path, convert) in GROUP_FIELDS.items():
        if group in groups and (value := convert(groups[group])) not in (None, ""):
            set_field(doc, path, value)
    if "duration" in groups:
        _duration(doc, groups["duration"])


def _apply_side(doc: Doc, asa: Doc, groups: dict[str, str], prefix: str, side: str) -> None:
    interface, address = _endpoint(groups, prefix)
    if interface:
        asa[_INTERFACES[prefix]] = interface
        direction = "ingress" if prefix == "src" else "egress"
        doc["observer"].setdefault(direction, {})["interface"] = {"name": interface}
    target: dict[str, Any] = {}
    if address:
        target["address"] = address
        target["ip" if network.is_ip(address) else "domain"] = address
    port_text = groups.get(f"{prefix}_port")
    if port_text is not None:
        if (number := network.port(port_text)) is not None:
            target["port"] = number
        elif not port_text.isdigit():  # a service name written in place of the port
            doc.setdefault("network", {})["protocol"] = port_text.lower()
    if groups.get(f"{prefix}_user"):
        target["user"] = _user(groups[f"{prefix}_user"])
    _apply_nat(asa, target, groups, prefix, side)
    if target:
        doc[side] = target


def _endpoint(groups: dict[str, str], prefix: str) -> tuple[str | None, str | None]:
    """(interface, address) from ``src``/``src_if`` or an ``[if:]address`` ``src_ep`` group."""
    address, interface = groups.get(prefix), groups.get(f"{prefix}_if")
    endpoint = groups.get(f"{prefix}_ep")
    if endpoint is not None:
        endpoint = endpoint.rstrip(".,")
        if network.is_ip(endpoint) or ":" not in endpoint:
            address = endpoint
        else:
            interface, _, address = endpoint.partition(":")
    return (interface.rstrip(".,") if interface else None), address


def _apply_nat(asa: Doc, target: Doc, groups: dict[str, str], prefix: str, side: str) -> None:
    """Cisco writes the mapped address even without NAT: ``nat.*`` only when it differs."""
    mapped = groups.get(f"{prefix}_mapped")
    if mapped is not None and network.is_ip(mapped):
        asa[f"mapped_{side}_ip"] = mapped
        if mapped != target.get("ip"):
            target.setdefault("nat", {})["ip"] = mapped
    mapped_port = network.port(groups.get(f"{prefix}_mapped_port", ""))
    if mapped_port is not None:
        asa[f"mapped_{side}_port"] = mapped_port
        if mapped_port != target.get("port"):
            target.setdefault("nat", {})["port"] = mapped_port


def _user(value: str) -> dict[str, str]:
    """``LOCAL\\name``, ``DOMAIN\\name``, ``name@domain`` → ``name``/``domain``/``email``."""
    value = value.strip().strip("'\"")
    value = value.removeprefix("LOCAL\\")
    user: dict[str, str] = {}
    if "\\" in value:
        user["domain"], _, value = value.rpartition("\\")
    if "@" in value and not value.startswith("@"):
        user["email"] = value
        value, _, user["domain"] = value.partition("@")
    user["name"] = value
    return user


def _duration(doc: Doc, hms: str) -> None:
    """``h:mm:ss`` (or ``1h:02m:03s``) → ``event.duration`` (ns), ``event.end`` = @timestamp and
    ``event.start`` = end - duration."""
    parts = hms.strip().rstrip("s").replace("h", "").replace("m", "").split(":")  # 1h:02m:03s
    if len(parts) != 3 or not all(p.isdigit() and p.isascii() and len(p) <= 9 for p in parts):
        return
    seconds = (int(parts[0]) * 60 + int(parts[1])) * 60 + int(parts[2])
    event = doc["event"]
    event["duration"] = seconds * 1_000_000_000
    end = doc.get("@timestamp")
    if isinstance(end, str):
        event["end"] = end
        moment = datetime.fromisoformat(end)
        event["start"] = utc_iso(moment - timedelta(seconds=seconds))


def _classify(event: dict[str, Any], message: Message, verdict: str | None) -> None:
    types, outcome = message.type, message.outcome
    if verdict is not None:
        types, outcome = VERDICTS[verdict]
    event["category"] = list(message.category)
    if types:
        event["type"] = list(types)
    if outcome:
        event["outcome"] = outcome
    if message.action:
        event["action"] = message.action


def _finish(doc: Doc) -> None:
    source, destination = doc.get("source", {}), doc.get("destination", {})
    network.add_related(doc, "ip", source.get("ip"), source.get("nat", {}).get("ip"))
    network.add_related(doc, "ip", destination.get("ip"), destination.get("nat", {}).get("ip"))
    users = (
        doc.get("user", {}).get("name"),
        doc.get("server", {}).get("user", {}).get("name"),
        source.get("user", {}).get("name"),
        destination.get("user", {}).get("name"),
    )
    network.add_related(doc, "user", *(u for u in users if u and u.strip("*")))
    hostname = doc.get("host", {}).get("hostname")
    network.add_related(doc, "hosts", hostname, destination.get("domain"), source.get("domain"))
    network.add_related(
        doc, "hosts", source.get("user", {}).get("domain"),
        destination.get("user", {}).get("domain"),
    )  # fmt: skip
    if "user" not in doc and "name" in destination.get("user", {}):
        doc["user"] = {"name": destination["user"]["name"]}
    network.set_community_id(doc)
