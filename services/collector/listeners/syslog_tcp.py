"""Syslog over TCP (RFC 6587 framing, see ``framing.py``): one frame decoder per connection.

- Back-pressure: a connection reads its next chunk only once the frames of the previous one are
  published (one ``publish`` per chunk), so a slow bus stops the reading, TCP flow control stops
  the sender, and nothing piles up in memory.
- Connections beyond ``max_connections`` are closed at once and counted in
  ``vigie_collector_refused_connections_total``.
- A failed publish closes its connection (logged, the batch counted in
  ``vigie_collector_dropped_total{reason="publish_failed"}``); the sender sees the close.
- ``close`` stops accepting and closes every connection; what was already read is still decoded
  and published, the last unterminated line included, for up to ``grace`` seconds (a batch still
  waiting on the bus then is counted as ``dropped{reason="shutdown"}``). Octets still in the
  kernel's socket buffer are lost with the socket, as with any TCP syslog receiver without
  application acknowledgement.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from services.collector.framing import Frame, FrameDecoder
from services.collector.listeners.emitter import Emitter
from services.runtime import metrics

log = logging.getLogger(__name__)

READ_SIZE = 64 * 1024


def _utcnow() -> datetime:
    return datetime.now(UTC)


class SyslogTcpListener:
    def __init__(
        self,
        emitter: Emitter,
        *,
        max_connections: int,
        now: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.spec = emitter.spec
        self._emitter = emitter
        self._max_connections = max_connections
        self._now = now
        self._server: asyncio.Server | None = None
        self._connections: dict[asyncio.Task[Any], asyncio.StreamWriter] = {}
        labels = (self.spec.source, self.spec.transport)
        self._open = metrics.gauge(
            "vigie_collector_connections", "Open syslog connections", ["source", "transport"]
        ).labels(*labels)
        self._refused = metrics.counter(
            "vigie_collector_refused_connections_total",
            "Connections closed at once because the listener was at max_connections",
            ["source", "transport"],
        ).labels(*labels)

    @property
    def address(self) -> tuple[str, int]:
        assert self._server is not None, "listener not started"
        host, port = self._server.sockets[0].getsockname()[:2]
        return host, port

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._serve, self.spec.host or None, self.spec.port, limit=READ_SIZE
        )

    async def close(self, grace: float) -> None:
        """Stop accepting, close every connection, give them ``grace`` seconds to publish."""
        if self._server is not None:
            self._server.close()
        for writer in self._connections.values():
            writer.close()
        pending = set(self._connections)
        if pending:
            _, pending = await asyncio.wait(pending, timeout=grace)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)
        if self._server is not None:
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if len(self._connections) >= self._max_connections:
            self._refused.inc()
            writer.close()
            return
        task = asyncio.current_task()
        assert task is not None
        self._connections[task] = writer
        self._open.inc()
        try:
            await self._receive(reader, writer.get_extra_info("peername"))
        except Exception as exc:  # noqa: BLE001 - one bad connection must not stop the listener
            log.warning(
                "tcp connection failed", extra={"source": self.spec.source, "error": repr(exc)}
            )
        finally:
            del self._connections[task]
            self._open.dec()
            writer.close()

    async def _receive(self, reader: asyncio.StreamReader, addr: Any) -> None:
        decoder = FrameDecoder(self.spec.max_bytes)
        try:
            while chunk := await reader.read(READ_SIZE):
                await self._emit(decoder.feed(chunk), addr)
        except ConnectionError as exc:  # a reset still flushes what arrived, below
            log.info("tcp connection reset", extra={"source": self.spec.source, "error": repr(exc)})
        await self._emit(decoder.close(), addr)
        self._emitter.dropped("empty_line", decoder.empty_lines)

    async def _emit(self, frames: Sequence[Frame], addr: Any) -> None:
        if not frames:
            return
        received_at = self._now()
        records = [self._emitter.outgoing(frame, addr, received_at) for frame in frames]
        published = [r for r in records if r is not None]
        try:
            await self._emitter.publish(published)
        except BaseException as exc:  # counted whatever stopped it, then re-raised
            reason = "shutdown" if isinstance(exc, asyncio.CancelledError) else "publish_failed"
            self._emitter.dropped(reason, len(published))
            raise
