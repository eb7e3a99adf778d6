"""Helpers for the collector's real-socket tests on 127.0.0.1 (port 0, a MemoryBus)."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from prometheus_client import REGISTRY

from schemas.codec import decode
from schemas.raw import RawEvent
from services.collector.main import Collector
from services.runtime.bus import Consumer, Record


def payload(raw: RawEvent) -> bytes:
    return raw.data.encode() if raw.encoding == "utf8" else base64.b64decode(raw.data)


@asynccontextmanager
async def running(collector: Collector) -> AsyncIterator[Collector]:
    task = asyncio.create_task(collector.run())
    async with asyncio.timeout(5):
        while not collector.ready:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
    try:
        yield collector
    finally:
        collector.stop()
        await task


async def collect(consumer: Consumer, count: int, *, timeout: float = 10.0) -> list[Record]:
    """Exactly ``count`` records (committed), then check that no further record arrives."""
    records: list[Record] = []
    async with asyncio.timeout(timeout):
        while len(records) < count:
            batch = await consumer.poll(500, timeout=0.2)
            await consumer.commit(batch)
            records += batch
    records += await consumer.poll(500, timeout=0.3)
    assert len(records) == count
    return records


def events(records: list[Record]) -> list[RawEvent]:
    return [decode(r.value, RawEvent) for r in records]


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def address(collector: Collector, source: str) -> tuple[str, int]:
    return next(b.address for b in collector.bound_addresses() if b.source == source)
