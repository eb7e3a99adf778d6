"""Embedded mode: every service in one process on a MemoryBus and a chDB store.

Consumers start before the collector opens its listeners, so no record is published before the
groups that must read it exist. Not durable: records in flight are lost if the process dies.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from contextlib import suppress

import httpx

from services.api import main as api_main
from services.collector import main as collector_main
from services.collector.main import Collector
from services.correlator import main as correlator_main
from services.normalizer import main as normalizer_main
from services.responder import main as responder_main
from services.runtime.http import serve
from services.runtime.memory_bus import MemoryBus
from services.runtime.service import Service
from services.runtime.settings import Settings
from services.runtime.store import Store

log = logging.getLogger(__name__)

READY_TIMEOUT_S = 60.0
DRAIN_TIMEOUT_S = 10.0


async def _wait_ready(services: list[Service], tasks: list[asyncio.Task[None]]) -> None:
    async with asyncio.timeout(READY_TIMEOUT_S):
        while not all(s.ready for s in services):
            failed = [t for t in tasks if t.done()]
            if failed:
                failed[0].result()  # re-raise the start-up error of that service
                raise RuntimeError("a service stopped during start-up")
            await asyncio.sleep(0.05)


async def _drain(bus: MemoryBus, topics: list[str]) -> None:
    """Give in-flight records a bounded time to reach the store before stopping."""
    with suppress(TimeoutError):
        async with asyncio.timeout(DRAIN_TIMEOUT_S):
            while any(bus.depth(t) for t in topics):
                await asyncio.sleep(0.1)


async def run_embedded(
    settings: Settings,
    *,
    on_ready: Callable[[Collector], None] | None = None,
    stopping: asyncio.Event | None = None,
) -> None:
    stopping = stopping or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stopping.set)

    bus = MemoryBus(settings.bus)
    store = Store(settings.store_dsn)
    await store.start()
    async with httpx.AsyncClient() as client:
        app, api_workers = api_main.build(settings, bus, store)
        pipeline: list[Service] = [
            normalizer_main.build(settings, bus),
            correlator_main.build_service(settings, bus),
            responder_main.build(settings, bus, client=client),
            api_workers,
        ]
        collector = collector_main.build(settings, bus)
        tasks = [asyncio.create_task(s.run(), name=s.stage) for s in pipeline]
        try:
            await _wait_ready(pipeline, tasks)
            tasks.append(asyncio.create_task(collector.run(), name="collector"))
            api_stop = asyncio.Event()
            tasks.append(
                asyncio.create_task(serve(app, settings.api.listen, stopping=api_stop))
            )
            await _wait_ready([collector], tasks)
            log.info("vigie embedded ready", extra={"api": settings.api.listen})
            if on_ready:
                on_ready(collector)
            watch = asyncio.create_task(stopping.wait())
            done, _ = await asyncio.wait([watch, *tasks], return_when=asyncio.FIRST_COMPLETED)
            watch.cancel()
            for task in done:
                if task is not watch and task.exception():
                    log.error("service failed", extra={"service": task.get_name()})
                    raise task.exception()  # type: ignore[misc]
            collector.stop()
            await _drain(bus, ["raw.events", "ecs.events", "alerts", "actions"])
            api_stop.set()
        finally:
            for service in (collector, *pipeline):
                service.stop()
            await asyncio.gather(*tasks, return_exceptions=True)
            await store.close()
