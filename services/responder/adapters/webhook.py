"""Generic HTTP webhook: every action becomes one signed JSON POST to a configured URL.

Request body (JSON): ``{"request": <request id>, "alert_id", "tenant", "action", "target"}``.
Headers: ``Content-Type: application/json``, ``Idempotency-Key: <request id>`` (a receiver can
drop the repeats our retries may cause) and, when a secret is configured,
``X-Vigie-Signature: sha256=<hex HMAC-SHA256 of the exact body bytes>``.

Verdict: 2xx → ``succeeded``; any other answer → ``failed`` with the status and the start of the
body. 5xx answers and connection errors or timeouts are retried ``retries`` times with exponential
backoff; with no answer at the end, ``AdapterError``. Redirects are not followed (a redirect is not
the receiver acknowledging the action).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from datetime import UTC, datetime
from typing import ClassVar

import httpx
import orjson
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, SecretStr

from schemas.action import ActionRequest, ActionResult
from services.responder.port import STANDARD_ACTIONS, AdapterError, result_for

SIGNATURE_HEADER = "X-Vigie-Signature"
EXCERPT_BYTES = 512


class Webhook:
    name: ClassVar[str] = "webhook"
    actions: ClassVar[frozenset[str]] = STANDARD_ACTIONS

    class Config(BaseModel):
        model_config = ConfigDict(frozen=True, extra="forbid")

        url: AnyHttpUrl
        secret: SecretStr | None = None
        timeout_seconds: float = Field(default=5.0, gt=0, le=120)
        retries: int = Field(default=2, ge=0, le=10)
        backoff_seconds: float = Field(default=0.5, ge=0, le=60)

    def __init__(self, config: Config, client: httpx.AsyncClient) -> None:
        self.config = config
        self._client = client

    async def execute(self, req: ActionRequest) -> ActionResult:
        body = orjson.dumps(
            {
                "request": req.id,
                "alert_id": req.alert_id,
                "tenant": req.tenant,
                "action": req.action,
                "target": req.target,
            }
        )
        status, excerpt = await self._post(body, self._headers(body, req))
        if 200 <= status < 300:
            return result_for(req, "succeeded", f"HTTP {status}", at=datetime.now(UTC))
        return result_for(req, "failed", f"HTTP {status}: {excerpt}", at=datetime.now(UTC))

    def _headers(self, body: bytes, req: ActionRequest) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Idempotency-Key": req.id}
        if self.config.secret is not None:
            key = self.config.secret.get_secret_value().encode()
            headers[SIGNATURE_HEADER] = f"sha256={hmac.new(key, body, hashlib.sha256).hexdigest()}"
        return headers

    async def _post(self, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        """The first answer below 500, or the last one; AdapterError when none came."""
        answer: tuple[int, str] | None = None
        error: httpx.TransportError | None = None
        for attempt in range(self.config.retries + 1):
            if attempt:
                await asyncio.sleep(self.config.backoff_seconds * 2 ** (attempt - 1))
            try:
                answer = await self._attempt(body, headers)
            except httpx.TransportError as exc:
                error = exc
                continue
            if answer[0] < 500:
                return answer
        if answer is not None:
            return answer
        # The host only: webhook URLs often carry a token in their path.
        raise AdapterError(
            f"no answer from {self.config.url.host} after {self.config.retries + 1} attempts: "
            f"{type(error).__name__}: {error}"
        )

    async def _attempt(self, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        async with self._client.stream(
            "POST",
            str(self.config.url),
            content=body,
            headers=headers,
            timeout=self.config.timeout_seconds,
            follow_redirects=False,
        ) as response:
            return response.status_code, await _excerpt(response)


async def _excerpt(response: httpx.Response) -> str:
    """The start of the body only: a hostile or broken receiver may answer with gigabytes."""
    head = b""
    async for chunk in response.aiter_bytes():
        head += chunk
        if len(head) >= EXCERPT_BYTES:
            break
    text = head[:EXCERPT_BYTES].decode("utf-8", errors="replace")
    return "".join(c if c.isprintable() else " " for c in text).strip()
