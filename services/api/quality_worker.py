"""Log-quality adapter: the store's per-source figures, the settings' policy, and the periodic
silent-source check that publishes its alerts on the bus.

``QualityWorker`` (a Service, stage ``quality``) runs in the API process, the one that holds the
store. Every ``quality.interval_seconds`` it reads every tenant's source activity
(``queries.source_activity``: last receive times and learned gaps), applies ``quality.detect``
and publishes the alerts on ``alerts`` keyed by tenant, where the sink stores
them and the responder sees them like any other alert. Before its first check it primes the open
silence episodes from the stored alerts, so a restart continues their versions. A check that
fails (store or bus down) is logged and counted and the next one runs on time; the episodes are
kept as they were, so the alert is published again with the same version.

The configured sources of a tenant (``quality_policy``) are its syslog listeners (for a listener
with a certificate map: each tenant of the map), its HTTP sources, the shared listeners that map
peers or certificates to it, and the names under its ``sources`` settings, which also carry the
configured silence thresholds.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from schemas import topics
from schemas.alert import Alert
from schemas.codec import decode, encode
from services.api import queries
from services.api.quality import (
    RULE_ID,
    Key,
    QualityPolicy,
    SourceStats,
    detect,
    episodes_of,
)
from services.api.queries import TenantScope
from services.runtime import metrics
from services.runtime.bus import Bus
from services.runtime.settings import QualitySettings, Settings
from services.runtime.store import Store

log = logging.getLogger(__name__)

EVERY_TENANT = TenantScope(None)


def _listener_sources(settings: Settings) -> Iterator[Key]:
    for tenant in settings.tenants:
        for listener in tenant.syslog:
            for served in set(listener.client_tenants.values()) or {tenant.id}:
                yield served, listener.source_name
        for http in tenant.http_sources:
            yield tenant.id, http.name
    for shared in settings.shared_listeners:
        for served in set(shared.peers.values()) | set(shared.client_tenants.values()):
            yield served, shared.source_name


def quality_policy(settings: Settings) -> QualityPolicy:
    """The silence rule of ``settings``: its parameters and every configured source."""
    expected: dict[Key, float | None] = dict.fromkeys(_listener_sources(settings))
    for tenant in settings.tenants:
        for name, source in tenant.sources.items():
            expected[(tenant.id, name)] = source.silence_after_seconds
    q = settings.quality
    return QualityPolicy(
        level=q.level,
        min_silence_seconds=q.min_silence_seconds,
        gap_factor=q.gap_factor,
        min_gaps=q.min_gaps,
        default_silence_seconds=q.default_silence_seconds,
        expected=expected,
    )


async def load_stats(
    store: Store, scope: TenantScope, *, now: datetime, quality: QualitySettings
) -> list[SourceStats]:
    """The statistics of every source of the tenants in ``scope`` that the store knows of."""
    query = queries.sources(
        scope,
        now=now,
        learning_seconds=quality.learning_hours * 3600,
        skew_window_seconds=quality.skew_window_seconds,
    )
    return [SourceStats.from_row(row) for row in await store.query(query.sql, query.parameters)]


class QualityWorker:
    stage = "quality"

    def __init__(
        self,
        bus: Bus,
        store: Store,
        *,
        settings: Settings,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._bus = bus
        self._store = store
        self._quality = settings.quality
        self._policy = quality_policy(settings)
        self._now = now
        self._episodes: dict[Key, Alert] | None = None  # primed from the store at the first check
        self._stopping = asyncio.Event()
        self.ready = False
        self._checks = metrics.counter(
            "vigie_quality_checks_total", "Log-quality checks run", ["outcome"]
        )
        self._alerts = metrics.counter(
            "vigie_quality_alerts_total", "Silent-source alerts published (every version)"
        )
        self._silent = metrics.gauge(
            "vigie_quality_silent_sources", "Sources silent for longer than their threshold"
        )

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        self.ready = True
        try:
            while not self._stopping.is_set():
                try:
                    await self.check()
                except Exception as exc:  # the store or bus may be down: try again next time
                    self._checks.labels("failed").inc()
                    log.error("log-quality check failed", extra={"error": repr(exc)})
                if await self._stopped_within(self._quality.interval_seconds):
                    return
        finally:
            self.ready = False

    async def check(self) -> list[Alert]:
        """One check: the silent-source alerts published for ``now``."""
        now = self._now()
        episodes = self._episodes
        if episodes is None:
            episodes = await self._stored_episodes()
        stats = await self._activity(now)
        detection = detect(stats, now=now, policy=self._policy, episodes=episodes)
        await self._bus.publish(
            [(topics.topic_of(a), a.tenant, encode(a)) for a in detection.alerts]
        )
        self._episodes = detection.episodes
        self._checks.labels("ok").inc()
        self._alerts.inc(len(detection.alerts))
        self._silent.set(len(detection.alerts))
        return detection.alerts

    async def _activity(self, now: datetime) -> list[SourceStats]:
        learning = self._quality.learning_hours * 3600
        query = queries.source_activity(EVERY_TENANT, now=now, learning_seconds=learning)
        rows = await self._store.query(query.sql, query.parameters)
        return [SourceStats.from_row(row) for row in rows]

    async def _stored_episodes(self) -> dict[Key, Alert]:
        query = queries.latest_alerts(EVERY_TENANT, RULE_ID)
        rows = await self._store.query(query.sql, query.parameters)
        return episodes_of(decode(row["doc"].encode(), Alert) for row in rows)

    async def _stopped_within(self, seconds: float) -> bool:
        try:
            await asyncio.wait_for(self._stopping.wait(), seconds)
        except TimeoutError:
            return False
        return True
