"""Sophos Firewall (XG / SFOS 17–21) ``key=value`` syslog → ECS, after Elastic's ``sophos.xg``.

In: ``device="SFW" date=2026-03-01 time=10:00:00 timezone="CET" device_name="XG230" ...
log_id=010101600001 log_type="Firewall" log_subtype="Allowed" ...`` (SFOS 17/18) or the SFOS 19+
names (``timestamp="2026-03-01T10:00:00+0100"``, ``device_serial_id``, ``src_zone_type``,
``severity``...), with or without a syslog header; quoted values per ``kv``.

Out: ``event.module`` ``sophos``, ``event.dataset`` ``sophos.xg``, ``event.code`` (``log_id``),
``event.severity``/``log.level`` (the severity digit of ``log_id``, else ``severity``/
``priority``), ``event.action`` (``log_subtype``, lower case), ``event.category/type/outcome``
(firewall: from ``connevent`` and ``status``; logins: ``authentication``), ``event.duration``,
``@timestamp`` (``timestamp``, else ``date`` + ``time`` in the source's timezone,
else the syslog header), ``source.*``/``destination.*`` (addresses, ports, NAT, MAC, packets,
bytes, user), ``network.transport/iana_number/protocol/direction`` (direction from the zone
types), ``observer.*`` (vendor ``Sophos``, product ``XG``, serial, name, interfaces, zones),
``rule.id/name/ruleset``, ``related.ip/user``, and every other field under ``sophos.xg.*``
(empty, ``-`` and ``N/A`` values dropped, as Elastic does).

Errors: ``ParseError`` when the text carries none of SFOS's identifying keys.
"""

from __future__ import annotations

from typing import Any

from services.normalizer.parsers import fieldmap, kv, network, syslog, timestamps
from services.normalizer.parsers.base import Doc, ParseContext, ParseError

MODULE, DATASET = "sophos", "sophos.xg"
_IDENTIFYING = ("log_id", "log_type", "device_name", "device_id", "device_serial_id")
_EMPTY = frozenset({"", "-", "N/A"})
LEVELS = ("unknown", "alert", "critical", "error", "warning", "notification", "informational",
          "debug")  # fmt: skip
_SEVERITY_NAMES = {"emergency": 0, "alert": 1, "critical": 2, "error": 3, "warning": 4,
                   "notification": 5, "information": 6, "informational": 6, "debug": 7}  # fmt: skip
_INSIDE_ZONES = frozenset({"LAN", "DMZ", "VPN", "WiFi"})
_CONNECTION_TYPES = {"Start": ["start", "allowed", "connection"],
                     "Interim": ["start", "allowed", "connection"],
                     "Stop": ["end", "allowed", "connection"]}  # fmt: skip


def _ip(value: str) -> str | None:
    return value if network.is_ip(value) else None


def _nat_port(value: str) -> int | None:
    number = network.port(value)
    return number if number else None  # 0 means "not translated"


TABLE: fieldmap.Table = {
    "device_id": ("observer.serial_number", str),
    "device_serial_id": ("observer.serial_number", str),
    "device_name": ("observer.name", str),
    "in_interface": ("observer.ingress.interface.name", str),
    "out_interface": ("observer.egress.interface.name", str),
    "srczonetype": ("observer.ingress.zone", str),
    "src_zone_type": ("observer.ingress.zone", str),
    "dstzonetype": ("observer.egress.zone", str),
    "dst_zone_type": ("observer.egress.zone", str),
    "src_ip": ("source.ip", _ip),
    "sourceip": ("source.ip", _ip),
    "src_port": ("source.port", network.port),
    "tran_src_ip": ("source.nat.ip", _ip),
    "src_trans_ip": ("source.nat.ip", _ip),
    "tran_src_port": ("source.nat.port", _nat_port),
    "src_mac": ("source.mac", lambda v: v.upper().replace(":", "-")),
    "sent_pkts": ("source.packets", lambda v: network.integer(v.strip())),
    "packets_sent": ("source.packets", lambda v: network.integer(v.strip())),
    "sent_bytes": ("source.bytes", network.integer),
    "user_name": ("source.user.name", str),
    "user_gp": ("source.user.group.name", str),
    "user_group": ("source.user.group.name", str),
    "dst_ip": ("destination.ip", _ip),
    "destinationip": ("destination.ip", _ip),
    "dst_port": ("destination.port", network.port),
    "tran_dst_ip": ("destination.nat.ip", _ip),
    "tran_dst_port": ("destination.nat.port", _nat_port),
    "recv_pkts": ("destination.packets", lambda v: network.integer(v.strip())),
    "packets_received": ("destination.packets", lambda v: network.integer(v.strip())),
    "recv_bytes": ("destination.bytes", network.integer),
    "fw_rule_id": ("rule.id", str),
    "fw_rule_name": ("rule.name", str),
    "policy_type": ("rule.ruleset", str),
    "application": ("network.protocol", str.lower),
    "message": ("message", str),
}
PLAN = fieldmap.plan(TABLE)


