"""Kafka mode of the correlator: a faust-streaming agent over ``ecs.events`` → ``alerts``.

The same ``Correlator`` as the embedded Worker (``correlator_for``; with ``intel``, the one that
also matches threat intelligence, see ``main.build_service``), with its state in a faust
Table (``correlator-state``, in-memory store, rebuilt from its compacted changelog topic
``<app id>-correlator-state-changelog`` on every start). No windowed tables and no ``group_by``:
every topic is keyed by tenant, so a tenant's events and its state share one partition number,
and the changelog is created with ``settings.bus.partitions`` partitions, as the source topics
(KafkaBus creates those; faust does not). A source topic with another count stops the service.

Delivery (at least once). Each value is decoded as ``EcsEvent`` and fed; an undecodable value or
an event the correlator rejects becomes a DeadLetter on ``dlq.correlator``. Events are handled in
batches: up to ``BATCH_MAX`` events, cut short whenever no further event is buffered, so a batch
never waits for input. State writes stay in ``TableState`` (reads see them) until the end of the
batch, which writes each changed key to the table and its changelog once: a key written by every
event of a burst costs one changelog record, not one per event. An event is acked, in arrival
order, only once the broker has acknowledged (``acks=all``) its batch's changelog writes and every
alert or dead letter of that batch, and faust commits acked offsets only. A publish that fails stops
the service with the error and acks nothing after it. After a crash the uncommitted events come
back; the core finds their ids in the recovered state and re-emits the alert they belong to
unchanged, so nothing is counted twice and a lost alert is published again.
Why not faust's own acking (faust-streaming 0.15.3): a stream acks each event in the ``finally``
of its iterator, so also when the handler raised; ``topic.send`` returns once the record is
handed to aiokafka, table writes wait in faust's producer buffer (``send_soon``), and the
periodic commit (``Consumer._commit_offsets``) only calls ``producer.flush()``, whose buffer
flush gives up after 0.1 s without progress; attachments (``stream_publish_on_commit``) send
only at commit time. Hence ``noack`` streams, and acks from one task that awaits the futures.

Metrics (process-wide): ``vigie_correlator_records_total{outcome}``,
``vigie_correlator_outputs_total{topic}``, ``vigie_correlator_consumer_lag`` (records of the
assigned source partitions not processed yet), and the core counters of ``main``. ``ready`` is
true once partitions are assigned and the table is recovered, and false during a rebalance.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, cast

import faust
import orjson
from faust.exceptions import FaustError
from faust.streams import current_event
from faust.tables.manager import TableManager
from faust.types import ChannelT, EventT, StreamT
from faust.types.tuples import FutureMessage
from pydantic import BaseModel

from schemas import topics
from schemas.codec import DecodeError, decode, encode
from schemas.dlq import DeadLetter
from schemas.ecs import EcsEvent
from services.correlator.ioc import IndicatorIndex
from services.correlator.main import _exporting, correlator_for
from services.correlator.state import Value
from services.runtime import metrics
from services.runtime.bus import Record
from services.runtime.kafka_bus import bootstrap_servers
from services.runtime.settings import Settings
from services.runtime.worker import dead_letter

log = logging.getLogger(__name__)

STAGE = "correlator"
APP_ID = "vigie-correlator"
TABLE = "correlator-state"
LAG_INTERVAL_S = 5.0
WATCH_INTERVAL_S = 0.2
SESSION_TIMEOUT_S = 10.0
BATCH_MAX = 500  # events fed before their state writes are flushed
MAX_IN_FLIGHT = 8  # batches handled but not yet acked; the agent waits beyond this


@dataclass(frozen=True, slots=True)
class CorrelatorTopics:
    """Where the agent reads and writes (tests pass names of their own)."""

    source: str = topics.ECS_EVENTS
    alerts: str = topics.ALERTS
    dead_letters: str = topics.dlq(STAGE)


class ChangelogTable(faust.Table):
    """A faust Table that remembers each key's changelog partition and its unconfirmed writes."""

    logger = logging.getLogger("faust.tables.changelog")  # under "faust", as the base class

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.partition_of: dict[bytes, int] = {}
        self.unconfirmed: list[FutureMessage] = []

    def send_changelog(self, partition: int | None, key: Any, value: Any, *args: Any,
                       **kwargs: Any) -> FutureMessage:  # fmt: skip
        sent = super().send_changelog(partition, key, value, *args, **kwargs)
        self._place(key, value, sent.message.partition)
        self.unconfirmed.append(sent)
        return sent

    async def on_changelog_event(self, event: EventT) -> None:
        await super().on_changelog_event(event)
        self._place(cast(bytes, event.key), event.message.value, event.message.partition)

    def write(self, partition: int, key: bytes, value: bytes | None) -> None:
        """Set ``key`` (delete it when ``value`` is None) with its changelog record in ``partition``.

        The partition is explicit: faust's own ``__setitem__`` takes it from the event being
        processed, and a batch is written after its events.
        """
        if value is not None:
            self.data[key] = value
            self.send_changelog(partition, key, value)
        elif key in self.data:
            del self.data[key]
            self.send_changelog(partition, key, None, value_serializer="raw")

    def take_unconfirmed(self) -> list[FutureMessage]:
        sent, self.unconfirmed = self.unconfirmed, []
        return sent

    def _place(self, key: bytes, value: Any, partition: int | None) -> None:
        if value is None or partition is None:
            self.partition_of.pop(key, None)
        else:
            self.partition_of[key] = partition


