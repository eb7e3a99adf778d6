"""The collector on real sockets: two tenants, TCP (both framings) and UDP, into raw.events."""

from __future__ import annotations

import asyncio
import socket
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from schemas import topics
from schemas.codec import decode
from schemas.dlq import DeadLetter
from schemas.raw import RawEvent
from services.collector.listeners.emitter import Emitter, ListenerSpec
from services.collector.listeners.syslog_udp import SyslogUdpListener
from services.collector.main import BindError, build, parse_listen
from services.collector.replay import replay
from services.collector.tenancy import TenantResolver
from services.runtime.memory_bus import MemoryBus
from services.runtime.settings import BusSettings, Settings
from tests.unit.collector.sockets import (
    address,
    collect,
    events,
    metric,
    payload,
    running,
    until,
)

MAX = 256


def configure(tenants: list[dict[str, Any]], **collector: int) -> Settings:
    return Settings.model_validate({"tenants": tenants, "collector": collector})


def one_listener(source: str, **collector: int) -> Settings:
    listener = {"transport": "tcp", "listen": "127.0.0.1:0", "source": source}
    return configure([{"id": "acme", "syslog": [listener]}], **collector)


def two_tenants(**collector: int) -> Settings:
    return configure(
        [
            {
                "id": "acme",
                "syslog": [
                    {"transport": "tcp", "listen": "127.0.0.1:0", "source": "acme-tcp"},
                    {"transport": "udp", "listen": "127.0.0.1:0", "source": "acme-udp"},
                ],
            },
            {
                "id": "globex",
                "syslog": [
                    {"transport": "tcp", "listen": "127.0.0.1:0", "source": "fw", "format": "cef"},
                    {"transport": "udp", "listen": "127.0.0.1:0", "source": "fw-udp"},
                ],
            },
        ],
        **({"max_record_bytes": MAX} | collector),
    )


async def tcp_send(addr: tuple[str, int], pieces: list[bytes]) -> str:
    """Send pieces as separate writes, close, and return the local "ip:port"."""
    reader, writer = await asyncio.open_connection(*addr)
    for piece in pieces:
        writer.write(piece)
        await writer.drain()
        await asyncio.sleep(0.005)
    ip, port = writer.get_extra_info("sockname")[:2]
    writer.write_eof()
    await reader.read()  # the collector closes once it has published everything
    writer.close()
    return f"{ip}:{port}"


async def udp_send(addr: tuple[str, int], datagrams: list[bytes]) -> str:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        for datagram in datagrams:
            sock.sendto(datagram, addr)
            await asyncio.sleep(0)
        ip, port = sock.getsockname()
    return f"{ip}:{port}"