def parse(text: str, ctx: ParseContext) -> list[Doc]:
    start = kv.body_start(text)
    if start < 0:
        raise ParseError("no key=value fields: not a Sophos Firewall log")
    fields = {k: v for k, v in kv.pairs(text[start:]).items() if v not in _EMPTY}
    if not any(key in fields for key in _IDENTIFYING):
        raise ParseError("no SFOS identifying field (log_id, log_type, device_name...)")
    header, _ = syslog.split_header(text[:start], ctx) if start else ({}, "")
    doc: Doc = {
        "event": {"module": MODULE, "dataset": DATASET, "kind": "event"},
        "observer": {"vendor": "Sophos", "product": "XG", "type": "firewall"},
    }
    if "log" in header:
        doc["log"] = {"syslog": header["log"]["syslog"]}
    moment = _timestamp(fields, ctx) or header.get("@timestamp")
    if moment is not None:
        doc["@timestamp"] = moment
    _severity(doc, fields)
    if "protocol" in fields:
        doc["network"] = network.transport_fields(fields.pop("protocol"))
    fieldmap.move(doc, fields, PLAN)
    _classify(doc, fields)
    _finish(doc, fields)
    doc["sophos"] = {"xg": fields}
    return [doc]


def _timestamp(fields: dict[str, str], ctx: ParseContext) -> str | None:
    if "timestamp" in fields:
        return timestamps.parse_iso(fields["timestamp"].replace(" ", "T", 1), ctx.timezone)
    date, time = fields.get("date"), fields.get("time")
    return timestamps.parse_iso(f"{date}T{time}", ctx.timezone) if date and time else None


def _severity(doc: Doc, fields: dict[str, str]) -> None:
    log_id = fields.get("log_id", "")
    event = doc["event"]
    if log_id:
        event["code"] = fields.pop("log_id")
    if len(log_id) >= 12 and log_id[6] in "0123456789":
        level: int | None = int(log_id[6])
        fields["message_id"] = log_id[7:]
    else:
        named = (fields.get("severity") or fields.get("priority") or "").lower()
        level = _SEVERITY_NAMES.get(named)
    if level is not None and level < len(LEVELS):
        event["severity"] = level
        doc.setdefault("log", {})["level"] = LEVELS[level]


def _classify(doc: Doc, fields: dict[str, str]) -> None:
    event = doc["event"]
    subtype, status = fields.get("log_subtype", ""), fields.get("status", "")
    if subtype:
        event["action"] = subtype.lower()
    log_type = fields.get("log_type", "")
    if log_type == "Firewall":
        event["category"] = ["network"]
        if subtype:
            event["outcome"] = "success"
        types = list(_CONNECTION_TYPES.get(fields.get("connevent", ""), []))
        if status == "Deny":
            types += ["denied", "connection"]
        if types:
            event["type"] = list(dict.fromkeys(types))
    elif subtype == "Authentication" or "login" in doc.get("message", "").lower():
        event["category"] = ["authentication"]
        if status in ("Successful", "Success", "Allow"):
            event["outcome"], event["type"] = "success", ["start"]
        elif status in ("Failed", "Failure", "Deny"):
            event["outcome"], event["type"] = "failure", ["start"]
    elif log_type in ("IDP", "ATP", "Anti-Virus", "Sandbox", "Content Filtering", "WAF"):
        event["category"] = ["network"]


def _finish(doc: Doc, fields: dict[str, str]) -> None:
    source: dict[str, Any] = doc.get("source", {})
    destination: dict[str, Any] = doc.get("destination", {})
    observer = doc["observer"]
    inside = observer.get("ingress", {}).get("zone"), observer.get("egress", {}).get("zone")
    direction = _direction(*inside)
    if direction is not None:
        doc.setdefault("network", {})["direction"] = direction
    if (seconds := network.integer(fields.pop("duration", ""))) is not None and seconds >= 0:
        doc["event"]["duration"] = seconds * 1_000_000_000
    network.add_related(doc, "ip", source.get("ip"), source.get("nat", {}).get("ip"))
    network.add_related(doc, "ip", destination.get("ip"), destination.get("nat", {}).get("ip"))
    network.add_related(doc, "user", source.get("user", {}).get("name"))


def _direction(ingress: str | None, egress: str | None) -> str | None:
    if ingress is None or egress is None:
        return None
    if ingress == "WAN":
        return "external" if egress == "WAN" else "inbound" if egress in _INSIDE_ZONES else None
    if ingress in _INSIDE_ZONES:
        return "outbound" if egress == "WAN" else "internal" if egress in _INSIDE_ZONES else None
    return None
