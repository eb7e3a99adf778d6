"""HTTP ingest: ``POST /ingest/v1/events[/{source}]`` → ``raw.events`` (body rules: ``ingest.py``).

Checks, in order; each refusal is counted in ``vigie_collector_refused_total{tenant,source,
reason}`` (one per request, or one per event for ``rate_limited``, ``busy``, ``publish_failed``
and ``invalid_item``):
1. ``Authorization: Bearer <token>`` decides tenant, source and format hint (``TokenTable``),
   before any byte of the body is read: missing or unknown → 401 (``WWW-Authenticate``); a
   token naming a source it does not open → 403. Unauthenticated refusals carry tenant "" and
   the listener's source name, never caller-chosen text.
2. At most ``http_max_concurrent`` requests are read at once; beyond → 503 with ``Retry-After``
   (``concurrency_limit``).
3. Body: over ``http_max_body_bytes`` on the wire or ``http_max_decoded_bytes`` once inflated →
   413; unsupported encoding or type → 415; bad gzip, not JSON / NDJSON → 400. Parsing runs on
   the event loop, so ``http_max_decoded_bytes`` also bounds how long one request holds it.
4. The tenant's rate limit must grant the batch's events, else 429 with ``Retry-After``.
5. Publishing must complete within ``http_publish_timeout_seconds`` (a full bus), else 503 with
   ``Retry-After``: nothing is buffered beyond the bus. Delivery is at least once: a 503 may
   follow a partial delivery, and a retry may then duplicate some events.
6. ``{"accepted": n, "rejected": [{"index": i, "reason": "..."}]}``: 200 when every item was
   accepted, 207 when some were rejected.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import FastAPI, Request, Response
from starlette.requests import ClientDisconnect

from schemas import topics
from schemas.codec import encode
from services.runtime.http import listen_socket, serve
from services.collector.ingest import Batch, BodyError, BodyReader, parse_batch
from services.collector.listeners.emitter import (
    ListenerSpec,
    count_refused,
    peer_address,
    record_counter,
)
from services.collector.ratelimit import RateLimits
from services.collector.tenancy import HttpBinding, TokenError, TokenTable
from services.runtime.bus import Bus
from services.runtime.settings import CollectorSettings

log = logging.getLogger(__name__)

BUSY_RETRY_AFTER_S = 1
BODY_STATUS = {
    "too_large": 413,
    "unsupported_encoding": 415,
    "unsupported_type": 415,
    "bad_encoding": 400,
    "not_json": 400,
}


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _reply(status: int, body: dict[str, Any], retry_after: float | None = None) -> Response:
    headers = {"Retry-After": str(max(1, math.ceil(retry_after)))} if retry_after else None
    return Response(orjson.dumps(body), status, headers, media_type="application/json")


class HttpIngest:
    """Runs each request through the checks above; FastAPI only routes to ``handle``."""

    def __init__(
        self,
        bus: Bus,
        tokens: TokenTable,
        settings: CollectorSettings,
        *,
        source: str,
        limits: RateLimits | None = None,
        now: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.source = source
        self._bus = bus
        self._tokens = tokens
        self._settings = settings
        self._limits = limits
        self._now = now
        self._reading = asyncio.Semaphore(settings.http_max_concurrent)

    async def handle(self, request: Request, source: str | None) -> Response:
        try:
            binding = self._tokens.resolve(_bearer(request), source)
        except TokenError as exc:
            count_refused(None, self.source, exc.reason)
            status = 401 if exc.reason == "unknown" else 403
            response = _reply(status, {"error": exc.reason, "detail": str(exc)})
            if status == 401:
                response.headers["WWW-Authenticate"] = "Bearer"
            return response
        if self._reading.locked():
            detail = "too many requests in progress"
            return self._refuse(
                binding, 503, "concurrency_limit", detail, retry_after=BUSY_RETRY_AFTER_S
            )
        async with self._reading:
            try:
                batch = await self._read(request, binding)
            except BodyError as exc:
                return self._refuse(binding, BODY_STATUS[exc.reason], exc.reason, str(exc))
            except ClientDisconnect:  # nobody reads the answer; count it, log nothing
                return self._refuse(binding, 400, "disconnected", "the client went away")
            return await self._publish(batch, binding)

    async def _read(self, request: Request, binding: HttpBinding) -> Batch:
        max_body = self._settings.http_max_body_bytes
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > max_body:
            raise BodyError("too_large", f"the body exceeds {max_body} octets")
        reader = BodyReader(
            request.headers.get("content-encoding"),
            max_body=max_body,
            max_decoded=self._settings.http_max_decoded_bytes,
        )
        async for chunk in request.stream():
            reader.feed(chunk)
        return parse_batch(
            reader.finish(),
            request.headers.get("content-type"),
            binding,
            peer=peer_address(request.client)[1],
            received_at=self._now(),
            max_bytes=self._settings.max_record_bytes,
            max_items=self._settings.http_max_items,
        )

    async def _publish(self, batch: Batch, binding: HttpBinding) -> Response:
        count = len(batch.events)
        wait = self._limits.acquire(binding.tenant, count) if self._limits and count else 0.0
        if wait > 0:
            detail = f"the tenant's rate limit does not allow {count} more events now"
            return self._refuse(binding, 429, "rate_limited", detail, count, retry_after=wait)
        records = [(topics.RAW_EVENTS, raw.tenant, encode(raw)) for raw in batch.events]
        try:
            async with asyncio.timeout(self._settings.http_publish_timeout_seconds):
                await self._bus.publish(records)
        except TimeoutError:
            detail = "the pipeline is busy; retry later"
            return self._refuse(binding, 503, "busy", detail, count, retry_after=BUSY_RETRY_AFTER_S)
        except Exception as exc:  # noqa: BLE001 - a bus failure is the pipeline's, not the caller's
            log.error("http publish failed", extra={"source": binding.source, "error": repr(exc)})
            detail = "the pipeline is unavailable; retry later"
            return self._refuse(
                binding, 503, "publish_failed", detail, count, retry_after=BUSY_RETRY_AFTER_S
            )
        record_counter("received").labels(binding.tenant, binding.source, "http").inc(count)
        count_refused(binding.tenant, binding.source, "invalid_item", len(batch.rejected))
        rejected = [{"index": r.index, "reason": r.reason} for r in batch.rejected]
        return _reply(207 if rejected else 200, {"accepted": count, "rejected": rejected})

    def _refuse(
        self,
        binding: HttpBinding,
        status: int,
        reason: str,
        detail: str,
        count: int = 1,
        *,
        retry_after: float | None = None,
    ) -> Response:
        count_refused(binding.tenant, binding.source, reason, count)
        return _reply(status, {"error": reason, "detail": detail}, retry_after)


def _bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def ingest_app(ingest: HttpIngest) -> FastAPI:
    app = FastAPI(title="vigie ingest", docs_url=None, redoc_url=None, openapi_url=None)

    @app.post("/ingest/v1/events")
    async def events(request: Request) -> Response:
        return await ingest.handle(request, None)

    @app.post("/ingest/v1/events/{source}")
    async def source_events(request: Request, source: str) -> Response:
        return await ingest.handle(request, source)

    return app


class HttpIngestListener:
    """The ingest app on its own socket, with the start/close/address of the syslog listeners."""

    def __init__(self, spec: ListenerSpec, app: FastAPI) -> None:
        self.spec = spec
        self._app = app
        self._stopping = asyncio.Event()
        self._address: tuple[str, int] | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def address(self) -> tuple[str, int]:
        assert self._address is not None, "listener not started"
        return self._address

    async def start(self) -> None:
        host = f"[{self.spec.host}]" if ":" in self.spec.host else self.spec.host
        sock = listen_socket(f"{host}:{self.spec.port}")
        self._address = sock.getsockname()[:2]
        self._task = asyncio.create_task(serve(self._app, sock, stopping=self._stopping))

    async def close(self, grace: float) -> None:
        """Stop accepting, let requests in progress finish for up to ``grace`` seconds."""
        if self._task is None:
            return
        self._stopping.set()
        done, _ = await asyncio.wait([self._task], timeout=grace)
        if not done:
            self._task.cancel()
        with suppress(asyncio.CancelledError):
            try:
                await self._task
            except Exception as exc:  # noqa: BLE001 - closing must close the other listeners
                log.error("http ingest stopped with an error", extra={"error": repr(exc)})
