"""The Sink on a MemoryBus and a chDB store: every topic to its table, once, at least once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY

from services.api.sink import Sink
from services.runtime.memory_bus import MemoryBus
from services.runtime.settings import Settings
from services.runtime.store import Store
from tests.unit.api.data import (
    T0,
    action_request,
    action_result,
    alert,
    dead_letter,
    dsn,
    ecs,
    out,
    raw,
    sink_through,
)

N = 40


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def count(store: Store, table: str, where: str = "1") -> int:
    rows = await store.query(f"SELECT count() AS n FROM {table} FINAL WHERE {where}")
    return int(rows[0]["n"])


def every_kind(n: int) -> list[tuple[str, str, bytes]]:
    """``n`` distinct messages of each stored kind, as their producers publish them."""
    messages: list[Any] = []
    for i in range(n):
        request = action_request(f"act-{i}", "tenant-a", f"a-{i}", T0)
        messages += [
            raw(f"r-{i}", "tenant-a", "fw-a"),
            ecs(f"e-{i}", "tenant-a", f"r-{i}", "fw-a"),
            alert(f"a-{i}", "tenant-a", T0 + timedelta(seconds=i)),
            request,
            action_result(f"act-{i}-done", request, T0),
            dead_letter("normalizer", f"r-x{i}", "tenant-a", "fw-a"),
        ]
    return [out(m) for m in messages]


async def test_sink_stores_each_record_once_and_dead_letters_garbage(
    store: Store, settings: Settings
) -> None:
    records = every_kind(N)
    garbage = ("alerts", "tenant-b", b'{"id": "half an alert", \xff')
    before = {t: metric("vigie_sink_rows_total", table=t) for t in ("alerts", "dead_letters")}
    failures = metric("vigie_sink_failures_total")

    # Every record twice (a redelivery), and one record that is not an alert at all.
    await sink_through(store, settings, records[: len(records) // 2] + [garbage] + records)

    assert {t: await count(store, t) for t in ("raw_index", "events", "alerts")} == {
        "raw_index": N,
        "events": N,
        "alerts": N,
    }
    assert await count(store, "actions", "kind = 'request'") == N
    assert await count(store, "actions", "kind = 'result'") == N
    assert await count(store, "dead_letters", "stage = 'normalizer'") == N
    [letter] = await store.query("SELECT * FROM dead_letters FINAL WHERE stage = 'sink'")
    assert letter["tenant"] == "tenant-b"
    assert letter["source_topic"] == "alerts"
    assert letter["error"].startswith("DecodeError: not a valid Alert")
    assert letter["payload"] == '{"id": "half an alert", \ufffd'
    assert metric("vigie_sink_failures_total") - failures == 1
    assert metric("vigie_sink_rows_total", table="alerts") - before["alerts"] == N * 3 // 2
    assert metric("vigie_sink_rows_total", table="dead_letters") - before["dead_letters"] == (
        N * 3 // 2 + 1
    )


async def test_sink_keeps_the_latest_alert_version(store: Store, settings: Settings) -> None:
    versions = [alert("a-1", "tenant-a", T0, version=v, count=v) for v in (1, 3, 2)]
    await sink_through(store, settings, [out(a) for a in versions])
    rows = await store.query("SELECT version, count, event_ids FROM alerts FINAL")
    assert rows == [{"version": 3, "count": 3, "event_ids": ["a-1-e0", "a-1-e1", "a-1-e2"]}]


@pytest.mark.usefixtures("berlin_host")
async def test_sink_writes_utc_instants_on_a_berlin_host(store: Store, settings: Settings) -> None:
    noon = datetime(2026, 6, 15, 12, tzinfo=UTC)
    messages = [
        alert("a-1", "tenant-a", noon),
        ecs("e-1", "tenant-a", "r-1", "fw-a", **{"@timestamp": "2026-06-15T12:00:00Z"}),
        ecs("e-2", "tenant-a", "r-2", "fw-a", **{"@timestamp": "2026-06-15T12:00:00"}),
    ]
    await sink_through(store, settings, [out(m) for m in messages])
    alerts = await store.query(
        "SELECT toUnixTimestamp64Milli(last_seen) AS ms FROM alerts FINAL WHERE id = 'a-1'"
    )
    assert alerts == [{"ms": 1781524800000}]
    assert await count(store, "alerts", "last_seen = '2026-06-15 12:00:00'") == 1
    events = await store.query(
        "SELECT id, toUnixTimestamp64Milli(timestamp) AS ms FROM events FINAL ORDER BY id"
    )
    assert events == [{"id": "e-1", "ms": 1781524800000}, {"id": "e-2", "ms": 1781524800000}]


class FlakyStore(Store):
    """The real store, refusing its first ``failures`` inserts as a store that is down would."""

    def __init__(self, dsn: str, failures: int) -> None:
        super().__init__(dsn)
        self.failures = failures
        self.inserts: list[tuple[str, int]] = []

    async def insert(self, table: str, rows: Sequence[dict[str, Any]]) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("store unavailable")
        await super().insert(table, rows)
        self.inserts.append((table, len(rows)))


@pytest.fixture
async def flaky(tmp_path: Path) -> AsyncIterator[FlakyStore]:
    opened = FlakyStore(dsn(tmp_path / "store"), failures=0)
    await opened.start()
    yield opened
    await opened.close()


async def test_sink_inserts_one_batch_per_table(flaky: FlakyStore, settings: Settings) -> None:
    await sink_through(flaky, settings, every_kind(N))
    assert sorted(flaky.inserts) == [
        ("actions", 2 * N),
        ("alerts", N),
        ("dead_letters", N),
        ("events", N),
        ("raw_index", N),
    ]


async def test_sink_commits_only_after_the_store_accepted(
    flaky: FlakyStore, settings: Settings
) -> None:
    bus = MemoryBus()
    await bus.publish([out(alert("a-1", "tenant-a", T0))])
    flaky.failures = 2
    sink = Sink(bus, flaky, settings=settings)
    task = asyncio.create_task(sink.run())
    try:
        async with asyncio.timeout(2):  # retried after 0.5 s, then 1 s
            while flaky.failures:
                assert bus.depth("alerts") == 1, "committed before the insert succeeded"
                await asyncio.sleep(0.01)
        async with asyncio.timeout(10):
            while bus.depth("alerts"):
                await asyncio.sleep(0.01)
    finally:
        sink.stop()
        await task
    assert flaky.inserts == [("alerts", 1)]
    assert await count(flaky, "alerts") == 1


async def test_sink_stopped_while_the_store_fails_leaves_the_batch_for_a_restart(
    flaky: FlakyStore, settings: Settings
) -> None:
    bus = MemoryBus()
    await bus.publish([out(alert("a-1", "tenant-a", T0))])
    flaky.failures = 1_000
    sink = Sink(bus, flaky, settings=settings)
    task = asyncio.create_task(sink.run())
    async with asyncio.timeout(5):
        while flaky.failures == 1_000:
            await asyncio.sleep(0.01)
    sink.stop()
    await asyncio.wait_for(task, 5)
    assert bus.depth("alerts") == 1 and await count(flaky, "alerts") == 0

    flaky.failures = 0
    await sink_through(flaky, settings, [], bus=bus)  # a restarted sink
    assert await count(flaky, "alerts") == 1

