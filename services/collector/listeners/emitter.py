"""What both syslog listeners share: frames → RawEvents → one bus publish, with the metrics.

A complete frame becomes a RawEvent on ``raw.events``; a frame the connection cut short becomes
a DeadLetter on ``dlq.collector`` (its payload is the RawEvent of what did arrive). A record
whose tenant cannot be resolved is counted in ``vigie_collector_dropped_total{reason=
"unknown_peer"}``, never published under a guessed tenant.
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
from services.collector.tenancy import TenantResolver
from services.runtime import metrics
from services.runtime.bus import Bus, Outgoing

RECORD_LABELS = ("tenant", "source", "transport")


@dataclass(frozen=True, slots=True)
class ListenerSpec:
    """One configured listener; ``tenant`` is None for a listener shared through a peer map."""

    tenant: str | None
    transport: Literal["udp", "tcp"]
    host: str
    port: int
    source: str
    format: str | None
    max_bytes: int


def peer_address(addr: Any) -> tuple[str | None, str | None]:
    """(IP, "ip:port") of an asyncio peer address; IPv6 as "[ip]:port"; (None, None) if unknown."""
    if not isinstance(addr, tuple) or len(addr) < 2:
        return None, None
    ip, port = str(addr[0]), addr[1]
    return ip, (f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}")


class Emitter:
    def __init__(self, bus: Bus, spec: ListenerSpec, resolver: TenantResolver) -> None:
        self.spec = spec
        self._bus = bus
        self._resolver = resolver
        self._counters = {
            name: metrics.counter(f"vigie_collector_{name}_total", doc, RECORD_LABELS)
            for name, doc in (
                ("received", "Records received"),
                ("bytes", "Octets received (before truncation)"),
                ("truncated", "Records cut at collector.max_record_bytes"),
                ("invalid_utf8", "Records kept as base64 because they are not valid UTF-8"),
                ("dead_letters", "Frames a connection cut short, sent to dlq.collector"),
            )
        }
        self._dropped = metrics.counter(
            "vigie_collector_dropped_total",
            "Records received but not published, by reason",
            ["source", "transport", "reason"],
        )
        self._children: dict[str, dict[str, Counter]] = {}

    def dropped(self, reason: str, count: int = 1) -> None:
        if count:
            self._dropped.labels(self.spec.source, self.spec.transport, reason).inc(count)

    def outgoing(self, frame: Frame, addr: Any, received_at: datetime) -> Outgoing | None:
        """The bus record for one frame, or None (counted) when no tenant owns it."""
        ip, peer = peer_address(addr)
        tenant = self._resolver.resolve(ip)
        if tenant is None:
            self.dropped("unknown_peer")
            return None
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
