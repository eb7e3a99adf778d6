"""Community ID flow hash, version 1 (corelight/community-id-spec), as Elastic's ``community_id``.

``community_id(transport, source_ip, source_port, destination_ip, destination_port)`` returns
``"1:<base64 sha1>"`` for TCP, UDP and SCTP flows (seed 0), the same value for both directions of
a flow, and ``None`` when a part is missing or invalid (an unknown transport, a bad address, a
port outside 0-65535, or source and destination of different IP versions).
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import struct
from functools import lru_cache

PROTOCOLS = {"tcp": 6, "udp": 17, "sctp": 132}
_SEED = 0


def community_id(
    transport: str | None,
    source_ip: str | None,
    source_port: int | None,
    destination_ip: str | None,
    destination_port: int | None,
) -> str | None:
    protocol = PROTOCOLS.get(transport.lower()) if isinstance(transport, str) else None
    if protocol is None or not isinstance(source_ip, str) or not isinstance(destination_ip, str):
        return None
    if not _is_port(source_port) or not _is_port(destination_port):
        return None
    src, dst = _packed(source_ip), _packed(destination_ip)
    if src is None or dst is None or len(src) != len(dst):
        return None
    sport, dport = source_port, destination_port
    if (dst, dport) < (src, sport):  # the spec orders the endpoints so both directions agree
        src, dst, sport, dport = dst, src, dport, sport
    packed = struct.pack("!H", _SEED) + src + dst + struct.pack("!BBHH", protocol, 0, sport, dport)
    return "1:" + base64.b64encode(hashlib.sha1(packed).digest()).decode()


@lru_cache(maxsize=65536)  # a site's flows repeat the same addresses
def _packed(address: str) -> bytes | None:
    try:
        return ipaddress.ip_address(address).packed
    except ValueError:
        return None


def _is_port(value: int | None) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 65535
