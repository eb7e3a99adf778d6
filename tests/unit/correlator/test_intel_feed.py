"""Threat intelligence through the bus (embedded mode, MemoryBus): intel files → ti.indicators →
the correlator's index → TI alerts for the right tenant; reloads, revocations, bad records."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from schemas import topics
from schemas.codec import encode
from schemas.indicator import Indicator
from services.correlator.intel_files import IntelFiles
from services.correlator.ioc import IndicatorIndex
from services.correlator.main import CorrelatorWithIntel, build_service
from services.correlator.ti_store import SYNC_KEY, IntelFeed, publish
from services.runtime.bus import Record
from services.runtime.memory_bus import MemoryBus
from services.runtime.settings import BusSettings, IntelFile, Settings
from tests.unit.correlator.factories import event

C2 = "203.0.113.5"


async def until(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)


async def drained(bus: MemoryBus, topic: str, group: str) -> list[Record]:
    consumer = bus.consumer([topic], group)
    await consumer.start()
    records = await consumer.poll(1000, timeout=0.05)
    await consumer.commit(records)
    return records


def intel_settings(tmp_path: Path, *files: dict[str, Any]) -> Settings:
    return Settings.model_validate({
        "data_dir": tmp_path, "tenants": [{"id": "acme"}, {"id": "globex"}],
        "intel": {"files": list(files), "reload_seconds": 0.05},
    })  # fmt: skip


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[tuple[MemoryBus, CorrelatorWithIntel, Path]]:
    feed = tmp_path / "acme-c2.csv"
    feed.write_text(f"type,value,confidence\nip,{C2},90\ndomain,c2.example.com,40\n")
    bus = MemoryBus()
    service = build_service(intel_settings(tmp_path, {"path": str(feed), "tenant": "acme"}), bus)
    task = asyncio.create_task(service.run())
    await until(lambda: service.ready or task.done(), "the correlator to be ready")
    assert service.ready, task
    try:
        yield bus, service, feed
    finally:
        service.stop()
        await task


async def alerts_for(bus: MemoryBus, *events: Any) -> list[dict[str, Any]]:
    await bus.publish([(topics.ECS_EVENTS, e.tenant, encode(e)) for e in events])
    await until(lambda: bus.depth(topics.ECS_EVENTS) == 0, "the events to be correlated")
    return [orjson.loads(r.value) for r in await drained(bus, topics.ALERTS, "test")]


async def test_an_intel_file_alerts_its_tenant_only(running: Any) -> None:
    bus, service, _ = running
    assert isinstance(service, CorrelatorWithIntel)
    out = await alerts_for(
        bus,
        event("acme", "a1", "10:00:00", destination__ip=C2, source__ip="192.0.2.10"),
        event("globex", "g1", "10:00:01", destination__ip=C2),
        event("acme", "a2", "10:00:02", destination__ip="198.51.100.1"),
    )
    assert [(a["tenant"], a["rule"]["id"], a["rule"]["level"], a["group"], a["event_ids"])
            for a in out] == [
        ("acme", "vigie-ti-ipv4-addr", "high", {"indicator": C2, "field": "destination.ip"}, ["a1"])
    ]  # fmt: skip
    assert out[0]["threat"]["feed"] == {"name": "acme-c2.csv"}


async def test_a_changed_file_is_reloaded_and_dropped_lines_are_revoked(running: Any) -> None:
    bus, service, feed = running
    feed.write_text("type,value\ndomain,c2.example.com\nurl,http://new.example.com/x\n")
    os.utime(feed, ns=(1, 1))  # a different modification time whatever the clock's resolution
    index = service.feed._index
    await until(
        lambda: len(index) == 2 and not index.lookup("ip", C2, tenant="acme", at=0), "reload"
    )
    out = await alerts_for(
        bus,
        event("acme", "a1", "10:00:00", destination__ip=C2),
        event("acme", "a2", "10:00:01", url__original="https://new.example.com/x"),
    )
    assert [(a["rule"]["id"], a["event_ids"]) for a in out] == [("vigie-ti-url", ["a2"])]
    feed.unlink()
    await until(lambda: len(service.feed._index) == 0, "the revocation of a removed file")


async def test_the_correlator_starts_only_after_the_intel_is_loaded(tmp_path: Path) -> None:
    bus = MemoryBus()
    backlog = [
        Indicator(type="ipv4-addr", value=f"198.51.{i // 256}.{i % 256}") for i in range(3000)
    ]
    await publish(bus, backlog)  # already on the topic, as after a restart
    feed_file = tmp_path / "f.csv"
    feed_file.write_text(f"type,value\nip,{C2}\n")
    service = build_service(intel_settings(tmp_path, {"path": str(feed_file)}), bus)
    task = asyncio.create_task(service.run())
    try:
        await until(lambda: service.driver.ready or task.done(), "the driver")
        assert len(service.feed._index) == 3001 and service.feed.ready
        out = await alerts_for(bus, event("globex", "g1", "10:00:00", source__ip=C2))
        assert [a["tenant"] for a in out] == ["globex"]  # a global file alerts every tenant
    finally:
        service.stop()
        await task


async def test_a_file_larger_than_the_memory_topic_still_loads(tmp_path: Path) -> None:
    lines = "".join(f"ip,198.51.{i // 256}.{i % 256}\n" for i in range(300))
    (tmp_path / "big.csv").write_text(f"type,value\n{lines}")
    bus = MemoryBus(BusSettings(queue_size=50))  # back-pressure on the publisher, no deadlock
    service = build_service(intel_settings(tmp_path, {"path": str(tmp_path / "big.csv")}), bus)
    task = asyncio.create_task(service.run())
    try:
        await until(lambda: service.ready or task.done(), "the correlator")
        assert len(service.feed._index) == 300
    finally:
        service.stop()
        await task


def test_intel_files_of_unknown_tenants_fail_the_start(tmp_path: Path) -> None:
    settings = intel_settings(tmp_path, {"path": "x.csv", "tenant": "initech"})
    with pytest.raises(ValueError, match="initech"):
        build_service(settings, MemoryBus())


async def test_feed_applies_tombstones_and_dead_letters_bad_records() -> None:
    bus, index = MemoryBus(), IndicatorIndex()
    good = Indicator(type="domain-name", value="c2.example.com", tenant="acme")
    feed = IntelFeed(bus, index)
    assert feed.apply(Record(topics.TI_INDICATORS, good.key, encode(good))) is None
    assert len(index) == 1
    assert feed.apply(Record(topics.TI_INDICATORS, good.key, b"")) is None  # a tombstone
    assert len(index) == 0
    wrong_key = feed.apply(
        Record(topics.TI_INDICATORS, "*:domain-name:x.example.com", encode(good))
    )
    garbage = feed.apply(Record(topics.TI_INDICATORS, "acme:url:x", b"{oops", offset=7))
    assert wrong_key is not None and "not the indicator key" in wrong_key.error
    assert garbage is not None and garbage.error.startswith("undecodable")
    assert (garbage.tenant, garbage.record_id, wrong_key.tenant) == (
        "acme", "ti.indicators/0/7", "*",
    )  # fmt: skip
    assert len(index) == 0
    assert feed.apply(Record(topics.TI_INDICATORS, SYNC_KEY, b"vigie-intel-another")) is None
    assert not feed.ready and len(index) == 0  # another process's marker: not ours, not intel

    task = asyncio.create_task(feed.run())
    await bus.publish([(topics.TI_INDICATORS, "acme:url:x", b"{oops")])
    try:
        await until(lambda: bus.depth(topics.TI_INDICATORS) == 0 and feed.ready, "the feed")
    finally:
        feed.stop()
        await task
    [dead] = await drained(bus, topics.dlq("correlator"), "test")
    assert orjson.loads(dead.value)["source_topic"] == topics.TI_INDICATORS


async def test_a_file_that_fails_to_load_keeps_what_it_published(tmp_path: Path) -> None:
    path = tmp_path / "feed.json"
    path.write_text('{"Event": {"Attribute": [{"type": "domain", "value": "a.example.com"}]}}')
    bus = MemoryBus()
    files = IntelFiles(bus, [IntelFile(path=str(tmp_path))])  # a folder entry
    await files.scan()
    path.write_text("{broken")
    os.utime(path, ns=(1, 1))
    await files.scan()
    records = await drained(bus, topics.TI_INDICATORS, "test")
    assert [(r.key, orjson.loads(r.value)["revoked"]) for r in records] == [
        ("*:domain-name:a.example.com", False)
    ]