async def test_collector_delivers_every_line_of_both_tenants(tmp_path: Path) -> None:
    bus = MemoryBus()
    consumer = bus.consumer([topics.RAW_EVENTS], "test")
    await consumer.start()
    collector = build(two_tenants(), bus)
    long_line = b"<13>" + b"x" * 1000
    newline_lines = [b"<13>acme one", "<13>acme café".encode(), b"<13>caf\xe9 latin-1", long_line]
    octet_lines = [b"<14>globex one", b"<14>two\nlines", b"<14>\xff\xfe bytes", long_line]
    udp_lines = [b"<13>udp one", b"<13>udp \xe9", long_line]
    replay_file = tmp_path / "replay.log"
    replay_file.write_bytes(b"<13>replayed one\n<13>replayed two\r\n\n<13>replayed caf\xe9\n")
    replayed = [b"<13>replayed one", b"<13>replayed two", b"<13>replayed caf\xe9"]

    async with running(collector):
        acme_tcp, acme_udp = address(collector, "acme-tcp"), address(collector, "acme-udp")
        globex_tcp, globex_udp = address(collector, "fw"), address(collector, "fw-udp")
        stream = b"".join(line + b"\r\n" for line in newline_lines)
        peer_nl = await tcp_send(acme_tcp, [stream[i : i + 7] for i in range(0, len(stream), 7)])
        octets = b"".join(b"%d %s" % (len(line), line) for line in octet_lines)
        peer_oc = await tcp_send(globex_tcp, [octets[:5], octets[5:40], octets[40:]])
        peer_udp = await udp_send(acme_udp, [line + b"\n" for line in udp_lines])
        peer_udp2 = await udp_send(globex_udp, [b"<14>globex udp"])
        sent = [
            await replay(replay_file, f"tcp://{acme_tcp[0]}:{acme_tcp[1]}"),
            await replay(replay_file, f"tcp://{globex_tcp[0]}:{globex_tcp[1]}", framing="octet"),
            await replay(replay_file, f"udp://{acme_udp[0]}:{acme_udp[1]}"),
        ]
        assert sent == [3, 3, 3]
        total = len(newline_lines) + len(octet_lines) + len(udp_lines) + 1 + sum(sent)
        received = events(await collect(consumer, total))

    def where(source: str, peer: str | None = None) -> list[RawEvent]:
        return [e for e in received if e.source == source and (peer is None or e.peer == peer)]

    def expected_bytes(lines: list[bytes]) -> list[bytes]:
        return [line[:MAX] for line in lines]

    assert [payload(e) for e in where("acme-tcp", peer_nl)] == expected_bytes(newline_lines)
    assert [payload(e) for e in where("fw", peer_oc)] == expected_bytes(octet_lines)
    assert [payload(e) for e in where("acme-udp", peer_udp)] == expected_bytes(udp_lines)
    assert [payload(e) for e in where("fw-udp", peer_udp2)] == [b"<14>globex udp"]
    for source in ("acme-tcp", "fw", "acme-udp"):
        assert [payload(e) for e in where(source) if b"replayed" in payload(e)] == replayed
    owners = {(e.source, e.tenant, e.transport, e.format) for e in received}
    assert owners == {
        ("acme-tcp", "acme", "tcp", "syslog"),
        ("acme-udp", "acme", "udp", "syslog"),
        ("fw", "globex", "tcp", "cef"),
        ("fw-udp", "globex", "udp", "syslog"),
    }
    assert all(e.peer and e.peer.startswith("127.0.0.1:") for e in received)
    cut = [e for e in received if payload(e).startswith(b"<13>xxx")]
    assert len(cut) == 3 and all(e.truncated and e.original_size == len(long_line) for e in cut)
    assert sum(not e.truncated for e in received) == total - 3
    assert Counter(e.encoding for e in received)["base64"] == 6  # caf\xe9 x4, \xff\xfe, udp \xe9
    assert len({e.id for e in received}) == total


async def test_collector_keys_records_by_tenant() -> None:
    bus = MemoryBus()
    consumer = bus.consumer([topics.RAW_EVENTS], "test")
    await consumer.start()
    collector = build(two_tenants(), bus)
    async with running(collector):
        await udp_send(address(collector, "fw-udp"), [b"<14>a"])
        await tcp_send(address(collector, "acme-tcp"), [b"<13>b\n"])
        records = await collect(consumer, 2)
    assert sorted((r.key, decode(r.value, RawEvent).tenant) for r in records) == [
        ("acme", "acme"),
        ("globex", "globex"),
    ]


async def test_collector_tcp_back_pressure_loses_nothing(tmp_path: Path) -> None:
    bus = MemoryBus(BusSettings(queue_size=4))
    consumer = bus.consumer([topics.RAW_EVENTS], "slow")
    await consumer.start()
    lines = [b"<13>line %05d " % i + b"y" * 200 for i in range(2000)]
    log_file = tmp_path / "many.log"
    log_file.write_bytes(b"".join(line + b"\n" for line in lines))
    collector = build(two_tenants(max_record_bytes=1024), bus)
    async with running(collector):
        host, port = address(collector, "acme-tcp")
        sender = asyncio.create_task(replay(log_file, f"tcp://{host}:{port}", framing="octet"))
        await until(lambda: bus.depth(topics.RAW_EVENTS) == 4)
        await asyncio.sleep(0.3)
        # Nobody commits: the bus stays full and the sender is held back, not buffered.
        assert bus.depth(topics.RAW_EVENTS) == 4 and not sender.done()
        received = events(await collect(consumer, len(lines)))
        assert await sender == len(lines)
    assert [payload(e) for e in received] == lines