class TableState:
    """``StateStore`` over a ``ChangelogTable`` of orjson bytes, written behind, in the agent only.

    A key's changelog record goes to the partition of the event that wrote it, so ``keys`` lists
    only the keys of that partition: a sweep then deletes each key in its own changelog partition.
    Writes wait in ``_pending`` (what ``get`` and ``keys`` read first) until ``flush``, which
    writes each changed key once. Values are bytes, so no caller can mutate a stored value.
    """

    def __init__(self, table: ChangelogTable) -> None:
        self._table = table
        self._pending: dict[bytes, tuple[int, bytes | None]] = {}  # key → partition, value

    def get(self, key: str) -> Value | None:
        raw_key = key.encode()
        raw = self._pending[raw_key][1] if raw_key in self._pending else self._table.get(raw_key)
        return None if raw is None else orjson.loads(raw)

    def put(self, key: str, value: Value) -> None:
        self._pending[key.encode()] = (_partition_here(), orjson.dumps(value))

    def delete(self, key: str) -> None:
        raw_key = key.encode()
        if raw_key in self._pending or raw_key in self._table:
            self._pending[raw_key] = (_partition_here(), None)

    def keys(self) -> list[str]:
        here = _partition_here()
        found = dict.fromkeys(k for k, p in self._table.partition_of.items() if p == here)
        for k, (p, raw) in self._pending.items():
            if p == here and raw is not None:
                found[k] = None
            else:
                found.pop(k, None)
        return [k.decode() for k in found]

    def flush(self) -> list[FutureMessage]:
        """Write the pending changes to the table; the futures of their changelog records."""
        pending, self._pending = self._pending, {}
        for key, (partition, raw) in pending.items():
            self._table.write(partition, key, raw)
        return self._table.take_unconfirmed()


def _partition_here() -> int:
    event = current_event()
    if event is None:
        raise RuntimeError("TableState is usable only while the agent handles an event")
    return event.message.partition


def _app(settings: Settings, app_id: str) -> faust.App:
    brokers = [f"kafka://{host}" for host in bootstrap_servers(settings.bus.url).split(",")]
    return faust.App(
        app_id,
        broker=brokers,
        store="memory://",
        processing_guarantee="at_least_once",
        topic_partitions=settings.bus.partitions,
        topic_replication_factor=settings.bus.replication_factor,
        producer_acks=-1,
        # Fewer, larger produce requests for the records of a batch, for at most 5 ms of delay.
        producer_linger=0.005,
        consumer_auto_offset_reset="earliest",
        # The group drops a member that died after this long: the replacement of a killed
        # process waits for it before it gets any partition (faust's default is a minute).
        broker_session_timeout=SESSION_TIMEOUT_S,
        broker_heartbeat_interval=SESSION_TIMEOUT_S / 3,
        # Outputs are awaited by the acker below; attachments would delay them to commit time.
        stream_publish_on_commit=False,
        # An event whose output failed stays unacked for good: do not wait for it at stop.
        stream_wait_empty=False,
        web_enabled=False,
        Table=ChangelogTable,
    )


