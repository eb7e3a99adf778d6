"""Wiring of the API process: the HTTP app, the sink and the log-quality check over one store,
and serving the app.

``build`` expects a started ``Store`` (its DDL applied) and returns the app with the process's
background work as one Service (``ApiWorkers``: the sink and the ``QualityWorker``), which it
leaves to the caller to run and stop; /readyz answers from it. ``serve`` runs uvicorn in the
caller's event loop without touching signal handlers: the runner owns SIGINT/SIGTERM and sets
``stopping`` instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator

import uvicorn
from fastapi import FastAPI

from services.api.app import create_app
from services.api.quality_worker import QualityWorker
from services.api.sink import Sink
from services.runtime.bus import Bus
from services.runtime.settings import Settings
from services.runtime.store import Store


class ApiWorkers:
    """The sink and the log-quality check, run, watched and stopped as one Service."""

    stage = "api"

    def __init__(self, sink: Sink, quality: QualityWorker) -> None:
        self.sink = sink
        self.quality = quality

    @property
    def ready(self) -> bool:
        return self.sink.ready and self.quality.ready

    async def run(self) -> None:
        # Either one failing stops the other, and the runner sees that first error itself.
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self.sink.run(), name="sink")
                group.create_task(self.quality.run(), name="quality")
        except ExceptionGroup as failed:
            raise failed.exceptions[0] from failed

    def stop(self) -> None:
        self.sink.stop()
        self.quality.stop()


def build(settings: Settings, bus: Bus, store: Store) -> tuple[FastAPI, ApiWorkers]:
    workers = ApiWorkers(
        Sink(bus, store, settings=settings), QualityWorker(bus, store, settings=settings)
    )
    return create_app(settings, store, ready=lambda: workers.ready), workers


class _EmbeddedServer(uvicorn.Server):
    # uvicorn 0.55 has no install_signal_handlers hook: Server.serve wraps itself in
    # capture_signals(), which replaces the process's handlers and re-raises captured signals.
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def listen_socket(listen: str) -> socket.socket:
    """A listening socket for ``host:port`` (``[v6]:port`` too); bind errors surface here."""
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"listen address {listen!r} must be host:port")
    host = host.strip("[]") or "0.0.0.0"
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, int(port)), family=family, backlog=2048)


async def serve(app: FastAPI, listen: str | socket.socket, *, stopping: asyncio.Event) -> None:
    """Serve ``app`` on ``listen`` (or a socket from ``listen_socket``, which it then owns)
    until ``stopping`` is set, then finish open requests."""
    sock = listen_socket(listen) if isinstance(listen, str) else listen
    config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="off")
    server = _EmbeddedServer(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    stop = asyncio.create_task(stopping.wait())
    try:
        await asyncio.wait([task, stop], return_when=asyncio.FIRST_COMPLETED)
        server.should_exit = True
        await task
        if not stopping.is_set():
            raise RuntimeError(f"the HTTP server on {listen} stopped on its own")
    finally:
        stop.cancel()
        task.cancel()
        sock.close()
