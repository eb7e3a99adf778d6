"""The HTTP API for client portals and SOC analysts, built by ``create_app`` (no module state).

Routes: ``/api/v1/alerts``, ``/api/v1/alerts/{id}``, ``/api/v1/actions``,
``/api/v1/events/{id}``, ``/api/v1/sources``, ``POST /api/v1/hunts`` (bearer API key,
tenant-scoped), and the ops endpoints ``/healthz``, ``/readyz``, ``/metrics`` (open, for probes
and Prometheus).
Every error is JSON ``{"error": code, "detail": ...}``.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI

from services.api import errors
from services.api.cursor import CursorCodec
from services.api.deps import KeyRing
from services.api.middleware import Observe
from services.api.routers import actions, alerts, events, hunts, sources
from services.runtime.ops import ops_router
from services.runtime.settings import Settings
from services.runtime.store import Store


def create_app(
    settings: Settings, store: Store, *, ready: Callable[[], bool] | None = None
) -> FastAPI:
    """The API over a started ``store``; ``ready`` answers /readyz (always ready when None)."""
    app = FastAPI(title="Vigie API", version="1", docs_url="/api/docs", redoc_url=None)
    app.state.settings = settings
    app.state.store = store
    app.state.keys = KeyRing(settings)
    app.state.cursors = CursorCodec.from_setting(settings.api.cursor_secret)
    errors.install(app)
    app.add_middleware(Observe)
    app.include_router(ops_router(ready or (lambda: True)))
    for module in (alerts, actions, events, sources, hunts):
        app.include_router(module.router)
    return app