async def test_collector_udp_queue_full_drops_are_counted() -> None:
    bus = MemoryBus(BusSettings(queue_size=2))
    consumer = bus.consumer([topics.RAW_EVENTS], "slow")
    await consumer.start()
    spec = ListenerSpec("acme", "udp", "127.0.0.1", 0, "udp-drops", None, MAX)
    listener = SyslogUdpListener(Emitter(bus, spec, TenantResolver("acme")), queue_datagrams=5)
    labels = {"source": "udp-drops", "transport": "udp"}
    await listener.start()
    try:
        await udp_send(listener.address, [b"<13>d %d" % i for i in range(50)])
        await asyncio.sleep(0.3)  # the loop reads the rest of the socket; the bus stays full
        dropped = metric("vigie_collector_dropped_total", reason="queue_full", **labels)
        assert dropped > 0
        received = events(await collect(consumer, 50 - int(dropped)))
    finally:
        await listener.close(grace=1.0)
    assert dropped + len(received) == 50
    assert metric("vigie_collector_received_total", tenant="acme", **labels) == len(received)


async def test_collector_incomplete_octet_frame_is_dead_lettered() -> None:
    bus = MemoryBus()
    raw_consumer = bus.consumer([topics.RAW_EVENTS], "raw")
    dlq_consumer = bus.consumer([topics.dlq("collector")], "dlq")
    await raw_consumer.start()
    await dlq_consumer.start()
    collector = build(two_tenants(), bus)
    async with running(collector):
        await tcp_send(address(collector, "fw"), [b"5 <14>a", b"50 <14>cut sh", b"ort"])
        raw = events(await collect(raw_consumer, 1))
        letters = [decode(r.value, DeadLetter) for r in await collect(dlq_consumer, 1)]
    assert payload(raw[0]) == b"<14>a"
    (letter,) = letters
    assert (letter.tenant, letter.stage, letter.source) == ("globex", "collector", "fw")
    assert "incomplete octet-counted frame: 13 of 50" in letter.error
    partial = decode(letter.payload.encode(), RawEvent)
    assert (partial.data, partial.truncated, partial.original_size) == ("<14>cut short", True, 50)


async def test_collector_stop_flushes_an_open_connection() -> None:
    bus = MemoryBus()
    consumer = bus.consumer([topics.RAW_EVENTS], "test")
    await consumer.start()
    collector = build(two_tenants(), bus)
    async with running(collector):
        reader, writer = await asyncio.open_connection(*address(collector, "acme-tcp"))
        writer.write(b"<13>done\n<13>no newline yet")
        await writer.drain()
        await until(lambda: bus.depth(topics.RAW_EVENTS) == 1)
    # Leaving ``running`` stopped the collector: it closed the connection and flushed the tail.
    assert await reader.read() == b""
    writer.close()
    received = events(await collect(consumer, 2))
    assert [e.data for e in received] == ["<13>done", "<13>no newline yet"]


async def test_collector_refuses_connections_beyond_the_limit() -> None:
    bus = MemoryBus()
    consumer = bus.consumer([topics.RAW_EVENTS], "test")
    await consumer.start()
    settings = one_listener("one-conn", max_connections=1)
    labels = {"source": "one-conn", "transport": "tcp"}
    refused_before = metric("vigie_collector_refused_connections_total", **labels)
    collector = build(settings, bus)
    async with running(collector):
        addr = address(collector, "one-conn")
        _, first = await asyncio.open_connection(*addr)
        first.write(b"<13>first\n")
        await first.drain()
        await until(lambda: bus.depth(topics.RAW_EVENTS) == 1)
        assert metric("vigie_collector_connections", **labels) == 1
        second_reader, second = await asyncio.open_connection(*addr)
        async with asyncio.timeout(5):
            assert await second_reader.read() == b""  # closed by the collector at once
        second.close()
        first.close()
        await until(lambda: metric("vigie_collector_connections", **labels) == 0)
        assert await tcp_send(addr, [b"<13>after\n"])
        received = events(await collect(consumer, 2))
    assert [e.data for e in received] == ["<13>first", "<13>after"]
    assert metric("vigie_collector_refused_connections_total", **labels) == refused_before + 1


