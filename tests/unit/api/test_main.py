"""API process wiring: ``build`` ties /readyz to the sink; ``serve`` runs and stops uvicorn."""

from __future__ import annotations

import asyncio
import signal
import socket

import httpx
import pytest

from services.api.main import build
from services.runtime.http import serve
from services.api.quality_worker import QualityWorker
from services.api.sink import Sink
from services.runtime.memory_bus import MemoryBus
from services.runtime.settings import Settings
from services.runtime.store import Store


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_main_build_ties_readiness_to_the_sink_and_quality_check(
    store: Store, settings: Settings
) -> None:
    app, workers = build(settings, MemoryBus(), store)
    assert isinstance(workers.sink, Sink) and isinstance(workers.quality, QualityWorker)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://vigie.test") as http:
        assert (await http.get("/readyz")).status_code == 503
        task = asyncio.create_task(workers.run())
        async with asyncio.timeout(5):
            while not (workers.sink.ready and workers.quality.ready):
                await asyncio.sleep(0.01)
        assert (await http.get("/readyz")).status_code == 200
        workers.quality.stop()
        async with asyncio.timeout(5):
            while workers.quality.ready:
                await asyncio.sleep(0.01)
        assert (await http.get("/readyz")).status_code == 503  # the sink alone is not enough
        workers.stop()
        await asyncio.wait_for(task, 5)
        assert not workers.sink.ready


async def test_main_serve_answers_until_stopped_and_leaves_signals_alone(
    store: Store, settings: Settings
) -> None:
    app, _ = build(settings, MemoryBus(), store)
    port = free_port()
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    stopping = asyncio.Event()
    server = asyncio.create_task(serve(app, f"127.0.0.1:{port}", stopping=stopping))
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            async with asyncio.timeout(10):
                while True:
                    try:
                        resp = await http.get("/healthz")
                        break
                    except httpx.ConnectError:
                        await asyncio.sleep(0.05)
            assert resp.json() == {"status": "ok"}
            assert (await http.get("/api/v1/alerts")).status_code == 401
        assert {sig: signal.getsignal(sig) for sig in handlers} == handlers
    finally:
        stopping.set()
        await asyncio.wait_for(server, 10)
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))  # the listening socket was closed


async def test_main_serve_fails_loudly_on_a_busy_or_bad_address(
    store: Store, settings: Settings
) -> None:
    app, _ = build(settings, MemoryBus(), store)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        address = f"127.0.0.1:{busy.getsockname()[1]}"
        with pytest.raises(OSError):
            await serve(app, address, stopping=asyncio.Event())
    with pytest.raises(ValueError, match="host:port"):
        await serve(app, "localhost", stopping=asyncio.Event())
