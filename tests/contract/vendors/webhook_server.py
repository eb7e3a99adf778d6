"""A local receiver for the generic webhook contract (services/responder/adapters/webhook.py).

It checks ``X-Vigie-Signature`` against its own secret as a real receiver would (missing or wrong
→ 401 ``bad signature``), records every delivery, and answers with its scripted answers in turn,
repeating the last one. ``delay`` holds every answer back, to provoke client timeouts.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from dataclasses import dataclass, field

from aiohttp import web


@dataclass(frozen=True)
class Delivery:
    headers: dict[str, str]
    body: bytes


@dataclass
class WebhookReceiver:
    secret: str | None = None
    answers: list[tuple[int, str]] = field(default_factory=lambda: [(200, "ok")])
    delay: float = 0.0
    deliveries: list[Delivery] = field(default_factory=list)
    _runner: web.AppRunner | None = None

    async def start(self) -> str:
        """Serve on 127.0.0.1 on a free port; the hook URL."""
        app = web.Application()
        app.router.add_post("/hooks/{token}", self._receive)
        self._runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        return f"http://{host}:{port}/hooks/t0k3n"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _receive(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.deliveries.append(Delivery(dict(request.headers), body))
        if self.delay:
            await asyncio.sleep(self.delay)
        signature = request.headers.get("X-Vigie-Signature")
        if self.secret is not None and not self._signed(body, signature):
            return web.Response(status=401, text="bad signature")
        status, text = self.answers[min(len(self.deliveries), len(self.answers)) - 1]
        return web.Response(status=status, text=text)

    def _signed(self, body: bytes, header: str | None) -> bool:
        assert self.secret is not None
        expected = "sha256=" + hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
        return header is not None and hmac.compare_digest(header, expected)
