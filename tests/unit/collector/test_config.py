"""Listener configuration checked at start-up: TLS fields, shared listeners' tenant maps, HTTP
sources, port clashes across transports, unreadable certificates, a taken HTTP port."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from pydantic import ValidationError

from services.collector.main import BindError, build
from services.runtime.memory_bus import MemoryBus
from services.runtime.settings import Settings
from tests.unit.collector.pki import Pki

TLS = {"transport": "tls", "listen": "127.0.0.1:0", "cert": "server.pem", "key": "server.key"}


def configure(syslog: list[dict[str, Any]] | None = None, **top: Any) -> Settings:
    tenants = [{"id": "acme", "syslog": syslog or []}, {"id": "globex"}]
    return Settings.model_validate({"tenants": tenants} | top)


def http_source(**fields: Any) -> dict[str, Any]:
    """A tenant with one HTTP source; a field given as None is left out."""
    source = {"name": "fw", "format": "okta", "tokens_sha256": ["a" * 64]} | fields
    present = {key: value for key, value in source.items() if value is not None}
    return {"tenants": [{"id": "acme", "http_sources": [present]}]}


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"syslog": [TLS | {"cert": None}]}, "a tls listener needs cert and key"),
        ({"syslog": [TLS | {"key": None}]}, "a tls listener needs cert and key"),
        (
            {"syslog": [{"transport": "tcp", "listen": ":1", "cert": "c.pem"}]},
            "apply to tls only",
        ),
        (
            {"syslog": [TLS | {"client_tenants": {"fw.example.com": "acme"}}]},
            "client_tenants needs client_ca",
        ),
        (
            {"shared_listeners": [{"transport": "udp", "listen": ":1"}]},
            "either peers or client_tenants",
        ),
        (
            {
                "shared_listeners": [
                    TLS
                    | {
                        "client_ca": "ca.pem",
                        "client_tenants": {"fw.example.com": "acme"},
                        "peers": {"192.0.2.0/24": "acme"},
                    }
                ]
            },
            "either peers or client_tenants",
        ),
        (http_source(tokens_sha256=["abc"]), "SHA-256 digests in hex"),
        (http_source(tokens_sha256=[]), "at least 1 item"),
        (http_source(format=None), "format\n  Field required"),
        (http_source(name="a b"), "should match pattern"),
        (
            {"tenants": [{"id": "acme", "rate_limit": {"events_per_second": 0, "burst": 1}}]},
            "greater than 0",
        ),
    ],
)
def test_settings_reject_inconsistent_listeners(config: dict[str, Any], message: str) -> None:
    syslog = config.pop("syslog", [])
    with pytest.raises(ValidationError, match=message):
        configure(syslog, **config)


@pytest.mark.parametrize(
    ("syslog", "top", "message"),
    [
        (
            [],
            {
                "shared_listeners": [
                    {"transport": "udp", "listen": ":1", "peers": {"192.0.2.0/24": "initech"}}
                ]
            },
            r"shared udp listener on :1: unknown tenant\(s\) \['initech'\]",
        ),
        (
            [{"transport": "tcp", "listen": "127.0.0.1:6514"}, TLS | {"listen": "127.0.0.1:6514"}],
            {},
            "listeners clash: tenant acme and tenant acme both listen on tcp port 6514",
        ),
        (
            [{"transport": "tcp", "listen": "0.0.0.0:8080"}],
            {"collector": {"http_listen": "127.0.0.1:8080"}},
            "tenant acme and shared http listener both listen on tcp port 8080",
        ),
        (
            [],
            {"collector": {"http_listen": "8080"}},
            "is not host:port",
        ),
        (
            [TLS | {"cert": "/nonexistent/server.pem"}],
            {},
            "tenant acme on 127.0.0.1:0: cannot load certificate /nonexistent/server.pem",
        ),
    ],
)
def test_build_rejects_bad_listener_tables(
    syslog: list[dict[str, Any]], top: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        build(configure(syslog, **top), MemoryBus())


def test_build_accepts_tls_udp_and_tcp_beside_each_other(pki: Pki) -> None:
    tls = TLS | {"cert": pki.server.cert, "key": pki.server.key, "listen": "127.0.0.1:6514"}
    syslog = [tls, {"transport": "udp", "listen": "127.0.0.1:6514"}]
    assert build(configure(syslog), MemoryBus()).stage == "collector"


async def test_collector_fails_fast_when_the_http_port_is_taken() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        collector = build(configure(collector={"http_listen": f"127.0.0.1:{port}"}), MemoryBus())
        with pytest.raises(
            BindError, match=f"shared http listener: cannot listen on http 127.0.0.1:{port}"
        ):
            await collector.run()
    assert not collector.ready
