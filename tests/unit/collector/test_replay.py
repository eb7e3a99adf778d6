"""replay(): exact bytes, both TCP framings, UDP limits, errors reported not raised, pacing."""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path
from typing import Any

import pytest

from services.collector.framing import FrameDecoder
from services.collector.replay import parse_target, read_lines, replay


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.received: list[bytes] = []

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.received.append(data)


async def tcp_sink(received: list[bytes]) -> asyncio.Server:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        received.append(await reader.read())
        writer.close()

    return await asyncio.start_server(serve, "127.0.0.1", 0)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("tcp://127.0.0.1:5514", ("tcp", "127.0.0.1", 5514)),
        ("udp://[::1]:514", ("udp", "::1", 514)),
        ("udp://localhost:0", ("udp", "localhost", 0)),
        ("tls://[2001:db8::1]:6514", ("tls", "2001:db8::1", 6514)),
        ("http://127.0.0.1:5514", None),
        ("tcp://127.0.0.1", None),
        ("tcp://:5514", None),
        ("127.0.0.1:5514", None),
        ("tcp://127.0.0.1:port", None),
    ],
)
def test_parse_target_table(target: str, expected: tuple[str, str, int] | None) -> None:
    if expected is None:
        with pytest.raises(ValueError, match="is not tcp://HOST:PORT"):
            parse_target(target)
    else:
        assert parse_target(target) == expected


def test_read_lines_removes_only_the_line_terminator(tmp_path: Path) -> None:
    log_file = tmp_path / "a.log"
    log_file.write_bytes(b"one\r\ntwo\r\r\n\nca\xe9\n  last\r")
    assert list(read_lines(log_file)) == [
        (1, b"one"),
        (2, b"two\r"),
        (3, b""),
        (4, b"ca\xe9"),
        (5, b"  last\r"),
    ]


@pytest.mark.parametrize("framing", ["newline", "octet"])
async def test_replay_tcp_sends_exact_framed_lines(tmp_path: Path, framing: str) -> None:
    log_file = tmp_path / "a.log"
    log_file.write_bytes(b"<13>one\r\n\n<13>caf\xe9\n<13>last")
    received: list[bytes] = []
    server = await tcp_sink(received)
    port = server.sockets[0].getsockname()[1]
    counts: list[int] = []
    async with server:
        sent = await replay(
            log_file, f"tcp://127.0.0.1:{port}", framing=framing, progress=counts.append
        )
    assert sent == 3 and counts[-1] == 4  # progress counts file lines, the empty one too
    decoder = FrameDecoder(1024)
    frames = decoder.feed(received[0]) + decoder.close()
    assert [f.data for f in frames] == [b"<13>one", b"<13>caf\xe9", b"<13>last"]
    assert decoder.framing == framing


async def test_replay_reports_nul_lines_in_newline_framing(tmp_path: Path) -> None:
    log_file = tmp_path / "a.log"
    log_file.write_bytes(b"<13>a\n<13>b\x00c\n<13>d\n")
    received: list[bytes] = []
    errors: list[str] = []
    server = await tcp_sink(received)
    port = server.sockets[0].getsockname()[1]
    async with server:
        assert await replay(log_file, f"tcp://127.0.0.1:{port}", on_error=errors.append) == 2
        assert await replay(log_file, f"tcp://127.0.0.1:{port}", framing="octet") == 3
    assert received[0] == b"<13>a\n<13>d\n"
    assert received[1] == b"5 <13>a7 <13>b\x00c5 <13>d"
    assert len(errors) == 1 and errors[0].startswith("line 2: holds a NUL")


async def test_replay_udp_reports_oversized_lines_and_sends_the_rest(tmp_path: Path) -> None:
    biggest = b"<13>" + b"m" * (65507 - 4)
    log_file = tmp_path / "a.log"
    log_file.write_bytes(b"<13>small\n" + b"x" * 70000 + b"\n" + biggest + b"\n<13>end\n")
    loop = asyncio.get_running_loop()
    transport, sink = await loop.create_datagram_endpoint(_Datagrams, local_addr=("127.0.0.1", 0))
    port = transport.get_extra_info("sockname")[1]
    errors: list[str] = []
    try:
        sent = await replay(log_file, f"udp://127.0.0.1:{port}", on_error=errors.append)
        async with asyncio.timeout(5):
            while len(sink.received) < 3:
                await asyncio.sleep(0.01)
    finally:
        transport.close()
    assert sent == 3
    assert sink.received == [b"<13>small", biggest, b"<13>end"]
    assert errors == ["line 2: 70000 octets exceed the UDP datagram limit of 65507; not sent"]


async def test_replay_paces_lines_at_the_given_rate(tmp_path: Path) -> None:
    log_file = tmp_path / "a.log"
    log_file.write_bytes(b"".join(b"<13>%d\n" % i for i in range(6)))
    received: list[bytes] = []
    server = await tcp_sink(received)
    port = server.sockets[0].getsockname()[1]
    counts: list[int] = []
    async with server:
        started = time.monotonic()
        assert (
            await replay(log_file, f"tcp://127.0.0.1:{port}", rate=50, progress=counts.append) == 6
        )
        elapsed = time.monotonic() - started
    assert elapsed >= 5 / 50 - 0.01  # six lines at 50/s span at least five intervals
    assert counts == [1, 2, 3, 4, 5, 6, 6]


@pytest.mark.parametrize(
    ("target", "options", "message"),
    [
        ("tcp://127.0.0.1:9", {"framing": "lf"}, "framing 'lf'"),
        ("udp://127.0.0.1:9", {"framing": "octet"}, "framing applies to tcp and tls only"),
        ("tcp://127.0.0.1:9", {"rate": 0}, "rate must be a positive"),
        ("ftp://127.0.0.1:9", {}, "is not tcp://"),
        ("tcp://127.0.0.1:9", {"ca": "ca.pem"}, "apply to tls:// targets only"),
        ("udp://127.0.0.1:9", {"cert": "c.pem"}, "apply to tls:// targets only"),
        ("tls://127.0.0.1:9", {"key": "k.pem"}, "needs its certificate"),
        ("tls://127.0.0.1:9", {"ca": "/nonexistent/ca.pem"}, "cannot load CA certificates"),
    ],
)
async def test_replay_rejects_bad_arguments(
    tmp_path: Path, target: str, options: dict[str, Any], message: str
) -> None:
    log_file = tmp_path / "a.log"
    log_file.write_bytes(b"<13>a\n")
    with pytest.raises(ValueError, match=message):
        await replay(log_file, target, **options)


async def test_replay_refused_connection_raises_oserror(tmp_path: Path) -> None:
    log_file = tmp_path / "a.log"
    log_file.write_bytes(b"<13>a\n")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound but not listening: connections are refused
        with pytest.raises(OSError):
            await replay(log_file, f"tcp://127.0.0.1:{port}")
