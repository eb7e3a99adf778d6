"""``POST /api/v1/intel``: analysts publish an intel file's indicators onto the process's bus."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from schemas import topics
from services.api.main import build
from services.runtime.memory_bus import MemoryBus
from services.runtime.settings import Settings
from services.runtime.store import Store
from tests.unit.api.data import KEYS, dsn

CSV = "type,value,confidence\nip,203.0.113.5,90\nemail,a@example.com,\n"


@pytest.fixture
async def client(
    tmp_path: Path, settings: Settings
) -> AsyncIterator[tuple[httpx.AsyncClient, MemoryBus]]:
    bus = MemoryBus()
    app, _ = build(settings, bus, Store(dsn(tmp_path / "unused")))  # the route needs no store
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://vigie.test") as http:
        yield http, bus


async def post(http: httpx.AsyncClient, key: str, body: dict[str, Any]) -> httpx.Response:
    return await http.post(
        "/api/v1/intel", json=body, headers={"Authorization": f"Bearer {KEYS[key]}"}
    )


async def published(bus: MemoryBus) -> list[tuple[str, dict[str, Any]]]:
    consumer = bus.consumer([topics.TI_INDICATORS], "test")
    await consumer.start()
    return [(r.key, orjson.loads(r.value)) for r in await consumer.poll(100, timeout=0.05)]


async def test_an_analyst_publishes_indicators_for_one_tenant(client: Any) -> None:
    http, bus = client
    body = {"content": CSV, "format": "csv", "tenant": "tenant-a", "valid_days": 7, "feed": "soc"}
    answer = await post(http, "analyst", body)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "published": 1, "skipped": [{"entry": "line 3", "reason": "type 'email' is not supported"}],
    }  # fmt: skip
    [(key, value)] = await published(bus)
    assert key == "tenant-a:ipv4-addr:203.0.113.5"
    assert (value["confidence"], value["feed"], value["valid_until"] is not None) == (
        90,
        "soc",
        True,
    )


async def test_global_scope_is_an_explicit_null(client: Any) -> None:
    http, bus = client
    assert (await post(http, "analyst", {"content": CSV, "tenant": None})).status_code == 200
    assert [key for key, _ in await published(bus)] == ["*:ipv4-addr:203.0.113.5"]
    missing = await post(http, "analyst", {"content": CSV})
    assert missing.status_code == 422


@pytest.mark.parametrize(
    ("key", "body", "status", "error"),
    [
        ("tenant-a", {"content": CSV, "tenant": "tenant-a"}, 403, "forbidden"),
        ("analyst", {"content": CSV, "tenant": "initech"}, 400, "invalid_intel"),
        (
            "analyst",
            {"content": "{not json", "format": "stix", "tenant": None},
            400,
            "invalid_intel",
        ),
        ("analyst", {"content": CSV, "format": "yara", "tenant": None}, 422, "invalid_request"),
    ],
)
async def test_refusals(
    client: Any, key: str, body: dict[str, Any], status: int, error: str
) -> None:
    http, bus = client
    answer = await post(http, key, body)
    assert (answer.status_code, answer.json()["error"]) == (status, error)
    assert await published(bus) == []
