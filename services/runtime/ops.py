"""/metrics, /healthz and /readyz: the same three endpoints on every service."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest


def ops_router(ready: Callable[[], bool]) -> APIRouter:
    router = APIRouter(tags=["ops"])

    @router.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    def readyz(response: Response) -> dict[str, str]:
        if ready():
            return {"status": "ready"}
        response.status_code = 503
        return {"status": "starting"}

    @router.get("/metrics")
    def prometheus() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


def ops_app(ready: Callable[[], bool]) -> FastAPI:
    app = FastAPI(title="vigie ops", docs_url=None, redoc_url=None)
    app.include_router(ops_router(ready))
    return app
