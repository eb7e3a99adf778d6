"""Syslog over TLS on real sockets: server-only TLS, required client certificates, the
certificate deciding the tenant, refusals counted, and a listener that survives bad peers."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path
from typing import Any

import pytest

from schemas import topics
from services.collector.listeners.emitter import Emitter, ListenerSpec
from services.collector.listeners.syslog_tcp import SyslogTcpListener
from services.collector.main import build
from services.collector.replay import replay
from services.collector.tenancy import TenantResolver
from services.collector.tls import client_context, server_context
from services.runtime.memory_bus import MemoryBus
from services.runtime.settings import BusSettings, Settings
from tests.unit.collector.pki import Pair, Pki
from tests.unit.collector.sockets import address, collect, events, metric, payload, running, until


def tls_listener(pki: Pki, source: str, **extra: Any) -> dict[str, Any]:
    return {
        "transport": "tls",
        "listen": "127.0.0.1:0",
        "source": source,
        "cert": pki.server.cert,
        "key": pki.server.key,
    } | extra


def settings(pki: Pki) -> Settings:
    """acme: server-only TLS and a listener requiring acme's certificates; one shared listener
    where the certificate decides between acme and globex."""
    return Settings.model_validate(
        {
            "tenants": [
                {
                    "id": "acme",
                    "syslog": [
                        tls_listener(pki, "acme-tls"),
                        tls_listener(pki, "acme-mtls", client_ca=pki.ca),
                    ],
                },
                {"id": "globex"},
            ],
            "shared_listeners": [
                tls_listener(
                    pki,
                    "tls-shared",
                    client_ca=pki.ca,
                    client_tenants={
                        "EDGE.acme.example.com": "acme",  # a SAN; names match case-blind
                        "syslog.globex.example.com": "globex",  # a subject CN
                    },
                )
            ],
        }
    )


def refused(source: str, reason: str, tenant: str = "") -> float:
    return metric("vigie_collector_refused_total", tenant=tenant, source=source, reason=reason)


async def tls_send(addr: tuple[str, int], context: ssl.SSLContext, data: bytes) -> None:
    """Send over TLS and close; a listener that refuses the peer may break it off (ignored:
    the tests look at what was published and counted)."""
    try:
        async with asyncio.timeout(5):
            _, writer = await asyncio.open_connection(*addr, ssl=context)
            writer.write(data)
            await writer.drain()
            writer.close()
            await writer.wait_closed()
    except OSError:
        pass


def client(pki: Pki, pair: Pair | None) -> ssl.SSLContext:
    return client_context(pki.ca, pair.cert if pair else None, pair.key if pair else None)


@pytest.mark.parametrize("framing", ["octet", "newline"])
async def test_tls_replay_delivers_exact_lines_without_client_certificates(
    pki: Pki, tmp_path: Path, framing: str
) -> None:
    bus = MemoryBus()
    consumer = bus.consumer([topics.RAW_EVENTS], "test")
    await consumer.start()
    lines = [b"<13>one", "<13>café".encode(), b"<13>caf\xe9 latin-1", b"<13>two\x00nul"]
    if framing == "newline":
        lines.pop()  # NUL ends a frame in newline framing; replay reports and skips it
    log_file = tmp_path / "tls.log"
    log_file.write_bytes(b"".join(line + b"\n" for line in lines))
    collector = build(settings(pki), bus)
    async with running(collector):
        host, port = address(collector, "acme-tls")
        sent = await replay(log_file, f"tls://{host}:{port}", framing=framing, ca=pki.ca)
        received = events(await collect(consumer, len(lines)))
    assert sent == len(lines)
    assert [payload(e) for e in received] == lines
    assert {(e.tenant, e.source, e.transport) for e in received} == {("acme", "acme-tls", "tls")}


async def test_tls_client_certificate_decides_the_tenant_not_the_content(
    pki: Pki, tmp_path: Path
) -> None:
    bus = MemoryBus()
    consumer = bus.consumer([topics.RAW_EVENTS], "test")
    await consumer.start()
    log_file = tmp_path / "claims.log"
    log_file.write_bytes(b"<13>organization.id=globex tenant=globex\n")
    collector = build(settings(pki), bus)
    async with running(collector):
        host, port = address(collector, "tls-shared")
        for name in ("acme", "globex"):
            pair = pki.clients[name]
            target = f"tls://{host}:{port}"
            await replay(log_file, target, framing="octet", ca=pki.ca, cert=pair.cert, key=pair.key)
        received = events(await collect(consumer, 2))
    assert sorted(e.tenant for e in received) == ["acme", "globex"]
    assert {e.source for e in received} == {"tls-shared"}


async def test_tls_refuses_unknown_invalid_and_missing_certificates(pki: Pki) -> None:
    bus = MemoryBus()
    consumer = bus.consumer([topics.RAW_EVENTS], "test")
    await consumer.start()
    collector = build(settings(pki), bus)
    before = {r: refused("tls-shared", r) for r in ("unknown_certificate", "tls_handshake")}
    async with running(collector):
        addr = address(collector, "tls-shared")
        # A valid certificate of the right CA, but named in no tenant map.
        await tls_send(addr, client(pki, pki.clients["stranger"]), b"<13>stranger\n")
        # acme's own name, signed by another CA; and no certificate at all.
        await tls_send(addr, client(pki, pki.rogue), b"<13>rogue\n")
        await tls_send(addr, client(pki, None), b"<13>anonymous\n")
        await until(lambda: refused("tls-shared", "tls_handshake") == before["tls_handshake"] + 2)
        assert refused("tls-shared", "unknown_certificate") == before["unknown_certificate"] + 1
        # The listener still serves a known certificate.
        await tls_send(addr, client(pki, pki.clients["globex"]), b"<13>known\n")
        received = events(await collect(consumer, 1))
    assert [(e.tenant, e.data) for e in received] == [("globex", "<13>known")]


async def test_tls_listener_requiring_certificates_keeps_its_own_tenant(pki: Pki) -> None:
    bus = MemoryBus()
    consumer = bus.consumer([topics.RAW_EVENTS], "test")
    await consumer.start()
    collector = build(settings(pki), bus)
    before = refused("acme-mtls", "tls_handshake")
    async with running(collector):
        addr = address(collector, "acme-mtls")
        await tls_send(addr, client(pki, None), b"<13>no certificate\n")
        await until(lambda: refused("acme-mtls", "tls_handshake") == before + 1)
        # Without a client_tenants map any certificate of the CA is accepted, for acme.
        await tls_send(addr, client(pki, pki.clients["globex"]), b"15 <13>with a cert")
        received = events(await collect(consumer, 1))
    assert [(e.tenant, e.data, e.transport) for e in received] == [
        ("acme", "<13>with a cert", "tls")
    ]


async def test_tls_plain_tcp_and_silent_peers_do_not_stop_the_listener(pki: Pki) -> None:
    bus = MemoryBus()
    consumer = bus.consumer([topics.RAW_EVENTS], "test")
    await consumer.start()
    spec = ListenerSpec("acme", "tls", "127.0.0.1", 0, "tls-robust", None, 1024)
    listener = SyslogTcpListener(
        Emitter(bus, spec, TenantResolver("acme")),
        max_connections=4,
        tls=server_context(pki.server.cert, pki.server.key),
        handshake_timeout=0.3,
    )
    await listener.start()
    try:
        reader, writer = await asyncio.open_connection(*listener.address)
        writer.write(b"<13>plain text on a TLS port\n")
        async with asyncio.timeout(5):
            assert await reader.read() == b""  # refused: closed by the listener
        writer.close()
        silent_reader, silent = await asyncio.open_connection(*listener.address)
        async with asyncio.timeout(5):
            assert await silent_reader.read() == b""  # handshake timed out
        silent.close()
        await until(lambda: refused("tls-robust", "tls_handshake") == 2)
        assert metric("vigie_collector_connections", source="tls-robust", transport="tls") == 0
        await tls_send(listener.address, client(pki, None), b"<13>after\n")
        received = events(await collect(consumer, 1))
    finally:
        await listener.close(grace=1.0)
    assert [e.data for e in received] == ["<13>after"]


async def test_tls_back_pressure_holds_the_sender_and_loses_nothing(
    pki: Pki, tmp_path: Path
) -> None:
    bus = MemoryBus(BusSettings(queue_size=4))
    consumer = bus.consumer([topics.RAW_EVENTS], "slow")
    await consumer.start()
    lines = [b"<13>line %05d " % i + b"y" * 200 for i in range(3000)]
    log_file = tmp_path / "many.log"
    log_file.write_bytes(b"".join(line + b"\n" for line in lines))
    collector = build(settings(pki), bus)
    async with running(collector):
        host, port = address(collector, "acme-tls")
        target = f"tls://{host}:{port}"
        sender = asyncio.create_task(replay(log_file, target, framing="octet", ca=pki.ca))
        await until(lambda: bus.depth(topics.RAW_EVENTS) == 4)
        await asyncio.sleep(0.3)
        # Nobody commits: the bus stays full and the sender is held back, not buffered.
        assert bus.depth(topics.RAW_EVENTS) == 4 and not sender.done()
        received = events(await collect(consumer, len(lines), timeout=30))
        assert await sender == len(lines)
    assert [payload(e) for e in received] == lines
