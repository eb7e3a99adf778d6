"""Send a log file to a syslog listener, line by line (``vigie replay FILE --to tcp://HOST:PORT``).

- A line is what lies between LFs, its LF or CRLF removed; its bytes are sent exactly, whatever
  their encoding. Empty lines are skipped: they are not records (the collector ignores them too).
- TCP: ``framing="newline"`` sends ``LINE LF``, ``"octet"`` sends ``LEN SP LINE`` (RFC 6587).
  A line holding a NUL is not sent in newline framing, where NUL ends a frame; use octet.
- TLS (``tls://``, RFC 5425): TCP framing over TLS; the server is verified against ``ca`` (the
  system store when None) and its host name; ``cert`` and ``key`` are the client certificate a
  listener with ``client_ca`` requires. ``ca``/``cert``/``key`` apply to tls only.
- UDP: one datagram per line; a line longer than a datagram can carry (65507 octets over IPv4,
  65527 over IPv6) is not sent. UDP has no flow control: without ``rate`` a fast sender can
  overrun a receiver in another process, so give a rate there.
- A line not sent is reported through ``on_error`` (default: a warning log line), never raised.
- ``progress`` gets the number of file lines handled so far (sent, skipped or reported).
- ``rate`` is in lines per second, paced from the start so sleeps do not drift.
- TCP ends with a half-close and waits (up to ``CLOSE_TIMEOUT_S``) for the listener to close:
  the Vigie collector does so only after publishing all it read, so when ``replay`` returns every
  line has reached the bus. TLS cannot half-close: it ends with close_notify and returns once
  the listener has answered it, i.e. has read every line, possibly before publishing them all.
  Returns the number of lines sent.
- A bad target, framing or TLS file raises ValueError; a refused connection or a failed
  handshake raises OSError. A TLS listener refuses an unknown client certificate only after the
  handshake, by closing: seen as ConnectionError when it happens before the last line is sent.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable, Iterator
from contextlib import suppress
from pathlib import Path
from typing import Any

from services.collector.tls import client_context

log = logging.getLogger(__name__)

FRAMINGS = ("newline", "octet")
TRANSPORTS = ("tcp", "tls", "udp")
UDP_MAX = {4: 65507, 6: 65527}
FLUSH_BYTES = 64 * 1024
CLOSE_TIMEOUT_S = 30.0


def parse_target(target: str) -> tuple[str, str, int]:
    """``tcp://HOST:PORT``, ``tls://HOST:PORT`` or ``udp://[V6]:PORT`` → (transport, host, port)."""
    scheme, sep, rest = target.partition("://")
    host, colon, port = rest.rpartition(":")
    if scheme not in TRANSPORTS or not sep or not colon or not host or not port.isdigit():
        raise ValueError(f"target {target!r} is not tcp://HOST:PORT, tls://… or udp://…")
    return scheme, host.removeprefix("[").removesuffix("]"), int(port)


def read_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """(line number, bytes without LF or CRLF) for every line of the file."""
    with path.open("rb") as lines:
        for number, line in enumerate(lines, 1):
            if line.endswith(b"\r\n"):
                line = line[:-2]
            elif line.endswith(b"\n"):
                line = line[:-1]
            yield number, line


def frame(line: bytes, framing: str) -> bytes:
    return b"%d %s" % (len(line), line) if framing == "octet" else line + b"\n"


async def replay(
    path: Path,
    target: str,
    *,
    rate: float | None = None,
    framing: str = "newline",
    progress: Callable[[int], None] | None = None,
    on_error: Callable[[str], None] | None = None,
    ca: str | None = None,
    cert: str | None = None,
    key: str | None = None,
) -> int:
    transport, host, port = parse_target(target)
    if framing not in FRAMINGS:
        raise ValueError(f"framing {framing!r} is not one of {', '.join(FRAMINGS)}")
    if transport == "udp" and framing != "newline":
        raise ValueError("framing applies to tcp and tls only: udp sends one line per datagram")
    if transport != "tls" and (ca or cert or key):
        raise ValueError("ca, cert and key apply to tls:// targets only")
    if rate is not None and rate <= 0:
        raise ValueError("rate must be a positive number of lines per second")
    report = on_error or (lambda message: log.warning(message))
    pacer = _Pacer(rate)
    if transport == "udp":
        sender: _TcpSender | _UdpSender = await _UdpSender.open(host, port)
    else:
        tls = client_context(ca, cert, key) if transport == "tls" else None
        sender = await _TcpSender.open(host, port, framing, tls)
    sent = number = 0
    try:
        for number, line in read_lines(path):
            problem = sender.problem(line) if line else None
            if problem:
                report(f"line {number}: {problem}; not sent")
            elif line:
                await pacer.wait(sent)
                await sender.send(line, flush=rate is not None)
                sent += 1
            if progress and (rate is not None or number % 1000 == 0):
                progress(number)
        await sender.finish(report)
    finally:
        await sender.close()
    if progress:
        progress(number)
    return sent


