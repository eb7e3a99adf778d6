"""The log-quality job on a MemoryBus and a chDB store: a silent source's alert goes out on
``alerts``, through the Sink into the store, and shows in that tenant's ``GET /api/v1/alerts``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from schemas import topics
from schemas.alert import Alert
from schemas.codec import decode
from services.api.app import create_app
from services.api.quality import RULE_ID
from services.api.quality_worker import QualityWorker, quality_policy
from services.runtime.memory_bus import MemoryBus
from services.runtime.settings import QualitySettings, Settings, SharedListener
from services.runtime.store import Store
from tests.unit.api.data import KEYS, T0, dsn, out, raw, sink_through

NOW = T0 + timedelta(hours=2)


class Clock:
    def __init__(self, start: datetime) -> None:
        self.at = start

    def __call__(self) -> datetime:
        return self.at


def received(tenant: str, source: str, raw_id: str, at: datetime) -> Any:
    return raw(raw_id, tenant, source).model_copy(update={"received_at": at})


def silent_a_and_busy_b() -> list[Any]:
    """tenant-a's fw went quiet at T0 (2 h before NOW); tenant-b's fw sent 10 s before NOW."""
    return [
        received("tenant-a", "fw", "a1", T0),
        received("tenant-b", "fw", "b1", NOW - timedelta(seconds=10)),
    ]


def published(bus: MemoryBus) -> list[Alert]:
    """Every record on ``alerts`` not yet committed (the sink has not run since)."""
    return [decode(r.value, Alert) for r in bus.topic(topics.ALERTS).log]


async def alert_ids(store: Store, settings: Settings, role: str) -> list[tuple[str, str]]:
    app = create_app(settings, store)
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {KEYS[role]}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://vigie.test") as http:
        resp = await http.get("/api/v1/alerts", headers=headers)
    assert resp.status_code == 200, resp.text
    return [(i["id"], i["last_seen"]) for i in resp.json()["items"]]


async def stored_versions(store: Store) -> list[tuple[str, int]]:
    rows = await store.query("SELECT tenant, version FROM alerts FINAL ORDER BY tenant")
    return [(r["tenant"], r["version"]) for r in rows]


async def test_quality_worker_alert_reaches_the_tenants_api_through_the_sink(
    store: Store, settings: Settings
) -> None:
    bus = await sink_through(store, settings, [out(m) for m in silent_a_and_busy_b()])
    clock = Clock(NOW)
    worker = QualityWorker(bus, store, settings=settings, now=clock)

    [first] = await worker.check()
    assert published(bus) == [first]
    assert (first.tenant, first.rule.id, first.group) == (
        "tenant-a",
        RULE_ID,
        {"vigie.source": "fw"},
    )
    assert (first.first_seen, first.last_seen, first.version) == (T0, NOW, 1)
    await sink_through(store, settings, [], bus=bus)
    assert await alert_ids(store, settings, "tenant-a") == [(first.id, "2026-12-01T12:00:00Z")]
    assert await alert_ids(store, settings, "tenant-b") == []

    clock.at = NOW + timedelta(minutes=1)
    [second] = await worker.check()
    assert (second.id, second.version, second.last_seen) == (first.id, 2, clock.at)
    await sink_through(store, settings, [], bus=bus)
    assert await alert_ids(store, settings, "tenant-a") == [(first.id, "2026-12-01T12:01:00Z")]
    assert await stored_versions(store) == [("tenant-a", 2)]

    # A restarted worker continues the stored episode instead of starting over at version 1.
    clock.at = NOW + timedelta(minutes=2)
    [third] = await QualityWorker(bus, store, settings=settings, now=clock).check()
    assert (third.id, third.version) == (first.id, 3)


async def test_quality_worker_new_episode_after_the_source_resumed(
    store: Store, settings: Settings
) -> None:
    bus = await sink_through(store, settings, [out(m) for m in silent_a_and_busy_b()])
    clock = Clock(NOW)
    worker = QualityWorker(bus, store, settings=settings, now=clock)
    [first] = await worker.check()

    resumed = NOW + timedelta(minutes=5)
    await sink_through(store, settings, [out(received("tenant-a", "fw", "a2", resumed))], bus=bus)
    clock.at = resumed + timedelta(minutes=1)
    assert await worker.check() == []
    clock.at = resumed + timedelta(hours=2)  # silent again (default threshold: 1 h)
    [again] = [a for a in await worker.check() if a.tenant == "tenant-a"]
    assert again.id != first.id
    assert (again.first_seen, again.version) == (resumed, 1)


async def test_quality_worker_never_alerts_for_a_source_that_never_sent(
    store: Store, settings: Settings
) -> None:
    shared = SharedListener(
        transport="udp", listen="127.0.0.1:5514", peers={"192.0.2.0/24": "tenant-a"}
    )
    configured = settings.model_copy(update={"shared_listeners": [shared]})
    assert set(quality_policy(configured).expected) == {("tenant-a", "syslog-udp:127.0.0.1:5514")}
    worker = QualityWorker(MemoryBus(), store, settings=configured, now=Clock(NOW))
    assert await worker.check() == []


class RefusingStore(Store):
    """The real store, refusing its first ``failures`` queries as a store that is down would."""

    def __init__(self, dsn: str, failures: int) -> None:
        super().__init__(dsn)
        self.failures = failures

    async def query(self, sql: str, parameters: dict[str, Any] | None = None) -> Any:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("store unavailable")
        return await super().query(sql, parameters)


@pytest.fixture
async def refusing(tmp_path: Path) -> AsyncIterator[RefusingStore]:
    opened = RefusingStore(dsn(tmp_path / "store"), failures=0)
    await opened.start()
    yield opened
    await opened.close()


async def test_quality_worker_runs_every_interval_and_survives_a_store_outage(
    refusing: RefusingStore, settings: Settings
) -> None:
    bus = await sink_through(refusing, settings, [out(m) for m in silent_a_and_busy_b()])
    refusing.failures = 1
    fast = settings.model_copy(update={"quality": QualitySettings(interval_seconds=0.05)})
    worker = QualityWorker(bus, refusing, settings=fast, now=Clock(NOW))
    task = asyncio.create_task(worker.run())
    try:
        async with asyncio.timeout(10):
            while len(published(bus)) < 2:
                await asyncio.sleep(0.01)
        assert worker.ready
    finally:
        worker.stop()
        await asyncio.wait_for(task, 5)
    assert not worker.ready and refusing.failures == 0
    assert [a.version for a in published(bus)][:2] == [1, 2]
