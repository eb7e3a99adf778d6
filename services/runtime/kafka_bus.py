"""Kafka bus (aiokafka): the ``Bus`` port over an Apache Kafka cluster, ``kafka://host:port[,…]``.

``start`` creates every topic of ``schemas.topics.all_topics()`` that is missing (partitions,
replication and retention from ``BusSettings``; ``ti.indicators`` and ``assets`` compacted).
``publish`` keys each record by tenant and returns once every record is acknowledged by all
in-sync replicas (idempotent producer, ``acks=all``); any failure raises, so nothing is committed.
Consumers never auto-commit: ``commit`` commits the contiguous processed prefix of each partition
(``OffsetTracker``). A rebalance may run in aiokafka's own task in the middle of a batch, so on
revocation the consumer commits what it has processed of the revoked partitions and forgets them;
records of those partitions still in the batch are then never committed by this consumer.
A commit refused because the group rebalanced is logged, and those records are read again
(at least once).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError, for_code
from aiokafka.structs import OffsetAndMetadata, TopicPartition

from schemas import topics
from services.runtime.bus import Outgoing, Record
from services.runtime.offsets import OffsetTracker
from services.runtime.settings import BusSettings

log = logging.getLogger(__name__)

COMPACTED = frozenset({topics.TI_INDICATORS, topics.ASSETS})
_TOPIC_ALREADY_EXISTS = 36
_TOPIC_READY_SECONDS = 30.0

T = TypeVar("T")


def _started(client: T | None) -> T:
    if client is None:
        raise RuntimeError("KafkaBus.start() has not been awaited")
    return client


def bootstrap_servers(url: str) -> str:
    """``kafka://h1:9092,h2:9092`` → ``h1:9092,h2:9092``."""
    scheme, sep, hosts = url.partition("://")
    if scheme != "kafka" or not sep or not hosts.strip(","):
        raise ValueError(f"not a kafka:// bus URL: {url!r}")
    return hosts


