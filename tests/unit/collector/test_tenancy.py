"""TenantResolver: listener binding and CIDR peer maps; never the log content."""

from __future__ import annotations

import pytest

from services.collector.tenancy import TenantResolver

PEERS = {
    "192.0.2.0/24": "acme",
    "192.0.2.128/25": "globex",
    "198.51.100.7/32": "initech",
    "2001:db8::/32": "acme-v6",
}


@pytest.mark.parametrize(
    ("tenant", "peers", "peer_ip", "expected"),
    [
        ("acme", None, "203.0.113.5", "acme"),
        ("acme", None, None, "acme"),
        (None, PEERS, "192.0.2.10", "acme"),
        (None, PEERS, "192.0.2.200", "globex"),  # the more specific network wins
        (None, PEERS, "198.51.100.7", "initech"),
        (None, PEERS, "198.51.100.8", None),
        (None, PEERS, "2001:db8::1", "acme-v6"),
        (None, PEERS, "::ffff:192.0.2.200", "globex"),  # IPv4-mapped IPv6
        (None, PEERS, "fe80::1%eth0", None),
        (None, PEERS, None, None),
        (None, PEERS, "not-an-address", None),
        ("default", PEERS, "192.0.2.10", "acme"),
        ("default", PEERS, "203.0.113.5", "default"),
    ],
)
def test_resolver_resolve_table(
    tenant: str | None, peers: dict[str, str] | None, peer_ip: str | None, expected: str | None
) -> None:
    assert TenantResolver(tenant, peers).resolve(peer_ip) == expected


def test_resolver_needs_a_tenant_or_a_map() -> None:
    with pytest.raises(ValueError, match="tenant or a peer"):
        TenantResolver()


@pytest.mark.parametrize("cidr", ["192.0.2.1/24", "192.0.2.0/33", "acme"])
def test_resolver_rejects_bad_networks(cidr: str) -> None:
    with pytest.raises(ValueError, match="invalid peer network"):
        TenantResolver(peers={cidr: "acme"})
