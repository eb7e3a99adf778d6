"""Threat intelligence on the bus: ``ti.indicators`` records, and the correlator's index current.

``publish(bus, indicators)`` writes one record per indicator, key ``Indicator.key``, value the
encoded ``Indicator``; it returns once the bus acknowledged them. A revoked indicator is
published like any other and removes its key from every index.

``IntelFeed`` (a Service, beside the correlator in both run modes) reads ``ti.indicators`` into
an ``IndicatorIndex``. Its consumer group is unique to the process (``vigie-intel-<id>``), so it
reads the topic from the beginning at every start and every correlator replica holds every
indicator whatever the partitions; it commits after applying (the memory bus trims on commits;
on Kafka the offsets of these one-off groups lapse with the broker's offsets retention).
A record is applied in order: an indicator replaces its key, a revoked one or an empty value
(a Kafka tombstone) removes the key; a record that does not decode, or whose key is not its
indicator's key, becomes a DeadLetter on ``dlq.correlator``.
Expiry: matching is by event time (``ioc``); to bound memory, every ``expire_every`` seconds the
feed drops indicators that expired more than ``EXPIRED_KEPT`` ago by its clock (the grace keeps
them for late events).
Readiness: once ``after()`` holds (the configured files are published), the feed publishes a
marker record (key ``SYNC_KEY``, value its group); ``ready`` turns true when it has read its own
marker back and its lag is then zero, so the index holds everything published before. Reading
the marker proves the consumer has its partitions (a lag of zero alone could mean none are
assigned yet). The marker key sorts outside every indicator key; compaction keeps one marker.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from schemas import topics
from schemas.codec import DecodeError, decode, encode
from schemas.dlq import DeadLetter
from schemas.ids import derived_id, new_id
from schemas.indicator import Indicator
from services.correlator.ioc import IndicatorIndex
from services.runtime import metrics
from services.runtime.bus import Bus, Record

log = logging.getLogger(__name__)

STAGE = "correlator"
EXPIRED_KEPT = timedelta(days=1)
BATCH = 500
SYNC_KEY = "~sync"  # no indicator key starts with "~" (a tenant id or "*" comes first)


def utc_now() -> datetime:
    return datetime.now(UTC)


async def publish(bus: Bus, indicators: Iterable[Indicator]) -> int:
    """Publish indicators to ``ti.indicators`` in batches; how many."""
    records = [(topics.topic_of(i), i.key, encode(i)) for i in indicators]
    for start in range(0, len(records), BATCH):
        await bus.publish(records[start : start + BATCH])
    return len(records)


class IntelFeed:
    stage = "correlator-intel"

    def __init__(
        self,
        bus: Bus,
        index: IndicatorIndex,
        *,
        after: Callable[[], bool] = lambda: True,
        clock: Callable[[], datetime] = utc_now,
        expire_every: float = 300.0,
    ) -> None:
        self.ready = False
        self._bus = bus
        self._index = index
        self._after = after
        self._clock = clock
        self._expire_every = expire_every
        self._expired_at = float("-inf")  # the first loop drops what expired while stopped
        self._group = f"vigie-intel-{new_id()}"
        self._synced = False  # read back its own marker
        self._stopping = asyncio.Event()
        self._records = metrics.counter(
            "vigie_correlator_intel_records_total", "ti.indicators records applied", ["outcome"]
        )
        self._size = metrics.gauge(
            "vigie_correlator_intel_indicators", "Indicators held by the correlator"
        )

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        consumer = self._bus.consumer([topics.TI_INDICATORS], self._group)
        await consumer.start()
        marked = False
        try:
            while not self._stopping.is_set():
                records = await consumer.poll(BATCH, timeout=0.5)
                dead = [d for r in records if (d := self.apply(r)) is not None]
                if dead:
                    await self._bus.publish(
                        [(topics.topic_of(d), d.tenant, encode(d)) for d in dead]
                    )
                if records:
                    await consumer.commit(records)
                if not marked and self._after():
                    # After the commit: a full memory topic waits for this consumer's commits.
                    marker = (topics.TI_INDICATORS, SYNC_KEY, self._group.encode())
                    await self._bus.publish([marker])
                    marked = True
                if self._synced and not self.ready and await consumer.lag() == 0:
                    self.ready = True
                    log.info("threat intelligence loaded", extra={"indicators": len(self._index)})
                self._expire()
        finally:
            self.ready = False
            await consumer.stop()

    def apply(self, record: Record) -> DeadLetter | None:
        """Bring one record into the index; the dead letter of a record that cannot be applied."""
        if record.key == SYNC_KEY:
            self._synced = self._synced or record.value == self._group.encode()
            return None
        if not record.value:
            self._index.remove(record.key)
            self._records.labels("removed").inc()
            return None
        try:
            indicator = decode(record.value, Indicator)
        except DecodeError as exc:
            return self._dead_letter(record, f"undecodable: {exc}")
        if indicator.key != record.key:
            return self._dead_letter(
                record, f"record key is not the indicator key {indicator.key!r}"
            )
        self._index.put(indicator)
        self._records.labels("revoked" if indicator.revoked else "applied").inc()
        self._size.set(len(self._index))
        return None

    def _expire(self) -> None:
        loop_time = asyncio.get_running_loop().time()
        if loop_time - self._expired_at < self._expire_every:
            return
        self._expired_at = loop_time
        dropped = self._index.drop_expired(self._clock() - EXPIRED_KEPT)
        if dropped:
            log.info("expired indicators dropped", extra={"dropped": dropped})
            self._size.set(len(self._index))

    def _dead_letter(self, record: Record, error: str) -> DeadLetter:
        self._records.labels("dead_letter").inc()
        log.warning("indicator record refused", extra={"key": record.key[:200], "error": error})
        where = f"{record.topic}/{record.partition}/{record.offset}"
        return DeadLetter(
            id=derived_id(STAGE, where),
            tenant=record.key.partition(":")[0] or "*",  # the key's scope; "*": global
            stage=STAGE,
            source_topic=record.topic,
            record_id=where,
            error=error[:2000],
            payload=record.value.decode("utf-8", errors="replace"),
            at=self._clock(),
        )
