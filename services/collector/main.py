"""The collector service: every syslog listener of every tenant, publishing to ``raw.events``.

``build`` checks the listener table (``tenants[*].syslog[*]``: transport, ``listen`` as
``host:port`` or ``[v6]:port``, source name, format hint) and fails on a clash: two listeners of
the same transport on the same port whose hosts overlap (equal, or a wildcard covering the
other; subtler overlaps, such as two names of one host, fail at bind time). Port 0 never
clashes, so tests bind free ports and read them back with ``bound_addresses``.

``run`` binds them all (a port already taken fails with ``BindError`` naming the tenant and
address), sets ``ready``, serves until ``stop``, then closes the listeners, letting queued and
already-read records reach the bus for at most ``grace`` seconds.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from itertools import combinations

from services.collector.listeners.emitter import Emitter, ListenerSpec
from services.collector.listeners.syslog_tcp import SyslogTcpListener
from services.collector.listeners.syslog_udp import SyslogUdpListener
from services.collector.tenancy import TenantResolver
from services.runtime.bus import Bus
from services.runtime.settings import Settings

Listener = SyslogTcpListener | SyslogUdpListener
# "" and "::" take every address (Linux binds IPv6 wildcards dual-stack); 0.0.0.0 all of IPv4.
ALL_ADDRESSES = frozenset({"", "::"})
GRACE_S = 5.0


class BindError(RuntimeError):
    """A listener could not be bound (address in use, unknown host, no permission)."""


@dataclass(frozen=True, slots=True)
class BoundAddress:
    tenant: str | None
    transport: str
    source: str
    host: str
    port: int

    @property
    def address(self) -> tuple[str, int]:
        return self.host, self.port


def parse_listen(listen: str) -> tuple[str, int]:
    """``host:port`` or ``[v6]:port`` → (host, port); an empty host means every interface."""
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"listen address {listen!r} is not host:port")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host, int(port)


class Collector:
    stage = "collector"

    def __init__(self, listeners: list[Listener], *, grace: float = GRACE_S) -> None:
        self.ready = False
        self._listeners = listeners
        self._grace = grace
        self._started: list[Listener] = []
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        try:
            for listener in self._listeners:
                await _bind(listener)
                self._started.append(listener)
            self.ready = True
            await self._stopping.wait()
        finally:
            self.ready = False
            await asyncio.gather(*(listener.close(self._grace) for listener in self._started))
            self._started.clear()

    def stop(self) -> None:
        self._stopping.set()

    def bound_addresses(self) -> list[BoundAddress]:
        """Actual addresses of the bound listeners, in configuration order."""
        bound = []
        for listener in self._started:
            spec = listener.spec
            bound.append(BoundAddress(spec.tenant, spec.transport, spec.source, *listener.address))
        return bound


async def _bind(listener: Listener) -> None:
    spec = listener.spec
    try:
        await listener.start()
    except OSError as exc:
        raise BindError(
            f"tenant {spec.tenant}: cannot listen on {spec.transport} {spec.host}:{spec.port}: "
            f"{exc.strerror or exc}"
        ) from exc


def build(settings: Settings, bus: Bus) -> Collector:
    specs = _specs(settings)
    _check_clashes(specs)
    listeners: list[Listener] = []
    for spec in specs:
        emitter = Emitter(bus, spec, TenantResolver(spec.tenant))
        if spec.transport == "tcp":
            max_connections = settings.collector.max_connections
            listeners.append(SyslogTcpListener(emitter, max_connections=max_connections))
        else:
            listeners.append(SyslogUdpListener(emitter))
    return Collector(listeners)


def _specs(settings: Settings) -> list[ListenerSpec]:
    specs = []
    for tenant in settings.tenants:
        for listener in tenant.syslog:
            try:
                host, port = parse_listen(listener.listen)
            except ValueError as exc:
                raise ValueError(f"tenant {tenant.id}: {exc}") from exc
            specs.append(
                ListenerSpec(
                    tenant=tenant.id,
                    transport=listener.transport,
                    host=host,
                    port=port,
                    source=listener.source_name,
                    format=listener.format,
                    max_bytes=settings.collector.max_record_bytes,
                )
            )
    return specs


def _check_clashes(specs: list[ListenerSpec]) -> None:
    for a, b in combinations(specs, 2):
        same_port = a.transport == b.transport and a.port == b.port != 0
        if same_port and _overlap(a.host, b.host):
            raise ValueError(
                f"syslog listeners clash: tenant {a.tenant} and tenant {b.tenant} both listen "
                f"on {a.transport} port {a.port} ({a.host or '*'} / {b.host or '*'})"
            )


def _overlap(a: str, b: str) -> bool:
    if a == b or a in ALL_ADDRESSES or b in ALL_ADDRESSES:
        return True
    return (a == "0.0.0.0" and ":" not in b) or (b == "0.0.0.0" and ":" not in a)
