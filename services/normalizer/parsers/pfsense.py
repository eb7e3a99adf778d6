"""pfSense / OPNsense ``filterlog`` CSV (pf 2.2+ format, IPv4 and IPv6) → ECS, after Elastic's
``pfsense`` integration.

In: ``<pri>Mmm dd hh:mm:ss [host] filterlog[pid]: <csv>`` (RFC 3164 or 5424 header, or the bare
CSV). The CSV: rule, sub-rule, anchor, tracker, interface, reason, action, direction, IP version;
IPv4: tos, ecn, ttl, id, offset, flags, protocol id, protocol name, length, source, destination;
IPv6: class, flow label, hop limit, protocol name, protocol id, length, source, destination; then
per protocol: TCP ports, data length, flags, sequence, ack, window, urgent, options; UDP ports and
length; ICMP type and its fields (request/reply id and sequence, unreachable destination...);
CARP type, ttl, vhid, version, advskew, advbase; anything else is kept as ``pfsense.extra``.

Out: ``event.module`` ``pfsense``, ``event.dataset`` ``pfsense.log``, ``event.kind`` ``event``,
``event.category`` ``[network]``, ``event.type`` ``[connection, allowed|denied]``,
``event.action`` (``pass``/``block``/...), ``event.reason``, ``rule.id`` (tracker),
``observer.ingress|egress.interface.name``, ``observer.type`` ``firewall``, ``network.direction``
(``ingress``/``egress``: pf reports per interface), ``network.type`` (``ipv4``/``ipv6``),
``network.transport/iana_number/bytes/community_id``, ``source.*``, ``destination.*``,
``pfsense.ip.*``, ``pfsense.tcp.*``, ``pfsense.udp.*``, ``pfsense.icmp.*``, ``pfsense.carp.*``,
``related.ip``, plus the syslog header fields and ``@timestamp``.

Errors: ``ParseError`` when the message is not a filterlog CSV line (wrong program, too few
fields, unknown IP version, or addresses that are not IPs).
"""

from __future__ import annotations

from typing import Any

from services.normalizer.parsers import network, syslog
from services.normalizer.parsers.base import Doc, ParseContext, ParseError

MODULE, DATASET = "pfsense", "pfsense.log"
_DIRECTIONS = {"in": "ingress", "out": "egress"}
_ACTION_TYPES = {"pass": "allowed", "block": "denied", "reject": "denied"}
# Field names per IP version, starting at CSV column 9 (after the IP version column).
_IP_FIELDS = {
    "4": ("tos", "ecn", "ttl", "id", "offset", "flags", "protocol_id", "protocol", "length",
          "source", "destination"),
    "6": ("class", "flow_label", "hop_limit", "protocol", "protocol_id", "length", "source",
          "destination"),
}  # fmt: skip
_INTEGERS = frozenset({"ttl", "id", "offset", "hop_limit", "length"})
_NUMBERS = frozenset({"seq", "ack", "window", "id", "mtu", "ttl", "vhid", "advskew", "advbase",
                      "unreachable_port"})  # fmt: skip
_TCP = ("flags", "seq", "ack", "window", "urg", "options")
_CARP = ("type", "ttl", "vhid", "version", "advskew", "advbase")
_ICMP_FIELDS = {
    "request": ("id", "seq"), "reply": ("id", "seq"),
    "unreachproto": ("destination_ip", "unreachable_iana_number"),
    "unreachport": ("destination_ip", "unreachable_iana_number", "unreachable_port"),
    "needfrag": ("destination_ip", "mtu"),
    "tstamp": ("id", "seq"), "tstampreply": ("id", "seq", "otime", "rtime", "ttime"),
}  # fmt: skip


def parse(text: str, ctx: ParseContext) -> list[Doc]:
    header, message = syslog.split_header(text, ctx)
    app = header.get("log", {}).get("syslog", {}).get("appname")
    if app not in (None, "filterlog"):
        raise ParseError(f"program {app[:32]!r} is not filterlog")
    header.pop("process", None)
    columns = message.strip().split(",")
    if len(columns) < 9 or columns[8] not in _IP_FIELDS:
        raise ParseError("not a filterlog CSV line (fewer than 9 fields or unknown IP version)")
    doc = _base(header, columns)
    rest = _ip_part(doc, columns[8], columns[9:])
    _protocol_part(doc, rest)
    _finish(doc)
    return [doc]


