"""Shared syslog listeners where the sender's address decides the tenant, and per-tenant rate
limits on syslog: UDP refuses and counts, TCP pauses and loses nothing. Senders bind distinct
loopback addresses (127.0.0.0/8 is all loopback on Linux) to play different peers."""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Any

from schemas import topics
from schemas.raw import RawEvent
from services.collector.main import build
from services.runtime.bus import Consumer, Record
from services.runtime.memory_bus import MemoryBus
from services.runtime.settings import Settings
from tests.unit.collector.sockets import address, collect, events, metric, running, until

ACME_PEER, GLOBEX_PEER, STRANGER = "127.0.0.2", "127.0.0.3", "127.0.0.4"


def configure(**tenant_extra: Any) -> Settings:
    peers = {
        f"{ACME_PEER}/32": "acme",
        f"{GLOBEX_PEER}/32": "globex",
        "192.0.2.0/24": "acme",
        "198.51.100.7/32": "globex",
    }
    return Settings.model_validate(
        {
            "tenants": [{"id": "acme"} | tenant_extra, {"id": "globex"}],
            "shared_listeners": [
                {"transport": t, "listen": "127.0.0.1:0", "source": f"shared-{t}", "peers": peers}
                for t in ("tcp", "udp")
            ],
        }
    )


async def tcp_from(local: str, addr: tuple[str, int], data: bytes) -> bytes:
    """Send from ``local``, half-close, and return what the listener answered before closing."""
    reader, writer = await asyncio.open_connection(*addr, local_addr=(local, 0))
    try:
        writer.write(data)
        await writer.drain()
        writer.write_eof()
        async with asyncio.timeout(5):
            return await reader.read()
    except ConnectionError:
        return b""
    finally:
        writer.close()


def udp_from(local: str, addr: tuple[str, int], datagrams: list[bytes]) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((local, 0))
        for datagram in datagrams:
            sock.sendto(datagram, addr)


async def first(consumer: Consumer, count: int) -> list[RawEvent]:
    """The next ``count`` records as soon as they arrive (``collect`` also waits for strays)."""
    records: list[Record] = []
    async with asyncio.timeout(10):
        while len(records) < count:
            records += await consumer.poll(count - len(records), timeout=0.01)
    return events(records)


def refused(source: str, reason: str, tenant: str = "") -> float:
    return metric("vigie_collector_refused_total", tenant=tenant, source=source, reason=reason)


async def test_shared_listeners_peer_address_decides_the_tenant() -> None:
    bus = MemoryBus()
    consumer = bus.consumer([topics.RAW_EVENTS], "test")
    await consumer.start()
    collector = build(configure(), bus)
    before = {t: refused(f"shared-{t}", "unknown_peer") for t in ("tcp", "udp")}
    dropped_before = metric(
        "vigie_collector_dropped_total", source="shared-udp", transport="udp", reason="unknown_peer"
    )
    async with running(collector):
        tcp, udp = address(collector, "shared-tcp"), address(collector, "shared-udp")
        await tcp_from(ACME_PEER, tcp, b"<13>tenant=globex from acme\n")
        await tcp_from(GLOBEX_PEER, tcp, b"<13>from globex\n")
        assert await tcp_from(STRANGER, tcp, b"<13>from nobody\n") == b""
        udp_from(ACME_PEER, udp, [b"<13>udp acme"])
        udp_from(STRANGER, udp, [b"<13>udp nobody", b"<13>udp nobody again"])
        received = events(await collect(consumer, 3))
        await until(lambda: refused("shared-udp", "unknown_peer") == before["udp"] + 2)
    assert sorted((e.source, e.tenant, e.data) for e in received) == [
        ("shared-tcp", "acme", "<13>tenant=globex from acme"),
        ("shared-tcp", "globex", "<13>from globex"),
        ("shared-udp", "acme", "<13>udp acme"),
    ]
    assert all(e.peer and not e.peer.startswith(STRANGER) for e in received)
    assert refused("shared-tcp", "unknown_peer") == before["tcp"] + 1
    dropped = metric(
        "vigie_collector_dropped_total", source="shared-udp", transport="udp", reason="unknown_peer"
    )
    assert dropped == dropped_before + 2
    assert metric("vigie_collector_connections", source="shared-tcp", transport="tcp") == 0


async def test_udp_over_the_rate_limit_is_dropped_and_counted() -> None:
    bus = MemoryBus()
    consumer = bus.consumer([topics.RAW_EVENTS], "test")
    await consumer.start()
    collector = build(configure(rate_limit={"events_per_second": 0.5, "burst": 5}), bus)
    before = refused("shared-udp", "rate_limited", "acme")
    async with running(collector):
        udp = address(collector, "shared-udp")
        udp_from(ACME_PEER, udp, [b"<13>burst %d" % i for i in range(20)])
        udp_from(GLOBEX_PEER, udp, [b"<13>globex %d" % i for i in range(10)])  # no limit
        await until(lambda: refused("shared-udp", "rate_limited", "acme") - before >= 14)
        limited = refused("shared-udp", "rate_limited", "acme") - before
        received = events(await collect(consumer, 30 - int(limited)))
    acme = [e.data for e in received if e.tenant == "acme"]
    assert acme == [f"<13>burst {i}" for i in range(len(acme))]  # the first ones, in order
    assert len(acme) + limited == 20 and len(acme) in (5, 6)
    assert sum(e.tenant == "globex" for e in received) == 10


async def test_tcp_over_the_rate_limit_pauses_reading_and_loses_nothing() -> None:
    bus = MemoryBus()
    consumer = bus.consumer([topics.RAW_EVENTS], "test")
    await consumer.start()
    collector = build(configure(rate_limit={"events_per_second": 50, "burst": 10}), bus)
    labels = {"tenant": "acme", "source": "shared-tcp"}
    throttled_before = metric("vigie_collector_throttled_seconds_total", **labels)
    async with running(collector):
        tcp = address(collector, "shared-tcp")
        reader, writer = await asyncio.open_connection(*tcp, local_addr=(ACME_PEER, 0))
        writer.write(b"".join(b"<13>line %d\n" % i for i in range(60)))
        await writer.drain()
        burst = await first(consumer, 60)
        # The burst went through in debt (50 events): the next line waits for it to be paid.
        started = time.monotonic()
        writer.write(b"<13>after the burst\n")
        writer.write_eof()
        after = await first(consumer, 1)
        waited = time.monotonic() - started
        async with asyncio.timeout(5):
            assert await reader.read() == b""
        writer.close()
    assert [e.data for e in burst + after] == [f"<13>line {i}" for i in range(60)] + [
        "<13>after the burst"
    ]
    assert waited >= 0.5  # about (50 + 1) / 50 s; unthrottled it is a few milliseconds
    assert metric("vigie_collector_throttled_seconds_total", **labels) > throttled_before
    assert refused("shared-tcp", "rate_limited", "acme") == 0
