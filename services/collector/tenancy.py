"""Which tenant a received record belongs to, decided by where it arrived, never by its content.

One ``TenantResolver`` serves one listener:
- a dedicated listener (``tenants[*].syslog[*]``) is bound to its tenant;
- a shared listener maps the peer address through CIDR → tenant networks, the most specific
  network first; a dedicated listener may carry such a map too, its tenant then being the
  default for peers outside every network.
``resolve`` returns None when nothing matches: the caller counts the record as dropped.
IPv4-mapped IPv6 peers (``::ffff:192.0.2.1``) are matched as IPv4.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class TenantResolver:
    def __init__(self, tenant: str | None = None, peers: Mapping[str, str] | None = None) -> None:
        if tenant is None and not peers:
            raise ValueError("a listener needs a tenant or a peer address map")
        self.tenant = tenant
        networks = [(_network(cidr), owner) for cidr, owner in (peers or {}).items()]
        # Most specific first, so 192.0.2.128/25 wins over 192.0.2.0/24.
        self._networks = sorted(networks, key=lambda item: item[0].prefixlen, reverse=True)

    def resolve(self, peer_ip: str | None) -> str | None:
        address = _address(peer_ip)
        if address is not None:
            for network, owner in self._networks:
                if address.version == network.version and address in network:
                    return owner
        return self.tenant


def _network(cidr: str) -> Network:
    try:
        return ipaddress.ip_network(cidr, strict=True)
    except ValueError as exc:
        raise ValueError(f"invalid peer network {cidr!r}: {exc}") from exc


def _address(peer_ip: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not peer_ip:
        return None
    try:
        address = ipaddress.ip_address(peer_ip.split("%", 1)[0])  # drop an IPv6 zone id
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address