class KafkaBus:
    def __init__(self, settings: BusSettings) -> None:
        self._settings = settings
        self._bootstrap = bootstrap_servers(settings.url)
        self._admin: AIOKafkaAdminClient | None = None
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        self._admin = AIOKafkaAdminClient(bootstrap_servers=self._bootstrap)
        await self._admin.start()
        await self.create_topics(topics.all_topics())
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self._bootstrap,
            acks="all",
            enable_idempotence=True,
            linger_ms=5,
        )
        await self._producer.start()

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None
        if self._admin is not None:
            await self._admin.close()
            self._admin = None

    async def create_topics(self, names: Iterable[str]) -> None:
        """Create the topics that are missing and wait until the cluster serves all of them."""
        admin = _started(self._admin)
        wanted = list(dict.fromkeys(names))
        missing = [n for n in wanted if n not in set(await admin.list_topics())]
        if missing:
            response = await admin.create_topics([self._new_topic(n) for n in missing])
            for name, code, *_ in response.topic_errors:
                if code not in (0, _TOPIC_ALREADY_EXISTS):
                    raise for_code(code)(f"cannot create topic {name!r}")
        await self._until_served(admin, wanted)

    def _new_topic(self, name: str) -> NewTopic:
        if name in COMPACTED:
            config = {"cleanup.policy": "compact"}
        else:
            config = {"retention.ms": str(self._settings.retention_hours * 3_600_000)}
        return NewTopic(
            name,
            num_partitions=self._settings.partitions,
            replication_factor=self._settings.replication_factor,
            topic_configs=config,
        )

    async def _until_served(self, admin: AIOKafkaAdminClient, names: list[str]) -> None:
        # A created topic reaches the brokers' metadata a moment later; a consumer that subscribes
        # before then would be assigned nothing until its next metadata refresh.
        deadline = asyncio.get_running_loop().time() + _TOPIC_READY_SECONDS
        while True:
            pending = [t["topic"] for t in await admin.describe_topics(names) if not _served(t)]
            if not pending:
                return
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"topics not served after {_TOPIC_READY_SECONDS}s: {pending}")
            await asyncio.sleep(0.1)

    async def publish(self, records: Sequence[Outgoing]) -> None:
        producer = _started(self._producer)
        deliveries = [
            await producer.send(topic, value, key=key.encode()) for topic, key, value in records
        ]
        await asyncio.gather(*deliveries)

    def consumer(self, topics: Sequence[str], group: str) -> KafkaConsumer:
        make_client = partial(
            AIOKafkaConsumer,
            bootstrap_servers=self._bootstrap,
            group_id=group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        return KafkaConsumer(make_client, list(topics))


def _served(topic: dict[str, Any]) -> bool:
    """A topic of a metadata response whose partitions all have a leader."""
    partitions = topic["partitions"]
    return (
        not topic["error_code"]
        and bool(partitions)
        and not any(p["error_code"] for p in partitions)
    )


def _tp(tp: TopicPartition) -> tuple[str, int]:
    return (tp.topic, tp.partition)


class KafkaConsumer(ConsumerRebalanceListener):
    """A group member over one ``AIOKafkaConsumer``; it is its own rebalance listener."""

    def __init__(self, make_client: Callable[[], AIOKafkaConsumer], topics: list[str]) -> None:
        self._make_client = make_client
        self._topics = topics
        self._client: AIOKafkaConsumer | None = None
        self._tracker = OffsetTracker()
        # A revocation waits for an in-flight commit, so both never commit the same offsets.
        self._commit_lock = asyncio.Lock()

    async def start(self) -> None:
        # aiokafka binds its client to the running loop, hence created here and not in __init__.
        self._client = self._make_client()
        self._client.subscribe(self._topics, listener=self)
        await self._client.start()

    async def stop(self) -> None:
        if self._client is not None:
            await self._client.stop()
            self._client = None

    async def poll(self, max_records: int = 500, timeout: float = 1.0) -> list[Record]:
        client = _started(self._client)
        batches = await client.getmany(timeout_ms=int(timeout * 1000), max_records=max_records)
        out: list[Record] = []
        for tp, messages in batches.items():
            for m in messages:
                self._tracker.fetched(_tp(tp), m.offset)
                key = m.key.decode("utf-8", errors="replace") if m.key is not None else ""
                out.append(Record(m.topic, key, m.value or b"", m.partition, m.offset))
        return out

    async def commit(self, records: Sequence[Record]) -> None:
        for record in records:
            self._tracker.done((record.topic, record.partition), record.offset)
        async with self._commit_lock:
            await self._commit(self._tracker.committable())

    async def _commit(self, positions: dict[tuple[str, int], int]) -> None:
        """Commit explicit next offsets; a commit refused by a rebalance is logged, not raised."""
        if not positions:
            return
        offsets = {
            TopicPartition(t, p): OffsetAndMetadata(o, "") for (t, p), o in positions.items()
        }
        try:
            await _started(self._client).commit(offsets)
        except (CommitFailedError, IllegalStateError) as exc:
            # The group moved on: the new owner resumes from the last successful commit.
            log.warning(
                "offset commit refused, records will be read again", extra={"error": repr(exc)}
            )
            return
        self._tracker.committed(positions)

    async def on_partitions_revoked(self, revoked: Iterable[TopicPartition]) -> None:
        tps = [_tp(tp) for tp in revoked]
        async with self._commit_lock:
            try:
                await self._commit(self._tracker.committable(tps))
            except KafkaError as exc:
                log.warning("commit on revocation failed", extra={"error": repr(exc)})
            finally:
                self._tracker.revoke(tps)

    async def on_partitions_assigned(self, assigned: Iterable[TopicPartition]) -> None:
        client = _started(self._client)
        for tp in assigned:
            try:
                # The committed (or reset) position, so lag is known before the first fetch.
                self._tracker.assigned(_tp(tp), await client.position(tp))
            except KafkaError as exc:
                log.warning("no position for an assigned partition", extra={"error": repr(exc)})

    async def lag(self) -> int:
        """Records of the assigned partitions that this group has not committed yet."""
        client = _started(self._client)
        assigned = list(client.assignment())
        highwater = {tp: client.highwater(tp) for tp in assigned}
        unknown = [tp for tp, hw in highwater.items() if hw is None]
        if unknown:  # nothing fetched from them yet
            highwater.update(await client.end_offsets(unknown))
        return self._tracker.lag({_tp(tp): hw for tp, hw in highwater.items() if hw is not None})
