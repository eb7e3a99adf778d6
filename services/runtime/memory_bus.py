"""In-process bus for the embedded mode: one bounded log per topic, offsets per consumer group.

Publishing waits while a topic holds ``queue_size`` records that some group has not committed
(back-pressure); nothing is ever dropped. Not durable: records in flight are lost with the process.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Sequence

from services.runtime.bus import Outgoing, Record
from services.runtime.offsets import OffsetTracker
from services.runtime.settings import BusSettings


class _Topic:
    def __init__(self, name: str, capacity: int) -> None:
        self.name = name
        self.capacity = capacity
        self.log: deque[Record] = deque()
        self.base = 0  # offset of log[0]
        self.committed: dict[str, int] = {}
        self.changed = asyncio.Condition()

    @property
    def end(self) -> int:
        return self.base + len(self.log)

    def trim(self) -> None:
        floor = min(self.committed.values()) if self.committed else self.base
        while self.log and self.base < floor:
            self.log.popleft()
            self.base += 1

    def read(self, start: int, limit: int) -> list[Record]:
        first = max(start, self.base) - self.base
        return [self.log[i] for i in range(first, min(len(self.log), first + limit))]


class MemoryBus:
    def __init__(self, settings: BusSettings | None = None) -> None:
        self._capacity = (settings or BusSettings()).queue_size
        self._topics: dict[str, _Topic] = {}

    def topic(self, name: str) -> _Topic:
        if name not in self._topics:
            self._topics[name] = _Topic(name, self._capacity)
        return self._topics[name]

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def publish(self, records: Sequence[Outgoing]) -> None:
        for topic_name, key, value in records:
            topic = self.topic(topic_name)
            async with topic.changed:
                topic.trim()
                while len(topic.log) >= topic.capacity:
                    await topic.changed.wait()
                    topic.trim()
                topic.log.append(Record(topic_name, key, value, 0, topic.end))
                topic.changed.notify_all()

    def consumer(self, topics: Sequence[str], group: str) -> MemoryConsumer:
        return MemoryConsumer(self, list(topics), group)

    def depth(self, name: str) -> int:
        """Records in a topic not yet committed by its slowest group."""
        topic = self.topic(name)
        topic.trim()
        return len(topic.log)


class MemoryConsumer:
    def __init__(self, bus: MemoryBus, topics: list[str], group: str) -> None:
        self._bus = bus
        self._topics = [bus.topic(t) for t in topics]
        self._group = group
        self._position: dict[str, int] = {}
        self._tracker = OffsetTracker()
        self._wakeup = asyncio.Event()

    async def start(self) -> None:
        for topic in self._topics:
            committed = topic.committed.setdefault(self._group, topic.base)
            self._position[topic.name] = committed

    async def stop(self) -> None:
        return None

    async def poll(self, max_records: int = 500, timeout: float = 1.0) -> list[Record]:
        records = self._take(max_records)
        if records or timeout <= 0:
            return records
        waiters = [asyncio.create_task(self._wait(t)) for t in self._topics]
        try:
            await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waiters:
                w.cancel()
        return self._take(max_records)

    async def _wait(self, topic: _Topic) -> None:
        async with topic.changed:
            await topic.changed.wait_for(lambda: topic.end > self._position[topic.name])

    def _take(self, limit: int) -> list[Record]:
        out: list[Record] = []
        for topic in self._topics:
            batch = topic.read(self._position[topic.name], limit - len(out))
            for record in batch:
                self._tracker.fetched((topic.name, 0), record.offset)
            if batch:
                self._position[topic.name] = batch[-1].offset + 1
            out.extend(batch)
            if len(out) >= limit:
                break
        return out

    async def commit(self, records: Sequence[Record]) -> None:
        for record in records:
            self._tracker.done((record.topic, record.partition), record.offset)
        positions = self._tracker.committable()
        for (name, _), offset in positions.items():
            topic = self._bus.topic(name)
            async with topic.changed:
                topic.committed[self._group] = max(topic.committed.get(self._group, 0), offset)
                topic.trim()
                topic.changed.notify_all()
        self._tracker.committed(positions)

    async def lag(self) -> int:
        return sum(t.end - t.committed.get(self._group, t.base) for t in self._topics)
