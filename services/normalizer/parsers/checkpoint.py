"""Check Point gateway and management logs (Log Exporter) → ECS, as Elastic's ``checkpoint``
integration maps them.

In: the Log Exporter ``syslog`` format, ``<pri>1 <time> <host> CheckPoint <pid> - [key:"value";
key:"value"...]`` (``\\"``, ``\\\\`` and ``\\]`` escaped in values; ``key::"..."`` tolerated), or
the ``generic`` format, space-separated ``key="value"`` pairs (see ``kv``), with or without a
syslog header. Field names are Check Point's (LEA) names: ``src``, ``dst``, ``s_port``,
``service``, ``proto``, ``action``, ``rule_action``, ``origin``, ``product``, ``ifdir``...

Out: ``event.module`` ``checkpoint``, ``event.dataset`` ``checkpoint.firewall``,
``event.kind`` (``alert`` for Prevent/Detect/Quarantine rule actions), ``event.category/type/
outcome/action`` (logins as ``logged-in``/``logon-failed``), ``@timestamp`` from ``time`` (epoch
seconds or ISO 8601; else the syslog header), the ``checkpoint_fields`` table (``source.*``,
``destination.*``, ``network.*``, ``observer.*``, ``rule.*``, ``file.*``, ``dns.*``, ``url.*``
...), ``observer.vendor`` ``Checkpoint``, ``observer.type`` (``firewall`` unless the log says),
``network.transport``, ``related.ip/user/hash``, and every other field under ``checkpoint.*``
(the exporter's bookkeeping fields dropped, as Elastic does).

Errors: ``ParseError`` when the text holds no Check Point fields.
"""

from __future__ import annotations

import re
from typing import Any

from services.normalizer.parsers import checkpoint_fields, fieldmap, kv, network, syslog, timestamps
from services.normalizer.parsers.base import Doc, ParseContext, ParseError

MODULE, DATASET = "checkpoint", "checkpoint.firewall"
_PAIR = re.compile(r'(?:^|(?<=[\[;\s]))([\w.-]+):+"((?:[^"\\]|\\.)*+)"', re.DOTALL | re.ASCII)
_ESCAPE = re.compile(r'\\(["\\\]])')
_IDENTIFYING = ("origin", "product", "loguid", "action", "rule_action", "src", "dst", "time")
_ALERT_ACTIONS = frozenset({"Prevent", "Detect", "Quarantine"})
_ALLOWED = frozenset({"Accept", "Allow"})
_DENIED = frozenset({"Drop", "Reject", "Block", "Prevent"})
_LOGINS = {"Log In": ("success", "allowed", "logged-in"),
           "Failed Log In": ("failure", "denied", "logon-failed")}  # fmt: skip


def parse(text: str, ctx: ParseContext) -> list[Doc]:
    header, message = syslog.split_header(text, ctx)
    fields = _fields(message if message.lstrip().startswith("[") else text)
    if not any(key in fields for key in _IDENTIFYING):
        raise ParseError("no Check Point log fields (origin, product, action, src, dst...)")
    doc: Doc = {
        "event": {"module": MODULE, "dataset": DATASET},
        "observer": {"vendor": "Checkpoint"},
    }
    if "log" in header:
        doc["log"] = {"syslog": header["log"]["syslog"]}
    moment = _time(fields.get("time", ""), ctx) or header.get("@timestamp")
    if moment is not None:
        doc["@timestamp"] = moment
    _classify(doc["event"], fields)
    _interface(doc, fields)
    fieldmap.move(doc, fields, checkpoint_fields.PLAN)
    doc["observer"].setdefault("type", "firewall")
    _finish(doc)
    for key in checkpoint_fields.DROPPED_AFTER_MAPPING:
        fields.pop(key, None)
    if fields:
        doc["checkpoint"] = fields
    return [doc]


def _fields(text: str) -> dict[str, str]:
    """``[key:"value"; ...]`` pairs when the text has them, else ``key="value"`` pairs."""
    found = {
        key: _ESCAPE.sub(r"\1", value) if "\\" in value else value
        for key, value in _PAIR.findall(text)
    }
    pairs = found or kv.pairs(text[max(kv.body_start(text), 0) :])
    return {k: v for k, v in pairs.items() if k not in checkpoint_fields.EXCLUDED and v != ""}


def _time(value: str, ctx: ParseContext) -> str | None:
    if value.isdigit():
        return timestamps.parse_epoch(value)
    return timestamps.parse_iso(value, ctx.timezone) if value else None


def _classify(event: dict[str, Any], fields: dict[str, str]) -> None:
    rule_action, action = fields.get("rule_action", ""), fields.get("action", "")
    event["kind"] = "alert" if rule_action in _ALERT_ACTIONS else "event"
    categories = [] if fields.get("operation") == "Log In" else ["network"]
    types: list[str] = []
    if rule_action in _ALLOWED:
        event["outcome"] = "success"
        types += ["allowed", "connection"]
    elif rule_action in _DENIED:
        event["outcome"] = "success"  # the gateway did block: Elastic's reading
        types += ["connection", "denied"]
    status = fields.get("audit_status")
    if status in ("Success", "Failure"):
        event["outcome"] = status.lower()
    if "malware_action" in fields:
        categories.append("malware")
    if rule_action in ("Detect", "Prevent"):
        categories.append("intrusion_detection")
    if fields.get("operation") == "Log In" or action in _LOGINS:
        categories.append("authentication")
    if action in _LOGINS:
        event["outcome"], verdict, action = _LOGINS[action]
        types.append(verdict)
    if action:
        event["action"] = action
        fields.pop("action")
    if categories:
        event["category"] = categories
    if types:
        event["type"] = types


def _interface(doc: Doc, fields: dict[str, str]) -> None:
    """``ifname`` is the interface the packet crossed, in the ``ifdir`` direction."""
    name, direction = fields.get("ifname"), fields.get("ifdir")
    if name and direction in ("inbound", "outbound"):
        side = "ingress" if direction == "inbound" else "egress"
        doc["observer"][side] = {"interface": {"name": name}}
        del fields["ifname"]


def _finish(doc: Doc) -> None:
    source: dict[str, Any] = doc.get("source", {})
    destination: dict[str, Any] = doc.get("destination", {})
    net = doc.get("network")
    if net is not None:
        if "iana_number" in net:
            net.update(network.transport_fields(net["iana_number"]))
        if "bytes" not in net and "bytes" in source and "bytes" in destination:
            net["bytes"] = source["bytes"] + destination["bytes"]
    network.add_related(doc, "ip", source.get("ip"), source.get("nat", {}).get("ip"))
    network.add_related(doc, "ip", destination.get("ip"), destination.get("nat", {}).get("ip"))
    network.add_related(
        doc, "user", source.get("user", {}).get("name"), destination.get("user", {}).get("name")
    )
    hashes = doc.get("file", {}).get("hash", {})
    network.add_related(doc, "hash", hashes.get("md5"), hashes.get("sha1"), hashes.get("sha256"))
