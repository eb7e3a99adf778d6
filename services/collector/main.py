"""The collector service: every listener of every tenant, publishing to ``raw.events``.

Listeners: ``tenants[*].syslog[*]`` (udp, tcp, tls; dedicated to their tenant, or for tls
possibly mapping client certificates to tenants), ``shared_listeners[*]`` (the peer address or
the client certificate decides the tenant) and the HTTP ingest on ``collector.http_listen``
(bearer tokens from ``tenants[*].http_sources``). Each tenant's ``rate_limit`` is one token
bucket shared by all of them.

``build`` checks the listener table (transport, ``listen`` as ``host:port`` or ``[v6]:port``,
source name, format hint, TLS files, tenant maps naming configured tenants) and fails on a
clash: two listeners on the same UDP or TCP port (tls and http are TCP) whose hosts overlap
(equal, or a wildcard covering the other; subtler overlaps, such as two names of one host, fail
at bind time). Port 0 never clashes, so tests bind free ports and read them back with
``bound_addresses``.

``run`` binds them all (a port already taken fails with ``BindError`` naming the tenant and
address), sets ``ready``, serves until ``stop``, then closes the listeners, letting queued and
already-read records reach the bus for at most ``grace`` seconds.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from itertools import combinations

from services.collector.listeners.emitter import Emitter, ListenerSpec
from services.collector.listeners.http import HttpIngest, HttpIngestListener, ingest_app
from services.collector.listeners.syslog_tcp import SyslogTcpListener
from services.collector.listeners.syslog_udp import SyslogUdpListener
from services.collector.ratelimit import RateLimits
from services.collector.tenancy import HttpBinding, TenantResolver, TokenTable
from services.collector.tls import server_context
from services.runtime.bus import Bus
from services.runtime.settings import Settings, SharedListener, SyslogListener

Listener = SyslogTcpListener | SyslogUdpListener | HttpIngestListener
HTTP_SOURCE = "http-ingest"
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
            f"{spec.owner}: cannot listen on {spec.transport} {spec.host}:{spec.port}: "
            f"{exc.strerror or exc}"
        ) from exc


def build(settings: Settings, bus: Bus) -> Collector:
    configured = _syslog_specs(settings)
    http = _http_spec(settings)
    _check_clashes([spec for spec, _ in configured] + ([http] if http else []))
    limits = _rate_limits(settings)
    tenants = {t.id for t in settings.tenants}
    listeners: list[Listener] = []
    for spec, config in configured:
        try:
            listeners.append(_syslog_listener(spec, config, settings, bus, limits, tenants))
        except ValueError as exc:
            raise ValueError(f"{spec.owner} on {config.listen}: {exc}") from exc
    if http:
        ingest = HttpIngest(
            bus, _tokens(settings), settings.collector, source=http.source, limits=limits
        )
        listeners.append(HttpIngestListener(http, ingest_app(ingest)))
    return Collector(listeners)


def _syslog_listener(
    spec: ListenerSpec,
    config: SyslogListener,
    settings: Settings,
    bus: Bus,
    limits: RateLimits,
    tenants: set[str],
) -> Listener:
    peers = config.peers if isinstance(config, SharedListener) else {}
    unknown = set(peers.values()) | set(config.client_tenants.values())
    if unknown - tenants:
        raise ValueError(f"unknown tenant(s) {sorted(unknown - tenants)} in its tenant map")
    resolver = TenantResolver(spec.tenant, peers, certificates=config.client_tenants)
    emitter = Emitter(bus, spec, resolver, limits=limits)
    if spec.transport == "udp":
        return SyslogUdpListener(emitter)
    tls = None
    if spec.transport == "tls":
        assert config.cert and config.key  # checked by SyslogListener
        tls = server_context(config.cert, config.key, config.client_ca)
    return SyslogTcpListener(
        emitter,
        max_connections=settings.collector.max_connections,
        tls=tls,
        idle_timeout=settings.collector.idle_timeout_seconds,
    )


def _syslog_specs(settings: Settings) -> list[tuple[ListenerSpec, SyslogListener]]:
    configured: list[tuple[str | None, SyslogListener]] = [
        (tenant.id, listener) for tenant in settings.tenants for listener in tenant.syslog
    ]
    configured += [(None, listener) for listener in settings.shared_listeners]
    specs = []
    for tenant, listener in configured:
        try:
            host, port = parse_listen(listener.listen)
        except ValueError as exc:
            owner = f"tenant {tenant}" if tenant else "shared listener"
            raise ValueError(f"{owner}: {exc}") from exc
        spec = ListenerSpec(
            tenant=tenant,
            transport=listener.transport,
            host=host,
            port=port,
            source=listener.source_name,
            format=listener.format,
            max_bytes=settings.collector.max_record_bytes,
        )
        specs.append((spec, listener))
    return specs


def _rate_limits(settings: Settings) -> RateLimits:
    rates = {t.id: t.rate_limit for t in settings.tenants if t.rate_limit}
    return RateLimits(
        {tenant: (rate.events_per_second, rate.burst) for tenant, rate in rates.items()},
        now=time.monotonic,
    )


def _http_spec(settings: Settings) -> ListenerSpec | None:
    if not settings.collector.http_listen:
        return None
    host, port = parse_listen(settings.collector.http_listen)
    max_bytes = settings.collector.max_record_bytes
    return ListenerSpec(None, "http", host, port, HTTP_SOURCE, None, max_bytes)


def _tokens(settings: Settings) -> TokenTable:
    return TokenTable(
        (digest, HttpBinding(tenant.id, source.name, source.format))
        for tenant in settings.tenants
        for source in tenant.http_sources
        for digest in source.tokens_sha256
    )


def _check_clashes(specs: list[ListenerSpec]) -> None:
    for a, b in combinations(specs, 2):
        same_port = _protocol(a) == _protocol(b) and a.port == b.port != 0
        if same_port and _overlap(a.host, b.host):
            raise ValueError(
                f"listeners clash: {a.owner} and {b.owner} both listen "
                f"on {_protocol(a)} port {a.port} ({a.host or '*'} / {b.host or '*'})"
            )


def _protocol(spec: ListenerSpec) -> str:
    """The socket a listener binds: TLS and HTTP listen on TCP ports."""
    return "udp" if spec.transport == "udp" else "tcp"


def _overlap(a: str, b: str) -> bool:
    if a == b or a in ALL_ADDRESSES or b in ALL_ADDRESSES:
        return True
    return (a == "0.0.0.0" and ":" not in b) or (b == "0.0.0.0" and ":" not in a)
