"""The Bus port: publish records and consume them in groups with explicit commits.

Delivery is at least once. ``publish`` returns only when every record is acknowledged;
``Consumer.commit`` records what was handled and commits the contiguous prefix of each partition.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from services.runtime.settings import BusSettings


@dataclass(frozen=True, slots=True)
class Record:
    topic: str
    key: str
    value: bytes
    partition: int = 0
    offset: int = -1


Outgoing = tuple[str, str, bytes]  # topic, key, value


class Consumer(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def poll(self, max_records: int = 500, timeout: float = 1.0) -> list[Record]: ...
    async def commit(self, records: Sequence[Record]) -> None: ...
    async def lag(self) -> int: ...


class Bus(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def publish(self, records: Sequence[Outgoing]) -> None: ...
    def consumer(self, topics: Sequence[str], group: str) -> Consumer: ...


# Lazy "module:Class" so the embedded mode never imports aiokafka.
BUSES: dict[str, str] = {
    "memory": "services.runtime.memory_bus:MemoryBus",
    "kafka": "services.runtime.kafka_bus:KafkaBus",
}


def open_bus(settings: BusSettings) -> Bus:
    scheme = settings.url.split("://", 1)[0]
    if scheme not in BUSES:
        raise ValueError(f"unknown bus scheme {scheme!r} in {settings.url!r}; use one of {sorted(BUSES)}")
    module, _, name = BUSES[scheme].partition(":")
    bus_class = getattr(importlib.import_module(module), name)
    return bus_class(settings)
