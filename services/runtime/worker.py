"""Worker: consume → decode → handle → publish outputs → dead-letter failures → commit.

The order is the at-least-once contract: the input offset is committed only after every output
and dead letter of the batch has been acknowledged by the bus.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from schemas import topics
from schemas.codec import DecodeError, decode, encode
from schemas.dlq import DeadLetter
from schemas.ids import derived_id
from services.runtime import metrics
from services.runtime.bus import Bus, Outgoing, Record

log = logging.getLogger(__name__)

Handler = Callable[[Any], Iterable[BaseModel] | Awaitable[Iterable[BaseModel]]]


class Worker:
    def __init__(
        self,
        stage: str,
        bus: Bus,
        *,
        sources: Sequence[str],
        decode_as: type[BaseModel],
        handle: Handler,
        group: str | None = None,
        batch_size: int = 500,
    ) -> None:
        self.stage = stage
        self._bus = bus
        self._sources = list(sources)
        self._model = decode_as
        self._handle = handle
        self._group = group or stage
        self._batch_size = batch_size
        self._stopping = asyncio.Event()
        self.ready = False
        self._records = metrics.counter(
            f"vigie_{stage}_records_total", f"Records consumed by the {stage}", ["outcome"]
        )
        self._outputs = metrics.counter(
            f"vigie_{stage}_outputs_total", f"Records published by the {stage}", ["topic"]
        )
        self._seconds = metrics.histogram(
            f"vigie_{stage}_batch_seconds", f"Time to handle one batch in the {stage}"
        )
        self._lag = metrics.gauge(f"vigie_{stage}_consumer_lag", f"Records not yet read by the {stage}")

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        consumer = self._bus.consumer(self._sources, self._group)
        await consumer.start()
        self.ready = True
        try:
            while not self._stopping.is_set():
                records = await consumer.poll(self._batch_size, timeout=0.5)
                if records:
                    started = time.perf_counter()
                    await self._bus.publish(await self.process(records))
                    await consumer.commit(records)
                    self._seconds.observe(time.perf_counter() - started)
                self._lag.set(await consumer.lag())
        finally:
            self.ready = False
            await consumer.stop()

    async def process(self, records: Sequence[Record]) -> list[Outgoing]:
        """Everything one batch produces, dead letters included, in input order."""
        out: list[Outgoing] = []
        for record in records:
            for model in await self._outputs_of(record):
                topic = topics.topic_of(model)
                out.append((topic, model.tenant, encode(model)))  # type: ignore[attr-defined]
                self._outputs.labels(topic).inc()
        return out

    async def _outputs_of(self, record: Record) -> list[BaseModel]:
        try:
            message = decode(record.value, self._model)
        except DecodeError as exc:
            self._records.labels("dead_letter").inc()
            return [dead_letter(self.stage, record, None, f"undecodable: {exc}")]
        try:
            result = self._handle(message)
            if inspect.isawaitable(result):
                result = await result
            outputs = list(result)
        except Exception as exc:  # a bad record must not stop the stream: it is dead-lettered
            log.warning("handler failed", extra={"stage": self.stage, "error": repr(exc)})
            self._records.labels("dead_letter").inc()
            return [dead_letter(self.stage, record, message, f"{type(exc).__name__}: {exc}")]
        self._records.labels("ok").inc()
        return outputs


def dead_letter(stage: str, record: Record, message: BaseModel | None, error: str) -> DeadLetter:
    """The dead letter of one input record: its id derives from stage and input, so a
    redelivered failure collapses into the same row."""
    record_id = getattr(message, "id", None) or f"{record.topic}/{record.partition}/{record.offset}"
    return DeadLetter(
        id=derived_id(stage, str(record_id)),
        tenant=getattr(message, "tenant", None) or record.key or "unknown",
        stage=stage,
        source_topic=record.topic,
        record_id=str(record_id),
        source=getattr(message, "source", None),
        error=error[:2000],
        payload=record.value.decode("utf-8", errors="replace"),
        at=datetime.now(UTC),
    )
