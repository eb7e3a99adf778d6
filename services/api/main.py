"""Wiring of the API process: the HTTP app, the sink and the log-quality check over one store.
The app also serves ``POST /api/v1/intel``, which publishes onto the bus given to ``build``.

``build`` expects a started ``Store`` (its DDL applied) and returns the app with the process's
background work as one Service (``ApiWorkers``: the sink and the ``QualityWorker``), which it
leaves to the caller to run and stop; /readyz answers from it. ``serve`` runs uvicorn in the
caller's event loop without touching signal handlers: the runner owns SIGINT/SIGTERM and sets
``stopping`` instead.
"""

from __future__ import annotations

import asyncio

from fastapi import FastAPI

from services.api.app import create_app
from services.api.quality_worker import QualityWorker
from services.api.routers import intel
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
    app = create_app(settings, store, ready=lambda: workers.ready)
    # POST /api/v1/intel publishes onto this process's bus (the embedded mode's in-memory one).
    app.state.bus = bus
    app.include_router(intel.router)
    return app, workers
