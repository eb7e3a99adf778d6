"""Contract: the webhook adapter against a local receiver speaking the documented contract."""

from __future__ import annotations

import hashlib
import hmac
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest

from schemas.action import ActionRequest
from services.responder.port import AdapterError, ResponseAdapter
from services.responder.adapters.webhook import Webhook
from tests.contract.vendors.webhook_server import WebhookReceiver
from tests.unit.responder.support import T0

SECRET = "correct horse battery staple"
REQUEST = ActionRequest(
    id="req-1",
    tenant="acme",
    alert_id="alert-1",
    playbook="block-ssh",
    step=0,
    adapter="webhook",
    action="block_ip",
    target={"ip": "203.0.113.5", "duration": 600},
    requested_at=T0,
)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as http:
        yield http


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    server = WebhookReceiver(secret=SECRET)
    yield server
    await server.stop()


def webhook(client: httpx.AsyncClient, url: str, **config: Any) -> Webhook:
    settings = {"secret": SECRET, "backoff_seconds": 0, **config}
    return Webhook(Webhook.Config.model_validate({"url": url, **settings}), client)


def test_webhook_declares_the_adapter_port() -> None:
    adapter_class: type[ResponseAdapter] = Webhook
    assert adapter_class.name == "webhook"
    assert {"notify", "block_ip", "isolate_host", "create_ticket"} <= adapter_class.actions


async def test_2xx_succeeds_with_signed_json_body(
    client: httpx.AsyncClient, receiver: WebhookReceiver
) -> None:
    url = await receiver.start()
    result = await webhook(client, url).execute(REQUEST)
    assert (result.status, result.detail, result.request_id) == ("succeeded", "HTTP 200", "req-1")
    [delivery] = receiver.deliveries
    assert orjson.loads(delivery.body) == {
        "request": "req-1",
        "alert_id": "alert-1",
        "tenant": "acme",
        "action": "block_ip",
        "target": {"ip": "203.0.113.5", "duration": 600},
    }
    digest = hmac.new(SECRET.encode(), delivery.body, hashlib.sha256).hexdigest()
    assert delivery.headers["X-Vigie-Signature"] == f"sha256={digest}"
    assert delivery.headers["Content-Type"] == "application/json"
    assert delivery.headers["Idempotency-Key"] == "req-1"


async def test_5xx_is_retried_with_the_same_signed_body(
    client: httpx.AsyncClient, receiver: WebhookReceiver
) -> None:
    receiver.answers = [(500, "busy"), (200, "ok")]
    result = await webhook(client, await receiver.start(), retries=2).execute(REQUEST)
    assert result.status == "succeeded"
    first, second = receiver.deliveries
    assert first.body == second.body
    assert first.headers["X-Vigie-Signature"] == second.headers["X-Vigie-Signature"]


async def test_4xx_fails_at_once_with_body_excerpt(
    client: httpx.AsyncClient, receiver: WebhookReceiver
) -> None:
    receiver.answers = [(400, "unknown target type\n"), (200, "ok")]
    result = await webhook(client, await receiver.start(), retries=2).execute(REQUEST)
    assert (result.status, result.detail) == ("failed", "HTTP 400: unknown target type")
    assert len(receiver.deliveries) == 1


async def test_retries_are_bounded(client: httpx.AsyncClient, receiver: WebhookReceiver) -> None:
    receiver.answers = [(503, "down")]
    result = await webhook(client, await receiver.start(), retries=2).execute(REQUEST)
    assert (result.status, result.detail) == ("failed", "HTTP 503: down")
    assert len(receiver.deliveries) == 3


async def test_wrong_secret_is_refused_by_the_receiver(
    client: httpx.AsyncClient, receiver: WebhookReceiver
) -> None:
    result = await webhook(client, await receiver.start(), secret="guess").execute(REQUEST)
    assert (result.status, result.detail) == ("failed", "HTTP 401: bad signature")


async def test_no_secret_sends_no_signature(client: httpx.AsyncClient) -> None:
    receiver = WebhookReceiver(secret=None)
    try:
        result = await webhook(client, await receiver.start(), secret=None).execute(REQUEST)
    finally:
        await receiver.stop()
    assert result.status == "succeeded"
    assert "X-Vigie-Signature" not in receiver.deliveries[0].headers


async def test_huge_error_body_is_cut_to_an_excerpt(
    client: httpx.AsyncClient, receiver: WebhookReceiver
) -> None:
    receiver.answers = [(422, "x" * 1_000_000)]
    result = await webhook(client, await receiver.start()).execute(REQUEST)
    assert result.status == "failed"
    assert result.detail == "HTTP 422: " + "x" * 512


async def test_timeouts_are_retried_then_raise(
    client: httpx.AsyncClient, receiver: WebhookReceiver
) -> None:
    receiver.delay = 2.0
    hook = webhook(client, await receiver.start(), timeout_seconds=0.2, retries=1)
    expected = "no answer from 127.0.0.1 after 2 attempts: ReadTimeout"
    with pytest.raises(AdapterError, match=expected):
        await hook.execute(REQUEST)
    assert len(receiver.deliveries) == 2


async def test_unreachable_receiver_raises_without_leaking_the_url_token(
    client: httpx.AsyncClient,
) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago and has no listener
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    hook = webhook(client, f"http://127.0.0.1:{port}/hooks/t0k3n", retries=1)
    with pytest.raises(AdapterError, match="after 2 attempts: ConnectError") as caught:
        await hook.execute(REQUEST)
    assert "t0k3n" not in str(caught.value)
