"""TenantResolver (listener binding, CIDR peer maps, certificate maps) and the HTTP token table;
never the log content."""

from __future__ import annotations

import hashlib

import pytest

from services.collector.tenancy import HttpBinding, TenantResolver, TokenError, TokenTable

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
    with pytest.raises(ValueError, match="needs a tenant, a peer address map or a certificate"):
        TenantResolver()


@pytest.mark.parametrize("cidr", ["192.0.2.1/24", "192.0.2.0/33", "acme"])
def test_resolver_rejects_bad_networks(cidr: str) -> None:
    with pytest.raises(ValueError, match="invalid peer network"):
        TenantResolver(peers={cidr: "acme"})


CERTS = {
    "fw1.acme.example.com": "acme",
    "EDGE.acme.example.com": "acme",
    "gw.example.com": "globex",
}


@pytest.mark.parametrize(
    ("tenant", "names", "expected"),
    [
        (None, ["fw1.acme.example.com"], "acme"),
        (None, ["unknown.example.com", "edge.acme.example.com"], "acme"),  # a SAN, any case
        (None, ["fw1.acme.example.com", "edge.acme.example.com"], "acme"),
        (None, ["fw1.acme.example.com", "gw.example.com"], None),  # two tenants: ambiguous
        (None, ["unknown.example.com"], None),
        (None, [], None),
        ("acme", ["unknown.example.com"], None),  # the map decides, not the listener tenant
    ],
)
def test_resolver_certificate_map_table(
    tenant: str | None, names: list[str], expected: str | None
) -> None:
    resolver = TenantResolver(tenant, certificates=CERTS)
    assert resolver.by_certificate
    # The peer address never matters when certificates decide.
    assert resolver.resolve("192.0.2.10", names) == expected


def test_resolver_without_certificate_map_ignores_certificate_names() -> None:
    resolver = TenantResolver(peers={"192.0.2.0/24": "acme"})
    assert not resolver.by_certificate
    assert resolver.resolve("198.51.100.1", ["fw1.acme.example.com"]) is None


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


TOKENS = TokenTable(
    [
        (digest("tok-fw"), HttpBinding("acme", "firewall", "json")),
        (digest("tok-multi"), HttpBinding("acme", "firewall", "json")),
        (digest("tok-multi"), HttpBinding("acme", "proxy", "ecs")),
        (digest("tok-globex").upper(), HttpBinding("globex", "app", None)),
    ]
)


@pytest.mark.parametrize(
    ("token", "source", "expected"),
    [
        ("tok-fw", None, HttpBinding("acme", "firewall", "json")),
        ("tok-fw", "firewall", HttpBinding("acme", "firewall", "json")),
        ("tok-fw", "proxy", "forbidden_source"),
        ("tok-multi", "proxy", HttpBinding("acme", "proxy", "ecs")),
        ("tok-multi", None, "forbidden_source"),  # several sources: the path must name one
        ("tok-globex", None, HttpBinding("globex", "app", None)),
        ("tok-unknown", None, "unknown"),
        ("", None, "unknown"),
        (None, "firewall", "unknown"),
    ],
)
def test_token_table_resolve_table(
    token: str | None, source: str | None, expected: HttpBinding | str
) -> None:
    if isinstance(expected, str):
        with pytest.raises(TokenError) as error:
            TOKENS.resolve(token, source)
        assert error.value.reason == expected
    else:
        assert TOKENS.resolve(token, source) == expected


def test_token_table_refuses_a_token_of_two_tenants() -> None:
    bindings = [
        (digest("shared"), HttpBinding("acme", "a", None)),
        (digest("shared"), HttpBinding("globex", "b", None)),
    ]
    with pytest.raises(ValueError, match="one HTTP token is configured for two tenants"):
        TokenTable(bindings)
