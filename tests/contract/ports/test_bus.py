"""Bus contract: one behaviour suite, run against ``MemoryBus`` and ``KafkaBus`` on a real broker.

What every bus must do for the Worker's at-least-once contract: exact keys and bytes, order per
key, a group resuming at its last commit (redelivering, never skipping), independent groups,
and a lag that counts what the group has not committed.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from uuid import uuid4

import pytest

from services.runtime.bus import Bus, Consumer, Outgoing, Record, open_bus
from services.runtime.settings import BusSettings

DRAIN_SECONDS = 60.0


@pytest.fixture(params=["memory", pytest.param("kafka", marks=pytest.mark.kafka)])
def bus_settings(request: pytest.FixtureRequest) -> BusSettings:
    if request.param == "memory":
        return BusSettings()
    return BusSettings(url=request.getfixturevalue("kafka_url"), partitions=3)


@pytest.fixture
async def bus(bus_settings: BusSettings) -> AsyncIterator[Bus]:
    bus = open_bus(bus_settings)
    await bus.start()
    yield bus
    await bus.stop()


async def new_topic(bus: Bus) -> str:
    name = f"test.{uuid4().hex[:12]}"
    # Kafka has auto-creation off, so topics beyond all_topics() are created up front; the
    # memory bus takes any name.
    create = getattr(bus, "create_topics", None)
    if create is not None:
        await create([name])
    return name


@asynccontextmanager
async def member(bus: Bus, topics: Sequence[str], group: str) -> AsyncIterator[Consumer]:
    consumer = bus.consumer(topics, group)
    await consumer.start()
    try:
        yield consumer
    finally:
        await consumer.stop()


async def drain(consumer: Consumer, count: int, *, settle: float = 0.5) -> list[Record]:
    """Poll until ``count`` records came, then for ``settle`` seconds more to catch any extra."""
    got: list[Record] = []
    deadline = asyncio.get_running_loop().time() + DRAIN_SECONDS
    while len(got) < count and asyncio.get_running_loop().time() < deadline:
        got += await consumer.poll(max_records=count - len(got), timeout=0.5)
    if settle > 0:
        got += await consumer.poll(max_records=count or 1, timeout=settle)
    return got


def outgoing(
    topic: str, count: int, keys: Sequence[str] = ("tenant-a",), *, start: int = 0
) -> list[Outgoing]:
    return [
        (topic, keys[i % len(keys)], f"record-{i}".encode()) for i in range(start, start + count)
    ]


def values(records: Sequence[Record]) -> list[bytes]:
    return [r.value for r in records]


def values_of(sent: Sequence[Outgoing]) -> list[bytes]:
    return [value for _, _, value in sent]


async def test_bus_round_trip_keeps_topic_key_and_bytes(bus: Bus) -> None:
    topic = await new_topic(bus)
    sent = [
        (topic, "tenant-a", b'{"message":"hello"}'),
        (topic, "tenant-b", bytes(range(256))),
        (topic, "tenant-a", b""),
    ]
    await bus.publish(sent)
    async with member(bus, [topic], "round-trip") as consumer:
        got = await drain(consumer, len(sent))
    assert sorted((r.topic, r.key, r.value) for r in got) == sorted(sent)
    assert all(r.offset >= 0 and r.partition >= 0 for r in got)


async def test_bus_keeps_order_per_key(bus: Bus) -> None:
    topic = await new_topic(bus)
    keys = ("tenant-a", "tenant-b", "tenant-c")
    sent = outgoing(topic, 300, keys)
    for start in range(0, len(sent), 50):
        await bus.publish(sent[start : start + 50])
    async with member(bus, [topic], "order") as consumer:
        got = await drain(consumer, len(sent))
    by_key: dict[str, list[bytes]] = defaultdict(list)
    for record in got:
        by_key[record.key].append(record.value)
    assert by_key == {k: [v for _, key, v in sent if key == k] for k in keys}


async def test_bus_group_resumes_at_the_contiguous_commit(bus: Bus) -> None:
    topic = await new_topic(bus)
    sent = outgoing(topic, 10)  # one key: one partition, so offsets follow the sending order
    await bus.publish(sent)
    async with member(bus, [topic], "resume") as consumer:
        got = await drain(consumer, 10)
        assert values(got) == values_of(sent)
        await consumer.commit(got[:6] + got[8:])  # 6 and 7 are still in flight
    async with member(bus, [topic], "resume") as consumer:
        again = await drain(consumer, 4)
    # Nothing skipped: 6 and 7 come back, and 8 and 9 with them (at least once).
    assert values(again) == values_of(sent[6:])


async def test_bus_redelivers_uncommitted_records_after_a_restart(bus: Bus) -> None:
    topic = await new_topic(bus)
    sent = outgoing(topic, 20, ("tenant-a", "tenant-b"))
    await bus.publish(sent)
    async with member(bus, [topic], "restart") as consumer:
        assert sorted(values(await drain(consumer, 20))) == sorted(values_of(sent))
    async with member(bus, [topic], "restart") as consumer:
        assert sorted(values(await drain(consumer, 20))) == sorted(values_of(sent))


async def test_bus_gives_every_group_every_record(bus: Bus) -> None:
    # Both groups exist before the records do: the memory bus frees a record once every group
    # it knows has committed it, so it has nothing for a group that joins afterwards.
    topic = await new_topic(bus)
    sent = outgoing(topic, 30, ("tenant-a", "tenant-b"))
    async with member(bus, [topic], "group-one") as one, member(bus, [topic], "group-two") as two:
        await bus.publish(sent)
        for consumer in (one, two):
            got = await drain(consumer, 30)
            await consumer.commit(got)
            assert sorted(values(got)) == sorted(values_of(sent))


async def test_bus_lag_counts_unread_and_uncommitted_records(bus: Bus) -> None:
    topic = await new_topic(bus)
    await bus.publish(outgoing(topic, 10))
    async with member(bus, [topic], "lag") as consumer:
        first = await drain(consumer, 3, settle=0)
        assert len(first) == 3
        assert await consumer.lag() == 10  # 3 read and 7 unread, none committed
        await consumer.commit(first)
        assert await consumer.lag() == 7
        rest = await drain(consumer, 7)
        await consumer.commit(rest[:-1])
        assert await consumer.lag() == 1
        await consumer.commit(rest[-1:])
        assert await consumer.lag() == 0


async def test_bus_consumes_every_one_of_5000_records(bus: Bus) -> None:
    topic = await new_topic(bus)
    sent = outgoing(topic, 5000, ("tenant-a", "tenant-b", "tenant-c", "tenant-d"))
    for start in range(0, len(sent), 500):
        await bus.publish(sent[start : start + 500])
    got: list[Record] = []
    async with member(bus, [topic], "volume") as consumer:
        deadline = asyncio.get_running_loop().time() + DRAIN_SECONDS
        while len(got) < len(sent) and asyncio.get_running_loop().time() < deadline:
            batch = await consumer.poll(max_records=500, timeout=0.5)
            await consumer.commit(batch)
            got += batch
        assert await consumer.lag() == 0
    assert len(got) == len(sent)
    assert sorted(values(got)) == sorted(values_of(sent))


@pytest.mark.kafka
async def test_kafka_bus_members_of_a_group_share_partitions_and_lose_nothing(
    kafka_url: str,
) -> None:
    """Kafka only (the memory bus has one member per group): a member joins mid-stream."""
    bus = open_bus(BusSettings(url=kafka_url, partitions=3))
    await bus.start()
    topic = await new_topic(bus)
    sent = outgoing(topic, 300, KEYS)
    await bus.publish(sent)
    async with member(bus, [topic], "members") as first:
        head = await drain(first, 10, settle=0)
        await first.commit(head)
        seen = {"first": set(values(head)), "second": set[bytes]()}
        async with member(bus, [topic], "members") as second:
            await share(bus, topic, sent, {"first": first, "second": second}, seen)
    assert seen["second"], "the second member was never given a partition"
    assert set(values_of(sent)) <= seen["first"] | seen["second"]
    # Every record was committed by the member that owned it when it was done: a new member
    # gets only what is published after.
    await bus.publish(outgoing(topic, 1, start=len(sent)))
    async with member(bus, [topic], "members") as third:
        assert values(await drain(third, 1, settle=1.0)) == [f"record-{len(sent)}".encode()]
    await bus.stop()


KEYS = tuple(f"tenant-{i}" for i in range(6))


async def lag_of(consumers: dict[str, Consumer]) -> int:
    return sum([await c.lag() for c in consumers.values()])


async def share(
    bus: Bus,
    topic: str,
    sent: list[Outgoing],
    consumers: dict[str, Consumer],
    seen: dict[str, set[bytes]],
) -> None:
    """Run the members until all of ``sent`` is read (into ``seen``) and committed.

    Records keep coming until the rebalance gives every member partitions (``sent`` grows).
    """
    deadline = asyncio.get_running_loop().time() + DRAIN_SECONDS
    while asyncio.get_running_loop().time() < deadline:
        for name, consumer in consumers.items():
            batch = await consumer.poll(max_records=20, timeout=0.1)
            await consumer.commit(batch)
            seen[name] |= set(values(batch))
        if not all(seen.values()):
            more = outgoing(topic, 20, KEYS, start=len(sent))
            sent += more
            await bus.publish(more)
        elif set(values_of(sent)) <= set.union(*seen.values()) and await lag_of(consumers) == 0:
            return
