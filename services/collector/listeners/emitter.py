"""What the syslog listeners share: tenant, rate limit, frames → RawEvents → one bus publish.

A complete frame becomes a RawEvent on ``raw.events``; a frame the connection cut short becomes
a DeadLetter on ``dlq.collector`` (its payload is the RawEvent of what did arrive). The listener
resolves the tenant first (``tenant_of``: per datagram, or once per connection) and refuses what
no tenant owns, never publishing it under a guessed tenant.

Every refusal (a connection, a datagram, an HTTP request or item) is counted by
``count_refused`` in ``vigie_collector_refused_total{tenant,source,reason}``; ``tenant`` is ""
when none could be resolved. Records lost on the way are also counted, by transport, in
``vigie_collector_dropped_total{source,transport,reason}``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from prometheus_client import Counter

from schemas import topics
from schemas.codec import encode
from services.collector.core import frame_error, make_raw_event
from services.collector.framing import Frame
from services.collector.ratelimit import RateLimits
from services.collector.tenancy import TenantResolver
from services.runtime import metrics
from services.runtime.bus import Bus, Outgoing

RECORD_LABELS = ("tenant", "source", "transport")
RECORD_COUNTERS = {
    "received": "Records received",
    "bytes": "Octets received (before truncation)",
    "truncated": "Records cut at collector.max_record_bytes",
    "invalid_utf8": "Records kept as base64 because they are not valid UTF-8",
    "dead_letters": "Frames a connection cut short, sent to dlq.collector",
}


def record_counter(name: str) -> Counter:
    """``vigie_collector_<name>_total{tenant,source,transport}``, one of ``RECORD_COUNTERS``."""
    return metrics.counter(f"vigie_collector_{name}_total", RECORD_COUNTERS[name], RECORD_LABELS)


def count_refused(tenant: str | None, source: str, reason: str, count: int = 1) -> None:
    if count:
        metrics.counter(
            "vigie_collector_refused_total",
            "Connections, datagrams, requests and items refused, by tenant, source and reason",
            ["tenant", "source", "reason"],
        ).labels(tenant or "", source, reason).inc(count)


@dataclass(frozen=True, slots=True)
class ListenerSpec:
    """One configured listener; ``tenant`` is None for a shared listener."""

    tenant: str | None
    transport: Literal["udp", "tcp", "tls", "http"]
    host: str
    port: int
    source: str
    format: str | None
    max_bytes: int

    @property
    def owner(self) -> str:
        return f"tenant {self.tenant}" if self.tenant else f"shared {self.transport} listener"


def peer_address(addr: Any) -> tuple[str | None, str | None]:
    """(IP, "ip:port") of an asyncio peer address; IPv6 as "[ip]:port"; (None, None) if unknown."""
    if not isinstance(addr, tuple) or len(addr) < 2:
        return None, None
    ip, port = str(addr[0]), addr[1]
    return ip, (f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}")


class Emitter:
    def __init__(
        self,
        bus: Bus,
        spec: ListenerSpec,
        resolver: TenantResolver,
        *,
        limits: RateLimits | None = None,
    ) -> None:
        self.spec = spec
        self._bus = bus
        self._resolver = resolver
        self._limits = limits
        self._counters = {name: record_counter(name) for name in RECORD_COUNTERS}
        self._dropped = metrics.counter(
            "vigie_collector_dropped_total",
            "Records received but not published, by reason",
            ["source", "transport", "reason"],
        )
        self._children: dict[str, dict[str, Counter]] = {}

    def dropped(self, reason: str, count: int = 1) -> None:
        if count:
            self._dropped.labels(self.spec.source, self.spec.transport, reason).inc(count)

    def refused(self, reason: str, tenant: str | None, count: int = 1) -> None:
        count_refused(tenant, self.spec.source, reason, count)

    @property
    def by_certificate(self) -> bool:
        """Whether the client certificate, not the address, decides the tenant."""
        return self._resolver.by_certificate

    def tenant_of(self, addr: Any, cert_names: Sequence[str] = ()) -> str | None:
        return self._resolver.resolve(peer_address(addr)[0], cert_names)

    def admit(self, tenant: str, count: int) -> float:
        """0.0 when the tenant's rate limit grants ``count`` records, else seconds to wait."""
        return self._limits.acquire(tenant, count) if self._limits else 0.0

    def outgoing(self, frame: Frame, tenant: str, addr: Any, received_at: datetime) -> Outgoing:
        """The bus record for one frame of ``tenant``."""
        peer = peer_address(addr)[1]
        raw = make_raw_event(
            frame.data,
            tenant=tenant,
            source=self.spec.source,
            transport=self.spec.transport,
            peer=peer,
            format=self.spec.format,
            received_at=received_at,
            truncated=frame.truncated,
            original_size=frame.original_size if frame.truncated else None,
        )
        self._count(raw.tenant, frame, invalid_utf8=raw.encoding != "utf8")
        if frame.error:
            self._child(tenant)["dead_letters"].inc()
            return (topics.dlq("collector"), tenant, encode(frame_error(raw, frame.error)))
        return (topics.RAW_EVENTS, tenant, encode(raw))

    async def publish(self, records: Sequence[Outgoing]) -> None:
        if records:
            await self._bus.publish(records)

    def _count(self, tenant: str, frame: Frame, *, invalid_utf8: bool) -> None:
        child = self._child(tenant)
        child["received"].inc()
        child["bytes"].inc(frame.original_size)
        if frame.truncated:
            child["truncated"].inc()
        if invalid_utf8:
            child["invalid_utf8"].inc()

    def _child(self, tenant: str) -> dict[str, Counter]:
        if tenant not in self._children:
            labels = (tenant, self.spec.source, self.spec.transport)
            self._children[tenant] = {n: c.labels(*labels) for n, c in self._counters.items()}
        return self._children[tenant]