def _dead_letter(event: EventT, message: EcsEvent | None, error: str) -> DeadLetter:
    m = event.message
    key = event.key.decode("utf-8", errors="replace") if isinstance(event.key, bytes) else ""
    record = Record(m.topic, key, event.value or b"", m.partition, m.offset)
    return dead_letter(STAGE, record, message, error)


class FaustCorrelator:
    """The correlator as a Service on faust: ``run`` starts the faust App in the running loop."""

    stage = STAGE

    def __init__(
        self,
        settings: Settings,
        *,
        app_id: str = APP_ID,
        names: CorrelatorTopics = CorrelatorTopics(),
        intel: IndicatorIndex | None = None,
    ) -> None:
        self._names = names
        self._app = _app(settings, app_id)
        self._source = self._app.topic(names.source, key_serializer="raw", value_serializer="raw")
        # topic_of(model) → the faust topic that carries it here.
        self._outputs = {
            canonical: self._app.topic(name, key_serializer="raw", value_serializer="raw")
            for canonical, name in ((topics.ALERTS, names.alerts),
                                    (topics.dlq(STAGE), names.dead_letters))
        }  # fmt: skip
        self._table = cast(ChangelogTable, self._app.Table(
            TABLE, key_type=bytes, value_type=bytes, partitions=settings.bus.partitions
        ))  # fmt: skip
        self._state = TableState(self._table)
        self._feed = _exporting(correlator_for(settings, self._state, intel=intel))
        self._app.agent(self._source, name=f"{app_id}-correlate")(self._correlate)
        self._in_flight: asyncio.Queue[tuple[list[EventT], list[Awaitable[Any]]]] = asyncio.Queue(
            MAX_IN_FLIGHT
        )
        self._stopping = asyncio.Event()
        self._failure: BaseException | None = None
        # A plain attribute set by the event loop: /readyz runs in a worker thread, and touching
        # faust's lazily built services from there binds them to a loop that never runs.
        self.ready = False
        self._next_offset: dict[Any, int] = {}
        self._records = metrics.counter(
            f"vigie_{STAGE}_records_total", f"Records consumed by the {STAGE}", ["outcome"]
        )
        self._published = metrics.counter(
            f"vigie_{STAGE}_outputs_total", f"Records published by the {STAGE}", ["topic"]
        )
        self._lag = metrics.gauge(
            f"vigie_{STAGE}_consumer_lag", f"Records not yet read by the {STAGE}"
        )

    def stop(self) -> None:
        self.ready = False
        self._stopping.set()

    async def run(self) -> None:
        _quiet_faust()
        started = time.monotonic()
        acker = asyncio.create_task(self._ack_in_order(), name="correlator-acker")
        try:
            if await self._started():
                await self._watch(started)
        finally:
            self.ready = False
            await self._app.stop()
            acker.cancel()
            with suppress(asyncio.CancelledError):
                await acker
        if self._failure is not None:
            raise self._failure

    async def _started(self) -> bool:
        """Start the faust App; False when stopped first (a start may wait long for a broker)."""
        starting = asyncio.create_task(self._app.start())
        stopping = asyncio.create_task(self._stopping.wait())
        await asyncio.wait([starting, stopping], return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not starting.done():
            starting.cancel()
            with suppress(asyncio.CancelledError):
                await starting
            return False
        starting.result()  # raises what the start raised
        return True

    async def _watch(self, started: float) -> None:
        """Until stopped or failed: keep ``ready`` current, check partitions once, refresh lag."""
        checked, lag_at = False, 0.0
        while not self._stopping.is_set():
            if self._app.crashed:
                self._fail(self._app.crash_reason or RuntimeError("faust app crashed"))
                break
            recovered = cast(TableManager, self._app.tables).recovery.completed.is_set()
            self.ready = recovered and not self._app.rebalancing
            if self.ready and not checked:
                checked = True
                self._check_partitions()
                log.info(
                    "correlator ready", extra={"seconds": round(time.monotonic() - started, 2)}
                )
            if checked and time.monotonic() - lag_at >= LAG_INTERVAL_S:
                lag_at = time.monotonic()
                await self._refresh_lag()
            with suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), WATCH_INTERVAL_S)

    def _check_partitions(self) -> None:
        wanted = self._table.partitions
        found = self._app.consumer.topic_partitions(self._names.source)
        if found is not None and found != wanted:
            self._fail(FaustError(
                f"topic {self._names.source!r} has {found} partitions but the correlator state"
                f" needs {wanted} (bus.partitions): both must be equal"
            ))  # fmt: skip

    async def _refresh_lag(self) -> None:
        consumer = self._app.consumer
        assigned = [tp for tp in consumer.assignment() if tp.topic == self._names.source]
        if not assigned:
            return
        try:
            ends = await consumer.highwaters(*assigned)
            lag = 0
            for tp in assigned:
                done = self._next_offset.get(tp) or await consumer.position(tp) or 0
                lag += max(0, ends.get(tp, 0) - done)
        except Exception as exc:  # lag is a metric: a failed read must not stop the stream
            log.warning("consumer lag unavailable", extra={"error": repr(exc)})
            return
        self._lag.set(lag)

    async def _correlate(self, stream: StreamT) -> None:
        """The agent: handle events in batches, then queue each with what must be confirmed first.

        A batch ends at ``BATCH_MAX`` events or as soon as no further event is buffered.
        """
        source = cast(faust.Stream, stream).noack()
        batch: list[EventT] = []
        pending: list[Awaitable[Any]] = []
        async for event in source.events():
            try:
                pending += await self._handle(event)
                batch.append(event)
                if len(batch) < BATCH_MAX and not cast(ChannelT, source.channel).queue.empty():
                    continue
                pending += self._state.flush()
            except Exception as exc:  # a send or the table failed: this batch stays unacked
                self._fail(exc)
                return
            await self._in_flight.put((batch, pending))
            batch, pending = [], []

    async def _handle(self, event: EventT) -> list[Awaitable[Any]]:
        """Feed one event and send its outputs; the futures of those outputs."""
        outputs, outcome = self._outputs_of(event)
        pending: list[Awaitable[Any]] = []
        for model in outputs:
            pending.append(await self._publish(model))
        self._records.labels(outcome).inc()
        return pending

    def _outputs_of(self, event: EventT) -> tuple[list[BaseModel], str]:
        message: EcsEvent | None = None
        try:
            message = decode(event.value or b"", EcsEvent)
            return list(self._feed(message)), "ok"
        except FaustError:
            raise  # the table or topics are misconfigured: no event can be handled
        except DecodeError as exc:
            return [_dead_letter(event, None, f"undecodable: {exc}")], "dead_letter"
        except Exception as exc:  # a bad event must not stop the stream: it is dead-lettered
            log.warning("correlator failed on an event", extra={"error": repr(exc)})
            return [_dead_letter(event, message, f"{type(exc).__name__}: {exc}")], "dead_letter"

    async def _publish(self, model: BaseModel) -> Awaitable[Any]:
        """Hand one output to the producer; the returned future resolves on the broker's ack."""
        topic = self._outputs[topics.topic_of(model)]
        tenant: str = model.tenant  # type: ignore[attr-defined]
        delivery = await topic.send(key=tenant.encode(), value=encode(model))
        self._published.labels(topic.get_topic_name()).inc()
        return delivery

    async def _ack_in_order(self) -> None:
        """Ack each batch once its outputs are confirmed; a failed output stops the service."""
        while True:
            batch, pending = await self._in_flight.get()
            try:
                await asyncio.gather(*pending)
            except Exception as exc:  # an output may be lost: stop before acking past it
                self._fail(exc)
                return
            for event in batch:
                event.ack()
                self._next_offset[event.message.tp] = event.message.offset + 1

    def _fail(self, exc: BaseException) -> None:
        if self._failure is None:
            log.error("correlator stopping on a failure", extra={"error": repr(exc)})
            self._failure = exc
        self._stopping.set()


def _quiet_faust() -> None:
    """faust logs multi-line ANSI tables at INFO: keep its warnings unless we log debug."""
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        for name in ("faust", "mode"):
            logging.getLogger(name).setLevel(logging.WARNING)
