"""Distributed mode: one service per process on the configured bus (Kafka in production).

Every process serves /healthz, /readyz and /metrics; the API process serves them beside the API,
the others on their ops address. Only the API process opens the store (it runs the sink), since a
chDB data folder belongs to one process.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from contextlib import AsyncExitStack, suppress

import httpx
from fastapi import FastAPI

from services.runtime.bus import Bus, open_bus
from services.runtime.ops import ops_app
from services.runtime.service import Service
from services.runtime.settings import Settings
from services.runtime.store import Store

log = logging.getLogger(__name__)

SERVICES = ("collector", "normalizer", "correlator", "responder", "api")
DEFAULT_OPS_PORTS = {"collector": 9101, "normalizer": 9102, "correlator": 9103, "responder": 9104}


async def _build(
    name: str, settings: Settings, bus: Bus, stack: AsyncExitStack
) -> tuple[Service, FastAPI | None]:
    if name == "collector":
        from services.collector.main import build as build_collector

        return build_collector(settings, bus), None
    if name == "normalizer":
        from services.normalizer.main import build as build_normalizer

        return build_normalizer(settings, bus), None
    if name == "correlator":
        # faust on Kafka, a Worker otherwise; both with the threat-intelligence feed.
        from services.correlator.main import build_service as build_correlator

        return build_correlator(settings, bus), None
    if name == "responder":
        from services.responder.main import build as build_responder

        client = await stack.enter_async_context(httpx.AsyncClient())
        return build_responder(settings, bus, client=client), None
    from services.api.main import build as build_api

    store = Store(settings.store_dsn)
    await store.start()
    stack.push_async_callback(store.close)
    app, workers = build_api(settings, bus, store)
    return workers, app


async def run_service(name: str, settings: Settings, *, ops_listen: str | None = None) -> None:
    if name not in SERVICES:
        raise ValueError(f"unknown service {name!r}; choose one of {', '.join(SERVICES)}")
    from services.runtime.http import serve

    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stopping.set)

    bus = open_bus(settings.bus)
    await bus.start()
    async with AsyncExitStack() as stack:
        stack.push_async_callback(bus.stop)
        service, api_app = await _build(name, settings, bus, stack)
        ready: Callable[[], bool] = lambda: service.ready  # noqa: E731
        http_app = api_app or ops_app(ready)
        listen = settings.api.listen if api_app else (
            ops_listen or settings.ops.listen or f"127.0.0.1:{DEFAULT_OPS_PORTS[name]}"
        )
        http_stop = asyncio.Event()
        tasks = [
            asyncio.create_task(service.run(), name=name),
            asyncio.create_task(serve(http_app, listen, stopping=http_stop), name="http"),
        ]
        log.info("service started", extra={"service": name, "http": listen, "bus": settings.bus.url})
        watch = asyncio.create_task(stopping.wait())
        done, _ = await asyncio.wait([watch, *tasks], return_when=asyncio.FIRST_COMPLETED)
        service.stop()
        http_stop.set()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        watch.cancel()
        errors = [r for r in results if isinstance(r, BaseException)]
        if errors and not stopping.is_set():
            raise errors[0]
