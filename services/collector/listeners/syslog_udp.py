"""Syslog over UDP (RFC 5426): one datagram is one record.

The tenant of each datagram is resolved on arrival (listener tenant or peer address map). UDP
cannot be paused, so a datagram is refused on arrival when no tenant owns its sender
(``unknown_peer``), when the queue is full (``queue_full``) or when its tenant's rate limit is
exceeded (``rate_limited``): counted in ``vigie_collector_dropped_total{reason}`` and in
``vigie_collector_refused_total{tenant,source,reason}``. Accepted datagrams wait in a bounded
queue (count and bytes) between the socket callback and the task that publishes them in
batches. The socket asks for a large receive buffer to ride out bursts; what the kernel itself
drops when that buffer overflows is visible only in the host's UDP counters (``/proc/net/snmp``
RcvbufErrors).
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any

from services.collector.core import datagram_frame
from services.collector.framing import Frame
from services.collector.listeners.emitter import Emitter

log = logging.getLogger(__name__)

QUEUE_DATAGRAMS = 10_000
QUEUE_BYTES = 32 * 1024 * 1024
BATCH = 500
RECEIVE_BUFFER = 4 * 1024 * 1024

Queued = tuple[Frame, str, Any, datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, on_datagram: Callable[[bytes, Any], None]) -> None:
        self._on_datagram = on_datagram

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self._on_datagram(data, addr)

    def error_received(self, exc: Exception) -> None:
        log.warning("udp socket error", extra={"error": repr(exc)})


class SyslogUdpListener:
    def __init__(
        self,
        emitter: Emitter,
        *,
        queue_datagrams: int = QUEUE_DATAGRAMS,
        queue_bytes: int = QUEUE_BYTES,
        now: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.spec = emitter.spec
        self._emitter = emitter
        self._now = now
        self._queue: asyncio.Queue[Queued] = asyncio.Queue(queue_datagrams)
        self._queue_bytes = queue_bytes
        self._queued_bytes = 0
        self._in_flight = 0
        self._transport: asyncio.DatagramTransport | None = None
        self._publisher: asyncio.Task[None] | None = None

    @property
    def address(self) -> tuple[str, int]:
        assert self._transport is not None, "listener not started"
        host, port = self._transport.get_extra_info("sockname")[:2]
        return host, port

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._transport, _ = await loop.create_datagram_endpoint(
            lambda: _Protocol(self._received), local_addr=(self.spec.host, self.spec.port)
        )
        sock = self._transport.get_extra_info("socket")
        with suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
        self._publisher = asyncio.create_task(self._publish_forever())

    async def close(self, grace: float) -> None:
        """Stop receiving, publish what is queued (for at most ``grace`` seconds), then stop."""
        if self._transport is not None:
            self._transport.close()
        if self._publisher is None:
            return
        with suppress(TimeoutError):
            async with asyncio.timeout(grace):
                await self._queue.join()
        self._emitter.dropped("shutdown", self._queue.qsize() + self._in_flight)
        self._publisher.cancel()
        with suppress(asyncio.CancelledError):
            await self._publisher

    def _received(self, data: bytes, addr: Any) -> None:
        tenant = self._emitter.tenant_of(addr)
        frame = datagram_frame(data, self.spec.max_bytes)
        size = len(frame.data)
        if tenant is None:
            self._refuse("unknown_peer", None)
        elif self._queue.full() or self._queued_bytes + size > self._queue_bytes:
            self._refuse("queue_full", tenant)
        elif self._emitter.admit(tenant, 1) > 0:
            self._refuse("rate_limited", tenant)
        else:
            self._queued_bytes += size
            self._queue.put_nowait((frame, tenant, addr, self._now()))

    def _refuse(self, reason: str, tenant: str | None) -> None:
        self._emitter.dropped(reason)
        self._emitter.refused(reason, tenant)

    async def _publish_forever(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            self._in_flight = len(batch)
            try:
                await self._publish(batch)
            finally:
                self._in_flight = 0
                self._queued_bytes -= sum(len(queued[0].data) for queued in batch)
                for _ in batch:
                    self._queue.task_done()

    async def _publish(self, batch: list[Queued]) -> None:
        try:
            await self._emitter.publish([self._emitter.outgoing(*queued) for queued in batch])
        except Exception as exc:  # noqa: BLE001 - count the batch, keep listening
            log.error("udp publish failed", extra={"source": self.spec.source, "error": repr(exc)})
            self._emitter.dropped("publish_failed", len(batch))
