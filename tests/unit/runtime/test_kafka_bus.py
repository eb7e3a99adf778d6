"""KafkaConsumer's commit and rebalance logic, driven through the slice of aiokafka it calls.

The same adapter runs against a real broker in tests/contract/ports/test_bus.py; here the group's
rebalances are scripted, so the commits it sends can be checked exactly against the cases.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest
from aiokafka.errors import CommitFailedError, IllegalStateError
from aiokafka.structs import ConsumerRecord, OffsetAndMetadata, TopicPartition

from services.runtime.bus import Record
from services.runtime.kafka_bus import KafkaConsumer, bootstrap_servers

P0 = TopicPartition("raw-events", 0)
P1 = TopicPartition("raw-events", 1)


def message(tp: TopicPartition, offset: int, key: bytes | None = b"tenant-a") -> ConsumerRecord:
    value = f"{tp.topic}/{tp.partition}@{offset}".encode()
    return ConsumerRecord(tp.topic, tp.partition, offset, 0, 0, key, value, None, 0, 0, ())


class Group:
    """What the group coordinator and the broker hold for one member, as aiokafka reports it."""

    def __init__(self, assigned: Iterable[TopicPartition]) -> None:
        self.listener: Any = None
        self.assigned = set(assigned)
        self.committed: dict[TopicPartition, int] = {}
        self.highwaters: dict[TopicPartition, int] = {}
        self.end: dict[TopicPartition, int] = {}
        self.batches: list[dict[TopicPartition, list[ConsumerRecord]]] = []
        self.sent: list[dict[str, int]] = []
        self.accepted: list[dict[str, int]] = []
        self.refuse = 0  # how many of the next commits the group refuses (it is rebalancing)

    def subscribe(self, topics: list[str], listener: Any) -> None:
        self.listener = listener

    async def start(self) -> None:
        await self.listener.on_partitions_assigned(set(self.assigned))

    async def stop(self) -> None:
        return None

    async def getmany(self, timeout_ms: int, max_records: int) -> dict:
        return self.batches.pop(0) if self.batches else {}

    async def commit(self, offsets: dict[TopicPartition, OffsetAndMetadata] | None = None) -> None:
        assert offsets is not None, "a bare commit() would commit fetched, unprocessed positions"
        for tp in offsets:
            if tp not in self.assigned:
                raise IllegalStateError(f"Partition {tp} is not assigned")
        named = {f"{tp.topic}/{tp.partition}": o.offset for tp, o in offsets.items()}
        self.sent.append(named)
        if self.refuse:
            self.refuse -= 1
            raise CommitFailedError("the group has already rebalanced")
        self.accepted.append(named)
        self.committed.update({tp: o.offset for tp, o in offsets.items()})

    async def position(self, tp: TopicPartition) -> int:
        return self.committed.get(tp, 0)  # a new assignment starts at the committed offset

    def assignment(self) -> set[TopicPartition]:
        return set(self.assigned)

    def highwater(self, tp: TopicPartition) -> int | None:
        return self.highwaters.get(tp)

    async def end_offsets(self, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
        return {tp: self.end[tp] for tp in tps}

    async def rebalance(self, keep: set[TopicPartition]) -> None:
        """An eager rebalance, as aiokafka runs it in its own task: revoke all, assign some."""
        await self.listener.on_partitions_revoked(set(self.assigned))
        self.assigned = keep
        await self.listener.on_partitions_assigned(set(keep))


@pytest.fixture
async def rebalance_case(cases: dict[str, Any]) -> tuple[Group, KafkaConsumer, list[Record]]:
    """The batch of kafka-rebalance-revoke-commit-and-lag, fetched by a started consumer."""
    fetched = cases["kafka-rebalance-revoke-commit-and-lag"]["input"]["fetched_batch"]
    group = Group({P0, P1})
    offsets = {P0: fetched["raw-events/0"], P1: fetched["raw-events/1"]}
    group.committed = {tp: o[0] for tp, o in offsets.items()}
    group.batches = [{tp: [message(tp, o) for o in os] for tp, os in offsets.items()}]
    consumer = KafkaConsumer(lambda: group, ["raw-events"])  # type: ignore[arg-type, return-value]
    await consumer.start()
    return group, consumer, await consumer.poll()


def done(records: list[Record], partition: int, first: int, last: int) -> list[Record]:
    return [r for r in records if r.partition == partition and first <= r.offset <= last]


@pytest.mark.parametrize("refused", [0, 1], ids=["batch-commit", "revocation-commit"])
async def test_kafka_consumer_commits_processed_records_of_revoked_partitions_only(
    rebalance_case: tuple[Group, KafkaConsumer, list[Record]], cases: dict[str, Any], refused: int
) -> None:
    group, consumer, batch = rebalance_case
    # Refused once: the batch commit races the rebalance, and the revocation commits instead.
    group.refuse = refused
    await consumer.commit(done(batch, 0, 100, 104) + done(batch, 1, 200, 201))
    await group.rebalance({P0})
    await consumer.commit(batch)  # the rest of the batch: p0 105-109 and revoked p1 202-204
    expected = cases["kafka-rebalance-revoke-commit-and-lag"]["expected"]
    assert group.accepted == expected["commits"]
    assert group.committed == {P0: 110, P1: 202}


async def test_kafka_consumer_refused_revocation_commit_is_not_taken_as_committed(
    rebalance_case: tuple[Group, KafkaConsumer, list[Record]], caplog: pytest.LogCaptureFixture
) -> None:
    group, consumer, batch = rebalance_case
    group.refuse = 2  # both the batch commit and the one on revocation are refused
    await consumer.commit(done(batch, 0, 100, 104) + done(batch, 1, 200, 201))
    await group.rebalance({P0})
    assert "offset commit refused" in caplog.text
    assert group.committed == {P0: 100, P1: 200}
    group.highwaters[P0] = 110
    assert await consumer.lag() == 10  # p0 resumes from 100, its last successful commit
    await consumer.commit(batch)  # this member owns p0 again and has processed 100-109
    assert group.accepted == [{"raw-events/0": 110}]
    assert all("raw-events/1" not in sent for sent in group.sent[2:])


async def test_kafka_consumer_lag_is_floored_and_only_for_assigned_partitions(
    rebalance_case: tuple[Group, KafkaConsumer, list[Record]], cases: dict[str, Any]
) -> None:
    group, consumer, _ = rebalance_case
    await group.rebalance({P0})
    group.batches = [{P0: [message(P0, o) for o in range(100, 110)]}]
    await consumer.commit(await consumer.poll())
    group.highwaters[P1] = 205  # left over from before the revocation; not reported
    lags = []
    for hw in (110, 108, 115):
        group.highwaters[P0] = hw
        lags.append(await consumer.lag())
    assert lags == cases["kafka-rebalance-revoke-commit-and-lag"]["expected"]["lag_raw-events/0"]


async def test_kafka_consumer_lag_before_any_fetch_asks_the_end_offsets() -> None:
    group = Group({P0})
    group.committed = {P0: 40}
    group.end = {P0: 52}
    consumer = KafkaConsumer(lambda: group, ["raw-events"])  # type: ignore[arg-type, return-value]
    await consumer.start()
    assert await consumer.lag() == 12


async def test_kafka_consumer_poll_keeps_key_value_and_position() -> None:
    group = Group({P0})
    group.batches = [{P0: [message(P0, 7), message(P0, 8, key=None)]}]
    consumer = KafkaConsumer(lambda: group, ["raw-events"])  # type: ignore[arg-type, return-value]
    await consumer.start()
    assert await consumer.poll() == [
        Record("raw-events", "tenant-a", b"raw-events/0@7", 0, 7),
        Record("raw-events", "", b"raw-events/0@8", 0, 8),
    ]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("kafka://127.0.0.1:9092", "127.0.0.1:9092"),
        (
            "kafka://k1.example.com:9092,k2.example.com:9092",
            "k1.example.com:9092,k2.example.com:9092",
        ),
    ],
)
def test_bootstrap_servers_from_bus_url(url: str, expected: str) -> None:
    assert bootstrap_servers(url) == expected


@pytest.mark.parametrize("url", ["memory://", "kafka://", "127.0.0.1:9092", "kafka://,"])
def test_bootstrap_servers_rejects_other_urls(url: str) -> None:
    with pytest.raises(ValueError, match="kafka://"):
        bootstrap_servers(url)
