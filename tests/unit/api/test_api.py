"""The HTTP API over a chDB store filled through the real Sink: auth, tenant isolation, filters,
pagination, cursors, sources and the ops endpoints."""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from services.api.app import create_app
from services.runtime.store import Store
from tests.unit.api.data import (
    KEYS,
    T0,
    action_request,
    action_result,
    alert,
    dead_letter,
    dsn,
    ecs,
    make_settings,
    out,
    raw,
    sha256,
    sink_through,
)

PAGE_LIMIT = 3
DAY = "2026-12-01"


def bearer(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {KEYS[role]}"}


def at(minutes: float) -> Any:
    return T0 + timedelta(minutes=minutes)


def messages() -> list[Any]:
    request_a = action_request("act-a1", "tenant-a", "f-a1", at(4))
    return [
        # The alerts of case api-cursor-tenant-binding, with a version history and a redelivery.
        alert("f-a1", "tenant-a", at(3), version=1, count=1),
        alert("f-a1", "tenant-a", at(3), version=2, count=3),
        alert("f-a2", "tenant-a", at(2)),
        alert("f-a3", "tenant-a", at(1)),
        alert("f-a4", "tenant-a", at(0.5), level="low", rule="rule-scan"),
        alert("f-b1", "tenant-b", at(2.5)),
        alert("f-b2", "tenant-b", at(0)),
        alert("f-a1", "tenant-a", at(3), version=1, count=1),  # an old version, late
        alert("f-a2", "tenant-a", at(2)),
        request_a,
        action_result("act-a1-done", request_a, at(5)),
        action_request("act-b1", "tenant-b", "f-b1", at(6)),
        raw("r-a1", "tenant-a", "fw-a"),
        raw("r-a2", "tenant-a", "fw-a"),
        raw("r-a3", "tenant-a", "fw-a", truncated=True),
        raw("r-a1", "tenant-a", "fw-a"),
        raw("r-a4", "tenant-a", "auth-a"),
        raw("r-b1", "tenant-b", "fw-b"),
        ecs("e-a1", "tenant-a", "r-a1", "fw-a"),
        ecs("e-a2", "tenant-a", "r-a2", "fw-a"),
        ecs("e-a2b", "tenant-a", "r-a2", "fw-a"),
        ecs("e-b1", "tenant-b", "r-b1", "fw-b"),
        dead_letter("normalizer", "r-a3", "tenant-a", "fw-a"),
        dead_letter("normalizer", "r-a3", "tenant-a", "fw-a"),
        dead_letter("correlator", "e-a1", "tenant-a", "fw-a"),
    ]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = Store(dsn(tmp_path_factory.mktemp("api") / "store"))

    async def load() -> None:
        await store.start()
        await sink_through(store, make_settings(), [out(m) for m in messages()])

    asyncio.run(load())
    yield store
    asyncio.run(store.close())


@dataclass
class Api:
    http: httpx.AsyncClient

    async def get(self, role: str | None, path: str, **params: Any) -> httpx.Response:
        return await self.http.get(path, params=params, headers=bearer(role) if role else {})

    async def pages(self, role: str, path: str, **params: Any) -> list[list[str]]:
        """The ids on every page of a listing, following next_cursor."""
        pages: list[list[str]] = []
        cursor = None
        while len(pages) < 10:
            resp = await self.get(role, path, **params, **({"cursor": cursor} if cursor else {}))
            assert resp.status_code == 200, resp.text
            body = resp.json()
            pages.append([item["id"] for item in body["items"]])
            cursor = body["next_cursor"]
            if cursor is None:
                return pages
        raise AssertionError(f"the cursor does not advance: {pages}")

    async def ids(self, role: str, path: str = "/api/v1/alerts", **params: Any) -> list[str]:
        return [i for page in await self.pages(role, path, **params) for i in page]


@pytest.fixture
async def api(dataset: Store) -> AsyncIterator[Api]:
    app = create_app(make_settings(page_limit=PAGE_LIMIT), dataset)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://vigie.test") as http:
        yield Api(http)


ALL_A = ["f-a1", "f-a2", "f-a3", "f-a4"]
ALL_B = ["f-b1", "f-b2"]
EVERYONE = ["f-a1", "f-b1", "f-a2", "f-a3", "f-a4", "f-b2"]  # last_seen desc


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer not-a-key", f"Basic {KEYS['tenant-a']}", "Bearer ", KEYS["tenant-a"]],
)
async def test_api_refuses_calls_without_a_known_key(api: Api, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    resp = await api.http.get("/api/v1/alerts", headers=headers)
    assert resp.status_code == 401
    assert resp.json()["error"] == "unauthorized"
    assert resp.headers["www-authenticate"] == "Bearer"


async def test_api_lists_each_tenant_only_its_own_alerts(api: Api) -> None:
    assert await api.ids("tenant-a") == ALL_A
    assert await api.ids("tenant-b") == ALL_B
    assert await api.ids("analyst") == EVERYONE


async def test_api_hides_another_tenants_alert_exactly_like_a_missing_one(api: Api) -> None:
    foreign = await api.get("tenant-b", "/api/v1/alerts/f-a1")
    missing = await api.get("tenant-b", "/api/v1/alerts/no-such-alert")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json() == {"error": "not_found", "detail": "no such alert"}


async def test_api_alert_item_shows_the_latest_version(api: Api) -> None:
    resp = await api.get("tenant-a", "/api/v1/alerts/f-a1")
    assert resp.status_code == 200
    assert resp.json() == {
        "id": "f-a1",
        "tenant": "tenant-a",
        "rule": {
            "id": "rule-brute",
            "title": "Title of rule-brute",
            "level": "high",
            "tags": ["attack.t1110"],
        },
        "group": {"source.ip": "203.0.113.7"},
        "first_seen": "2026-12-01T10:00:00Z",
        "last_seen": "2026-12-01T10:03:00Z",
        "count": 3,
        "event_ids": ["f-a1-e0", "f-a1-e1", "f-a1-e2"],
        "risk_score": 42.0,
        "threat": {"technique": {"id": ["T1110"]}},
    }
    assert (await api.get("analyst", "/api/v1/alerts/f-a1")).json()["count"] == 3


@pytest.mark.parametrize(
    ("role", "params", "expected"),
    [
        ("tenant-a", {"level": "low"}, ["f-a4"]),
        ("tenant-a", {"rule": "rule-scan"}, ["f-a4"]),
        ("tenant-a", {"rule": "rule-brute", "level": "low"}, []),
        ("tenant-a", {"since": f"{DAY}T10:01:00Z", "until": f"{DAY}T10:03:00Z"}, ["f-a2", "f-a3"]),
        ("tenant-a", {"since": f"{DAY}T11:01:00+01:00"}, ["f-a1", "f-a2", "f-a3"]),
        ("tenant-a", {"tenant": "tenant-a"}, ALL_A),
        ("analyst", {"tenant": "tenant-b"}, ALL_B),
        ("analyst", {"tenant": "tenant-z"}, []),
        ("analyst", {"level": "high", "since": f"{DAY}T10:02:00Z"}, ["f-a1", "f-b1", "f-a2"]),
    ],
)
async def test_api_alert_filters(
    api: Api, role: str, params: dict[str, str], expected: list[str]
) -> None:
    assert await api.ids(role, **params) == expected


@pytest.mark.parametrize(
    "params", [{"level": "severe"}, {"since": "yesterday"}, {"limit": "0"}, {"limit": "many"}]
)
async def test_api_rejects_malformed_filters(api: Api, params: dict[str, str]) -> None:
    resp = await api.get("tenant-a", "/api/v1/alerts", **params)
    assert resp.status_code == 422
    assert resp.json()["error"] == "invalid_request"


async def test_api_cursor_pagination_walks_every_alert_once(api: Api) -> None:
    assert await api.pages("tenant-a", "/api/v1/alerts", limit=1) == [[a] for a in ALL_A]
    # A limit above api.page_limit is capped at it.
    assert await api.pages("analyst", "/api/v1/alerts", limit=50) == [EVERYONE[:3], EVERYONE[3:]]


async def test_api_cursor_case_tenant_binding(api: Api, cases: dict[str, Any]) -> None:
    """Case api-cursor-tenant-binding, on /api/v1/alerts with ``level`` for severity."""
    case = cases["api-cursor-tenant-binding"]
    first = await api.get("tenant-a", "/api/v1/alerts", level="high", limit=2)
    c1 = first.json()["next_cursor"]
    assert c1 is not None
    body, signature = c1.split(".")
    from_actions = (await api.get("tenant-a", "/api/v1/actions", limit=1)).json()["next_cursor"]
    assert from_actions is not None

    requests: list[tuple[str, dict[str, Any]]] = [
        ("tenant-a", {"level": "high", "limit": 2}),
        ("tenant-a", {"level": "high", "limit": 2, "cursor": c1}),
        ("tenant-b", {"level": "high", "limit": 2, "cursor": c1}),
        ("tenant-a", {"level": "low", "limit": 2, "cursor": c1}),
        ("tenant-a", {"level": "high", "limit": 2, "cursor": f"{rescope(body)}.{signature}"}),
        ("tenant-a", {"level": "high", "limit": 2, "cursor": from_actions}),
        ("tenant-a", {"level": "high", "tenant": "tenant-b"}),
    ]
    for (role, params), want in zip(requests, case["expected"], strict=True):
        resp = await api.get(role, "/api/v1/alerts", **params)
        data = resp.json()
        assert resp.status_code == want["status"], (params, data)
        assert [i["id"] for i in data.get("items", [])] == want["items"], params
        if "error" in want:
            assert data["error"] == want["error"], params
        if "next_cursor" in want:
            assert (data["next_cursor"] is None) == (want["next_cursor"] is None), params
    assert data["error"] == "forbidden"  # the last request: the case names no code for its 403


def rescope(body: str) -> str:
    """A cursor payload moved to tenant-b and encoded again, without a fresh signature."""
    payload = orjson.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["b"]["s"] = ["tenant-b"]
    return base64.urlsafe_b64encode(orjson.dumps(payload)).rstrip(b"=").decode()


async def test_api_client_naming_another_tenant_is_forbidden(api: Api) -> None:
    for path in ("/api/v1/alerts", "/api/v1/actions", "/api/v1/sources", "/api/v1/events/e-b1"):
        resp = await api.get("tenant-a", path, tenant="tenant-b")
        assert resp.status_code == 403, path
        assert resp.json()["error"] == "forbidden"


async def test_api_lists_actions_by_tenant_and_filter(api: Api) -> None:
    resp = await api.get("tenant-a", "/api/v1/actions")
    items = resp.json()["items"]
    assert [(i["id"], i["kind"], i["status"]) for i in items] == [
        ("act-a1-done", "result", "succeeded"),
        ("act-a1", "request", "pending"),
    ]
    assert items[0]["request_id"] == "act-a1"
    assert await api.ids("tenant-a", "/api/v1/actions", status="succeeded") == ["act-a1-done"]
    assert await api.ids("tenant-a", "/api/v1/actions", alert_id="f-b1") == []
    assert await api.ids("tenant-b", "/api/v1/actions") == ["act-b1"]
    assert await api.pages("analyst", "/api/v1/actions", limit=2) == [
        ["act-b1", "act-a1-done"],
        ["act-a1"],
    ]


async def test_api_event_document_is_scoped(api: Api) -> None:
    own = await api.get("tenant-a", "/api/v1/events/e-a1")
    assert own.status_code == 200
    assert own.json() == ecs("e-a1", "tenant-a", "r-a1", "fw-a").doc
    assert (await api.get("tenant-b", "/api/v1/events/e-a1")).status_code == 404
    assert (await api.get("analyst", "/api/v1/events/e-a1")).status_code == 200


async def test_api_sources_count_received_parsed_failed(api: Api) -> None:
    """The counts only; the quality figures are covered by test_sources.py."""
    names = ("tenant", "source", "received", "parsed", "failed", "truncated", "last_seen")

    async def rows(role: str) -> list[tuple[Any, ...]]:
        resp = await api.get(role, "/api/v1/sources")
        return [tuple(item[n] for n in names) for item in resp.json()["items"]]

    last = "2026-12-01T10:00:00Z"
    assert await rows("analyst") == [
        ("tenant-a", "auth-a", 1, 0, 0, 0, last),
        ("tenant-a", "fw-a", 3, 2, 1, 1, last),
        ("tenant-b", "fw-b", 1, 1, 0, 0, last),
    ]
    assert await rows("tenant-b") == [("tenant-b", "fw-b", 1, 1, 0, 0, last)]


async def test_api_ops_endpoints_need_no_key(api: Api, dataset: Store) -> None:
    await api.get("tenant-a", "/api/v1/alerts")
    assert (await api.get(None, "/healthz")).json() == {"status": "ok"}
    assert (await api.get(None, "/readyz")).status_code == 200
    metrics = (await api.get(None, "/metrics")).text
    assert 'vigie_api_requests_total{route="/api/v1/alerts",status="200"}' in metrics
    assert 'vigie_api_request_seconds_count{route="/api/v1/alerts/{alert_id}"}' in metrics

    starting = create_app(make_settings(), dataset, ready=lambda: False)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=starting), base_url="http://vigie.test"
    ) as http:
        assert (await http.get("/readyz")).status_code == 503