async def test_collector_counts_skipped_empty_lines() -> None:
    collector = build(one_listener("blank"), MemoryBus())
    async with running(collector):
        await tcp_send(address(collector, "blank"), [b"<13>a\n\n\r\n<13>b\n"])
    labels = {"source": "blank", "transport": "tcp"}
    assert metric("vigie_collector_dropped_total", reason="empty_line", **labels) == 2
    assert metric("vigie_collector_received_total", tenant="acme", **labels) == 2


async def test_collector_fails_fast_when_a_port_is_taken() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = configure(
            [
                {"id": "acme", "syslog": [{"transport": "udp", "listen": f"127.0.0.1:{port}"}]},
                {"id": "globex", "syslog": [{"transport": "tcp", "listen": f"127.0.0.1:{port}"}]},
            ]
        )
        collector = build(settings, MemoryBus())
        with pytest.raises(
            BindError, match=f"tenant globex: cannot listen on tcp 127.0.0.1:{port}"
        ):
            await collector.run()
    assert not collector.ready and collector.bound_addresses() == []


@pytest.mark.parametrize(
    ("first", "second", "clash"),
    [
        (("tcp", "127.0.0.1:5514"), ("tcp", "127.0.0.1:5514"), True),
        (("tcp", "127.0.0.1:5514"), ("udp", "127.0.0.1:5514"), False),
        (("tcp", "0.0.0.0:5514"), ("tcp", "127.0.0.1:5514"), True),
        (("udp", ":5514"), ("udp", "[::1]:5514"), True),
        (("tcp", "0.0.0.0:5514"), ("tcp", "[::1]:5514"), False),
        (("tcp", "127.0.0.1:5514"), ("tcp", "127.0.0.2:5514"), False),
        (("tcp", "127.0.0.1:0"), ("tcp", "127.0.0.1:0"), False),
    ],
)
def test_build_detects_listener_clashes(
    first: tuple[str, str], second: tuple[str, str], clash: bool
) -> None:
    settings = configure(
        [
            {"id": "acme", "syslog": [{"transport": first[0], "listen": first[1]}]},
            {"id": "globex", "syslog": [{"transport": second[0], "listen": second[1]}]},
        ]
    )
    if clash:
        with pytest.raises(ValueError, match="tenant acme and tenant globex both listen"):
            build(settings, MemoryBus())
    else:
        assert build(settings, MemoryBus()).stage == "collector"


@pytest.mark.parametrize(
    ("listen", "expected"),
    [
        ("127.0.0.1:5514", ("127.0.0.1", 5514)),
        ("[2001:db8::1]:514", ("2001:db8::1", 514)),
        (":514", ("", 514)),
        ("localhost:0", ("localhost", 0)),
        ("127.0.0.1", None),
        ("127.0.0.1:http", None),
        ("127.0.0.1:70000", None),
    ],
)
def test_parse_listen_table(listen: str, expected: tuple[str, int] | None) -> None:
    if expected is None:
        with pytest.raises(ValueError, match="is not host:port"):
            parse_listen(listen)
    else:
        assert parse_listen(listen) == expected


def test_build_names_the_tenant_of_a_bad_listen_address() -> None:
    settings = configure([{"id": "acme", "syslog": [{"transport": "tcp", "listen": "nowhere"}]}])
    with pytest.raises(ValueError, match="tenant acme: listen address 'nowhere'"):
        build(settings, MemoryBus())


async def test_collector_closes_idle_connections_and_keeps_what_they_sent() -> None:
    bus = MemoryBus()
    consumer = bus.consumer([topics.RAW_EVENTS], "raw")
    await consumer.start()
    collector = build(one_listener("idle", idle_timeout_seconds=0.3), bus)  # type: ignore[arg-type]
    async with running(collector):
        reader, writer = await asyncio.open_connection(*address(collector, "idle"))
        writer.write(b"<14>first\n<14>unterminated")
        await writer.drain()
        closed = await asyncio.wait_for(reader.read(), timeout=5)  # EOF: the server hung up
        raw = events(await collect(consumer, 2))
        writer.close()
    assert closed == b""
    assert [payload(r) for r in raw] == [b"<14>first", b"<14>unterminated"]
    labels = {"tenant": "acme", "source": "idle", "reason": "idle_timeout"}
    assert metric("vigie_collector_refused_total", **labels) >= 1
