"""Network-field helpers shared by the firewall and SIEM-interchange parsers (pure, stdlib only).

* ``IANA_TRANSPORTS`` / ``transport_fields``: ``network.transport`` and ``network.iana_number``
  (a string, as Elastic writes it) from a protocol name or number.
* ``is_ip``, ``port``, ``integer``: value checks that never raise (cached where values repeat).
* ``direction``: ``network.direction`` from the two addresses, with Elastic's default internal
  networks (``private``: RFC 1918 and fd00::/8).
* ``add_related``: ``related.ip|user|hosts|hash`` in first-seen order without duplicates.
* ``set_community_id``: ``network.community_id`` (see ``community_id``) from the document.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any

from services.normalizer.parsers import community_id
from services.normalizer.parsers.base import Doc

IANA_TRANSPORTS = {
    "0": "hopopt", "1": "icmp", "2": "igmp", "4": "ipv4", "6": "tcp", "8": "egp", "17": "udp",
    "41": "ipv6", "47": "gre", "50": "esp", "51": "ah", "58": "ipv6-icmp", "89": "ospf",
    "103": "pim", "112": "vrrp", "132": "sctp",
}  # fmt: skip
IANA_NUMBERS = {name: number for number, name in IANA_TRANSPORTS.items()} | {
    "icmpv6": "58",
    "icmp6": "58",
}
_PRIVATE = tuple(
    ipaddress.ip_network(net)
    for net in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fd00::/8")
)


def transport_fields(value: str) -> dict[str, str]:
    """``{"transport": name, "iana_number": "n"}`` from ``tcp``, ``TCP``, ``6``, ``icmpv6``..."""
    lowered = value.strip().lower()
    if digits(lowered) is not None:
        name = IANA_TRANSPORTS.get(lowered.lstrip("0") or "0")
        return {"iana_number": lowered.lstrip("0") or "0", **({"transport": name} if name else {})}
    number = IANA_NUMBERS.get(lowered)
    if number is None:
        return {"transport": lowered} if lowered else {}
    return {"transport": IANA_TRANSPORTS[number], "iana_number": number}


@lru_cache(maxsize=65536)
def is_ip(value: str) -> bool:
    """True for an IPv4 or IPv6 address (no zone id, no brackets)."""
    if not value or len(value) > 45:
        return False
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def port(value: str) -> int | None:
    """A TCP/UDP port number, or None."""
    if 0 < len(value) <= 5 and value.isdigit() and value.isascii():
        number = int(value)
        return number if number <= 65535 else None
    return None


def digits(value: str) -> str | None:
    """``value`` when it is ASCII decimal digits (``str.isdigit`` accepts ``²`` too), else None."""
    return value if value.isdigit() and value.isascii() else None


def integer(value: str) -> int | None:
    """A signed 64-bit integer written in decimal, or None."""
    digits = value[1:] if value[:1] == "-" else value
    if 0 < len(digits) <= 18 and digits.isdigit() and digits.isascii():
        return int(value)
    return None


@lru_cache(maxsize=65536)
def _is_private(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in _PRIVATE if net.version == ip.version)


def direction(source_ip: str, destination_ip: str) -> str:
    """``internal``, ``outbound``, ``inbound`` or ``external`` from private-ness of both ends."""
    source, destination = _is_private(source_ip), _is_private(destination_ip)
    if source:
        return "internal" if destination else "outbound"
    return "inbound" if destination else "external"


def add_related(doc: Doc, kind: str, *values: Any) -> None:
    """Append the non-empty ``values`` to ``related.<kind>``, keeping the first occurrence only."""
    for value in values:
        if value is None or value == "":
            continue
        related = doc.setdefault("related", {}).setdefault(kind, [])
        if value not in related:
            related.append(value)


def set_community_id(doc: Doc) -> None:
    """``network.community_id`` from ``source``/``destination``/``network``, when complete."""
    source, destination = doc.get("source", {}), doc.get("destination", {})
    net = doc.get("network")
    if not isinstance(net, dict):
        return
    flow = community_id.community_id(
        net.get("transport"), source.get("ip"), source.get("port"),
        destination.get("ip"), destination.get("port"),
    )  # fmt: skip
    if flow is not None:
        net["community_id"] = flow