class _Pacer:
    def __init__(self, rate: float | None) -> None:
        self._interval = 1.0 / rate if rate else 0.0
        self._start: float | None = None

    async def wait(self, index: int) -> None:
        if not self._interval:
            return
        now = asyncio.get_running_loop().time()
        self._start = now if self._start is None else self._start
        delay = self._start + index * self._interval - now
        if delay > 0:
            await asyncio.sleep(delay)


class _TcpSender:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, framing: str):
        self._reader = reader
        self._writer = writer
        self._framing = framing
        self._buffer = bytearray()

    @classmethod
    async def open(
        cls, host: str, port: int, framing: str, tls: ssl.SSLContext | None = None
    ) -> _TcpSender:
        reader, writer = await asyncio.open_connection(host, port, ssl=tls)
        return cls(reader, writer, framing)

    def problem(self, line: bytes) -> str | None:
        if self._framing == "newline" and b"\x00" in line:
            return "holds a NUL, which ends a frame in newline framing (use octet framing)"
        return None

    async def send(self, line: bytes, *, flush: bool) -> None:
        self._buffer += frame(line, self._framing)
        if flush or len(self._buffer) >= FLUSH_BYTES:
            await self._flush()

    async def finish(self, report: Callable[[str], None]) -> None:
        """Flush, half-close, and wait for the listener to close after reading everything."""
        await self._flush()
        if not self._writer.can_write_eof():
            return  # TLS: close() sends close_notify and waits for the listener's
        self._writer.write_eof()
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT_S):
                while await self._reader.read(FLUSH_BYTES):
                    pass
        except TimeoutError:
            report(f"the listener did not close within {CLOSE_TIMEOUT_S:.0f}s after the last line")
        except ConnectionError:
            pass  # closed by a reset: every octet was already acknowledged by then

    async def close(self) -> None:
        self._writer.close()
        with suppress(ConnectionError):
            await self._writer.wait_closed()

    async def _flush(self) -> None:
        if self._reader.at_eof():
            raise ConnectionResetError("the listener closed the connection (refused?)")
        if self._buffer:
            self._writer.write(bytes(self._buffer))
            self._buffer.clear()
        await self._writer.drain()


class _UdpSender(asyncio.DatagramProtocol):
    """Datagrams with asyncio's flow control, so a busy socket never grows an unbounded buffer."""

    def __init__(self) -> None:
        self._transport: asyncio.DatagramTransport | None = None
        self._writable = asyncio.Event()
        self._writable.set()
        self._error: Exception | None = None
        self._limit = UDP_MAX[4]

    @classmethod
    async def open(cls, host: str, port: int) -> _UdpSender:
        loop = asyncio.get_running_loop()
        _, sender = await loop.create_datagram_endpoint(cls, remote_addr=(host, port))
        return sender

    def connection_made(self, transport: Any) -> None:
        self._transport = transport
        if ":" in transport.get_extra_info("peername")[0]:
            self._limit = UDP_MAX[6]

    def pause_writing(self) -> None:
        self._writable.clear()

    def resume_writing(self) -> None:
        self._writable.set()

    def error_received(self, exc: Exception) -> None:
        self._error = self._error or exc

    def problem(self, line: bytes) -> str | None:
        if len(line) > self._limit:
            return f"{len(line)} octets exceed the UDP datagram limit of {self._limit}"
        return None

    async def send(self, line: bytes, *, flush: bool) -> None:
        await self._writable.wait()
        assert self._transport is not None
        self._transport.sendto(line)
        await asyncio.sleep(0)  # let a receiver on this event loop read before the socket fills

    async def finish(self, report: Callable[[str], None]) -> None:
        await self._writable.wait()
        if self._error:
            report(f"the UDP target reported {self._error!r}; some datagrams may be lost")

    async def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
