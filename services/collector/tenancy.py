"""Which tenant a received record belongs to, decided by where it arrived, never by its content.

One ``TenantResolver`` serves one listener:
- a dedicated listener (``tenants[*].syslog[*]``) is bound to its tenant;
- a shared listener maps the peer address through CIDR → tenant networks, the most specific
  network first; a dedicated listener may carry such a map too, its tenant then being the
  default for peers outside every network;
- a TLS listener with a certificate map (``client_tenants``: subject CN or SAN DNS name →
  tenant) lets the verified client certificate alone decide: a certificate none of whose names
  is in the map, or whose names point at two different tenants, resolves to None.
``resolve`` returns None when nothing matches: the caller refuses and counts the record or the
connection, never publishing it under a guessed tenant.
IPv4-mapped IPv6 peers (``::ffff:192.0.2.1``) are matched as IPv4.

``TokenTable`` resolves an HTTP bearer token to its ``HttpBinding`` (tenant, source, format).
Only SHA-256 digests of tokens are configured; looking the digest up in a dict leaks nothing
useful through timing, since a caller cannot steer the digest of a guessed token.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class TenantResolver:
    def __init__(
        self,
        tenant: str | None = None,
        peers: Mapping[str, str] | None = None,
        *,
        certificates: Mapping[str, str] | None = None,
    ) -> None:
        if tenant is None and not peers and not certificates:
            raise ValueError("a listener needs a tenant, a peer address map or a certificate map")
        self.tenant = tenant
        networks = [(_network(cidr), owner) for cidr, owner in (peers or {}).items()]
        # Most specific first, so 192.0.2.128/25 wins over 192.0.2.0/24.
        self._networks = sorted(networks, key=lambda item: item[0].prefixlen, reverse=True)
        self._certificates = {name.lower(): owner for name, owner in (certificates or {}).items()}

    @property
    def by_certificate(self) -> bool:
        return bool(self._certificates)

    def resolve(self, peer_ip: str | None, cert_names: Sequence[str] = ()) -> str | None:
        """The tenant for this peer address and these verified certificate names, or None."""
        if self._certificates:
            owners = {self._certificates.get(name.lower()) for name in cert_names} - {None}
            return owners.pop() if len(owners) == 1 else None
        address = _address(peer_ip)
        if address is not None:
            for network, owner in self._networks:
                if address.version == network.version and address in network:
                    return owner
        return self.tenant


@dataclass(frozen=True, slots=True)
class HttpBinding:
    tenant: str
    source: str
    format: str | None


class TokenError(Exception):
    """Why a token does not grant a request: ``unknown`` (401) or ``forbidden_source`` (403)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class TokenTable:
    """SHA-256 of a bearer token → the HTTP sources it opens (all of one tenant)."""

    def __init__(self, bindings: Iterable[tuple[str, HttpBinding]]) -> None:
        self._sources: dict[str, dict[str, HttpBinding]] = {}
        for digest, binding in bindings:
            sources = self._sources.setdefault(digest.lower(), {})
            if any(b.tenant != binding.tenant for b in sources.values()):
                raise ValueError(f"one HTTP token is configured for two tenants ({digest[:12]}…)")
            sources[binding.source] = binding

    def resolve(self, token: str | None, source: str | None = None) -> HttpBinding:
        """The binding of ``token`` (for ``source`` when named); raises TokenError."""
        digest = hashlib.sha256(token.encode()).hexdigest() if token else ""
        sources = self._sources.get(digest)
        if not sources:
            raise TokenError("unknown", "missing or unknown bearer token")
        if source is None and len(sources) == 1:
            return next(iter(sources.values()))
        if source is None:
            raise TokenError("forbidden_source", "this token serves several sources: name one")
        if source not in sources:
            raise TokenError("forbidden_source", "this token does not grant that source")
        return sources[source]


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
