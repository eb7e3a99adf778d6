"""Syslog over TCP (RFC 6587) and over TLS (RFC 5425): one frame decoder per connection.

TLS is TCP plus a handshake: given an ``ssl.SSLContext`` the listener upgrades each accepted
connection (``StreamWriter.start_tls``) before reading, and the same framing path follows
(``framing.py``: octet counting as RFC 5425 asks, LF framing as many senders use).

- The tenant is decided once per connection, before any byte is read: the listener's tenant,
  the peer address map, or the verified client certificate (``tenancy.py``). A connection no
  tenant owns is closed at once and counted in ``vigie_collector_refused_total`` with reason
  ``unknown_peer`` or ``unknown_certificate``; a failed or timed-out handshake (an invalid or
  missing client certificate, plain TCP on a TLS port) with reason ``tls_handshake``.
- Rate limit: before publishing a chunk's frames the connection waits until the tenant's
  token bucket grants them (``vigie_collector_throttled_seconds_total``); reading pauses, TCP
  flow control holds the sender, and no data is dropped.

- Back-pressure: a connection reads its next chunk only once the frames of the previous one are
  published (one ``publish`` per chunk), so a slow bus stops the reading, TCP flow control stops
  the sender, and nothing piles up in memory.
- Connections beyond ``max_connections`` are closed at once and counted in
  ``vigie_collector_refused_connections_total`` (and ``refused_total{reason="max_connections"}``);
  a connection still in its TLS handshake counts, so a handshake flood is bounded too.
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
import ssl
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from services.collector.framing import Frame, FrameDecoder
from services.collector.listeners.emitter import Emitter
from services.collector.tls import certificate_names
from services.runtime import metrics

log = logging.getLogger(__name__)

READ_SIZE = 64 * 1024
HANDSHAKE_TIMEOUT_S = 10.0


def _utcnow() -> datetime:
    return datetime.now(UTC)


class SyslogTcpListener:
    def __init__(
        self,
        emitter: Emitter,
        *,
        max_connections: int,
        tls: ssl.SSLContext | None = None,
        handshake_timeout: float = HANDSHAKE_TIMEOUT_S,
        idle_timeout: float | None = None,
        now: Callable[[], datetime] = _utcnow,
    ) -> None:
        self._idle_timeout = idle_timeout
        self.spec = emitter.spec
        self._emitter = emitter
        self._max_connections = max_connections
        self._tls = tls
        self._handshake_timeout = handshake_timeout
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
        self._throttled = metrics.counter(
            "vigie_collector_throttled_seconds_total",
            "Seconds TCP/TLS reading paused for a tenant's rate limit",
            ["tenant", "source"],
        )

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
            self._emitter.refused("max_connections", self.spec.tenant)
            writer.close()
            return
        task = asyncio.current_task()
        assert task is not None
        self._connections[task] = writer
        self._open.inc()
        try:
            tenant = await self._admit(writer)
            if tenant is not None:
                await self._receive(reader, tenant, writer.get_extra_info("peername"))
        except Exception as exc:  # noqa: BLE001 - one bad connection must not stop the listener
            log.warning(
                "tcp connection failed", extra={"source": self.spec.source, "error": repr(exc)}
            )
        finally:
            del self._connections[task]
            self._open.dec()
            writer.close()

    async def _admit(self, writer: asyncio.StreamWriter) -> str | None:
        """The tenant of a new connection, after its TLS handshake; None when refused (counted)."""
        names: list[str] = []
        if self._tls is not None:
            # CPython marks the stream as TLS only once start_tls returns, so a close_notify that
            # arrives with the handshake logs a spurious "returning true from eof_received()"
            # warning (encode/httpx#859 explains the flag): set it first.
            setattr(writer.transport.get_protocol(), "_over_ssl", True)  # noqa: B010
            try:
                # No await before this: the ClientHello must reach the TLS layer, not the reader.
                await writer.start_tls(self._tls, ssl_handshake_timeout=self._handshake_timeout)
            except OSError as exc:  # ssl.SSLError, handshake timeout, reset
                self._emitter.refused("tls_handshake", None)
                log.info(
                    "tls handshake failed", extra={"source": self.spec.source, "error": str(exc)}
                )
                return None
            names = certificate_names(writer.get_extra_info("peercert"))
        tenant = self._emitter.tenant_of(writer.get_extra_info("peername"), names)
        if tenant is None:
            reason = "unknown_certificate" if self._emitter.by_certificate else "unknown_peer"
            self._emitter.refused(reason, None)
            log.info("connection refused", extra={"source": self.spec.source, "reason": reason})
        return tenant

    async def _receive(self, reader: asyncio.StreamReader, tenant: str, addr: Any) -> None:
        decoder = FrameDecoder(self.spec.max_bytes)
        try:
            while chunk := await asyncio.wait_for(reader.read(READ_SIZE), self._idle_timeout):
                await self._emit(decoder.feed(chunk), tenant, addr)
        except ConnectionError as exc:  # a reset still flushes what arrived, below
            log.info("tcp connection reset", extra={"source": self.spec.source, "error": repr(exc)})
        except TimeoutError:  # an idle sender gives its slot back; what it sent is kept below
            self._emitter.refused("idle_timeout", tenant)
        await self._emit(decoder.close(), tenant, addr)
        self._emitter.dropped("empty_line", decoder.empty_lines)

    async def _emit(self, frames: Sequence[Frame], tenant: str, addr: Any) -> None:
        if not frames:
            return
        received_at = self._now()
        records = [self._emitter.outgoing(frame, tenant, addr, received_at) for frame in frames]
        try:
            await self._throttle(tenant, len(records))
            await self._emitter.publish(records)
        except BaseException as exc:  # counted whatever stopped it, then re-raised
            reason = "shutdown" if isinstance(exc, asyncio.CancelledError) else "publish_failed"
            self._emitter.dropped(reason, len(records))
            raise

    async def _throttle(self, tenant: str, count: int) -> None:
        """Wait, not reading, until the tenant's rate limit grants ``count`` records."""
        while (wait := self._emitter.admit(tenant, count)) > 0:
            self._throttled.labels(tenant, self.spec.source).inc(wait)
            await asyncio.sleep(wait)