def _base(header: Doc, columns: list[str]) -> Doc:
    rule, _sub_rule, anchor, tracker, interface, reason, action, direction = columns[:8]
    event: dict[str, Any] = {"module": MODULE, "dataset": DATASET, "kind": "event",
                             "category": ["network"], "type": ["connection"]}  # fmt: skip
    if action:
        event["action"] = action
        if action in _ACTION_TYPES:
            event["type"].append(_ACTION_TYPES[action])
    if reason:
        event["reason"] = reason
    doc: Doc = {**header, "event": event, "observer": {"type": "firewall"}}
    if interface:
        side = "egress" if direction == "out" else "ingress"
        doc["observer"][side] = {"interface": {"name": interface}}
    if tracker:
        doc["rule"] = {"id": tracker}
    pfsense: dict[str, Any] = {"rule_number": rule} if rule else {}
    if anchor:
        pfsense["anchor"] = anchor
    doc["pfsense"] = pfsense
    if direction in _DIRECTIONS:
        doc["network"] = {"direction": _DIRECTIONS[direction]}
    return doc


def _ip_part(doc: Doc, version: str, values: list[str]) -> list[str]:
    names = _IP_FIELDS[version]
    if len(values) < len(names):
        raise ParseError(f"IPv{version} filterlog line cut short")
    ip = dict(zip(names, values, strict=False))
    source, destination = ip.pop("source"), ip.pop("destination")
    if not (network.is_ip(source) and network.is_ip(destination)):
        raise ParseError("filterlog source or destination is not an IP address")
    net = doc.setdefault("network", {})
    net["type"] = f"ipv{version}"
    net.update(network.transport_fields(ip.pop("protocol_id") or ip.get("protocol", "")))
    ip.pop("protocol", None)
    if (length := network.integer(ip.pop("length"))) is not None:
        net["bytes"] = length
    doc["source"], doc["destination"] = {"ip": source}, {"ip": destination}
    doc["pfsense"]["ip"] = {
        name: (network.integer(value) if name in _INTEGERS else value)
        for name, value in ip.items()
        if value != "" and (name not in _INTEGERS or network.integer(value) is not None)
    }
    return values[len(names) :]


def _protocol_part(doc: Doc, values: list[str]) -> None:
    transport = doc["network"].get("transport")
    pfsense = doc["pfsense"]
    if transport in ("tcp", "udp") and len(values) >= 3:
        _ports(doc, values[0], values[1])
        length = network.integer(values[2])
        details: dict[str, Any] = {"length": length} if length is not None else {}
        if transport == "tcp":
            details.update(_named(_TCP, values[3:]))
            if "options" in details:
                details["options"] = details["options"].split(";")
        pfsense[transport] = details
    elif transport in ("icmp", "ipv6-icmp") and values:
        icmp_type = values[0]
        names = _ICMP_FIELDS.get(icmp_type, ("description",))
        pfsense["icmp"] = {"type": icmp_type, **_named(names, values[1:])}
    elif transport == "vrrp" and values:  # CARP shares IP protocol 112 with VRRP
        pfsense["carp"] = _named(_CARP, values)
    elif any(values):
        pfsense["extra"] = ",".join(values)


def _named(names: tuple[str, ...], values: list[str]) -> dict[str, Any]:
    """Non-empty values by name; counters and ids as integers."""
    named: dict[str, Any] = {}
    for name, value in zip(names, values, strict=False):
        if value != "":
            number = network.integer(value) if name in _NUMBERS else None
            named[name] = value if number is None else number
    return named


def _ports(doc: Doc, source: str, destination: str) -> None:
    if (port := network.port(source)) is not None:
        doc["source"]["port"] = port
    if (port := network.port(destination)) is not None:
        doc["destination"]["port"] = port


def _finish(doc: Doc) -> None:
    network.add_related(doc, "ip", doc["source"]["ip"], doc["destination"]["ip"])
    network.set_community_id(doc)
    if not doc["pfsense"]:
        del doc["pfsense"]