async def test_api_errors_are_json(api: Api, tmp_path: Path) -> None:
    resp = await api.get("tenant-a", "/api/v1/nothing-here")
    assert (resp.status_code, resp.json()["error"]) == (404, "not_found")
    resp = await api.http.post("/api/v1/alerts", headers=bearer("analyst"))
    assert (resp.status_code, resp.json()["error"]) == (405, "method_not_allowed")

    unstarted = create_app(make_settings(), Store(dsn(tmp_path)))  # its queries raise
    transport = httpx.ASGITransport(app=unstarted, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://vigie.test") as http:
        resp = await http.get("/api/v1/alerts", headers=bearer("analyst"))
    assert resp.status_code == 500
    assert resp.json() == {"error": "internal", "detail": None}


async def test_api_audit_log_records_who_what_and_status(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="vigie.audit"):
        await api.get("tenant-a", "/api/v1/alerts", level="high")
        await api.get(None, "/api/v1/alerts/f-a1")
        await api.get("analyst", "/api/v1/sources", tenant="tenant-b")
        await api.get(None, "/healthz")
    entries = [
        (r.who, r.role, r.method, r.path, r.query, r.status)  # type: ignore[attr-defined]
        for r in caplog.records
        if r.name == "vigie.audit"
    ]
    key_a, key_soc = sha256(KEYS["tenant-a"])[:12], sha256(KEYS["analyst"])[:12]
    assert entries == [
        (key_a, "tenant:tenant-a", "GET", "/api/v1/alerts", "level=high", 200),
        (None, None, "GET", "/api/v1/alerts/f-a1", "", 401),
        (key_soc, "analyst", "GET", "/api/v1/sources", "tenant=tenant-b", 200),
    ]
    assert all(KEYS["tenant-a"] not in r.getMessage() + str(vars(r)) for r in caplog.records)


def test_api_refuses_a_key_configured_for_two_principals(tmp_path: Path) -> None:
    settings = make_settings().model_copy(
        update={"analyst_keys_sha256": [sha256(KEYS["tenant-a"])]}
    )
    with pytest.raises(ValueError, match="two principals"):
        create_app(settings, Store(dsn(tmp_path)))
