"""Sink: every stored topic → its ClickHouse table, at least once, deduplicated by the tables.

One consumer (group ``sink``) reads ``raw.events``, ``ecs.events``, ``alerts``, ``actions`` and
every ``dlq.<stage>``. A batch (up to ``BATCH_RECORDS`` records or ``BATCH_SECONDS`` after its
first record) becomes one ``store.insert`` per table; the offsets are committed only after every
insert returned. A failed insert is retried with a growing pause (uncommitted records would only
come back after a restart); a redelivered record collapses on its id (ReplacingMergeTree).

A record that cannot be decoded or turned into a row becomes a ``dead_letters`` row with stage
``sink``, the reason and the value as text; it never holds up the records behind it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from schemas import topics
from services.api.rows import Row, Rows, dead_letter_row
from services.runtime import metrics
from services.runtime.bus import Bus, Consumer, Record
from services.runtime.settings import Settings
from services.runtime.store import Store
from services.runtime.worker import dead_letter

log = logging.getLogger(__name__)

SINK_TOPICS = [topics.RAW_EVENTS, topics.ECS_EVENTS, topics.ALERTS, topics.ACTIONS] + [
    topics.dlq(stage) for stage in topics.STAGES
]
BATCH_RECORDS = 2000
BATCH_SECONDS = 0.5
RETRY_FIRST_S = 0.5
RETRY_MAX_S = 30.0


class Sink:
    stage = "sink"

    def __init__(self, bus: Bus, store: Store, *, settings: Settings) -> None:
        self._bus = bus
        self._store = store
        retention = {t.id: t.retention_days for t in settings.tenants}
        self._rows = Rows(retention, now=lambda: datetime.now(UTC))
        self._stopping = asyncio.Event()
        self.ready = False
        self._inserted = metrics.counter(
            "vigie_sink_rows_total", "Rows written to the store by the sink", ["table"]
        )
        self._failures = metrics.counter(
            "vigie_sink_failures_total", "Records the sink could not store and dead-lettered"
        )
        self._retries = metrics.counter(
            "vigie_sink_insert_retries_total", "Store inserts that failed and were retried"
        )
        self._lag = metrics.gauge("vigie_sink_consumer_lag", "Records not yet stored by the sink")

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        consumer = self._bus.consumer(SINK_TOPICS, self.stage)
        await consumer.start()
        self.ready = True
        try:
            while not self._stopping.is_set():
                records = await self._gather(consumer)
                if records:
                    if not await self._store_batch(self._tables(records)):
                        return  # stopped while the store was failing: left uncommitted
                    await consumer.commit(records)
                self._lag.set(await consumer.lag())
        finally:
            self.ready = False
            await consumer.stop()

    async def _gather(self, consumer: Consumer) -> list[Record]:
        """One batch: what arrives within BATCH_SECONDS of its first record, up to BATCH_RECORDS."""
        batch = await consumer.poll(BATCH_RECORDS, timeout=BATCH_SECONDS)
        if not batch:
            return batch
        loop = asyncio.get_running_loop()
        deadline = loop.time() + BATCH_SECONDS
        while len(batch) < BATCH_RECORDS and not self._stopping.is_set():
            left = deadline - loop.time()
            if left <= 0:
                break
            batch += await consumer.poll(BATCH_RECORDS - len(batch), timeout=left)
        return batch

    def _tables(self, records: Sequence[Record]) -> dict[str, list[Row]]:
        """The rows of a batch by table; records that fail become sink dead letters."""
        out: dict[str, list[Row]] = {}
        for record in records:
            try:
                table, row = self._rows.of(record.topic, record.value)
            except Exception as exc:  # a bad record must not block the stream: it is kept apart
                self._failures.inc()
                log.warning("record not stored", extra={"topic": record.topic, "error": repr(exc)})
                table, row = "dead_letters", dead_letter_row(dead_letter("sink", record, None, f"{type(exc).__name__}: {exc}"))
            out.setdefault(table, []).append(row)
        return out

    async def _store_batch(self, tables: dict[str, list[Row]]) -> bool:
        """Insert every table's rows; False when asked to stop before all of them were stored."""
        pending = dict(tables)
        pause = RETRY_FIRST_S
        while pending:
            table, rows = next(iter(pending.items()))
            try:
                await self._store.insert(table, rows)
            except Exception as exc:  # the store is down or refusing: keep the batch, retry
                self._retries.inc()
                log.error("insert failed", extra={"table": table, "error": repr(exc)})
                if await self._stopped_within(pause):
                    return False
                pause = min(pause * 2, RETRY_MAX_S)
                continue
            self._inserted.labels(table).inc(len(rows))
            del pending[table]
        return True

    async def _stopped_within(self, seconds: float) -> bool:
        try:
            await asyncio.wait_for(self._stopping.wait(), seconds)
        except TimeoutError:
            return False
        return True
