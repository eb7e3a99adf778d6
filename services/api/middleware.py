"""Every HTTP request: the access audit log (logger ``vigie.audit``) and the request metrics.

An audit entry is written for each call of an API route (``/api/...``), answered or refused:
who (the key id and role, or nobody), what (method, path, query string), when (``at``, the
arrival time in UTC) and the status. The ops endpoints, scraped every few seconds, are left out
of the audit log but not out of the metrics. Metrics are labelled with the route template
(``/api/v1/alerts/{alert_id}``), never the raw path, to keep their cardinality bounded.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.runtime import metrics

audit = logging.getLogger("vigie.audit")


class Observe:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._requests = metrics.counter(
            "vigie_api_requests_total", "API requests answered", ["route", "status"]
        )
        self._seconds = metrics.histogram(
            "vigie_api_request_seconds", "Time to answer an API request", ["route"]
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        at = datetime.now(UTC)
        started = time.perf_counter()
        status = 500  # what the client gets when the app raises before answering

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            self._requests.labels(route, str(status)).inc()
            self._seconds.labels(route).observe(time.perf_counter() - started)
            if scope["path"].startswith("/api/"):
                _audit(scope, status, at)


def _audit(scope: Scope, status: int, at: datetime) -> None:
    principal: Any = scope.get("state", {}).get("principal")
    audit.info(
        "api access",
        extra={
            "at": at.isoformat(timespec="milliseconds"),
            "who": principal.key_id if principal else None,
            "role": principal.role if principal else None,
            "method": scope["method"],
            "path": scope["path"],
            "query": scope.get("query_string", b"").decode("latin-1"),
            "status": status,
        },
    )
