"""HTTP ingest on a real socket (uvicorn, 127.0.0.1 port 0): tokens decide tenant and source,
JSON / array / NDJSON / gzip bodies, per-item rejection, size limits and a gzip bomb, 429 and
503 with Retry-After, and every item accounted for."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas import topics
from services.collector.listeners.http import HttpIngest, ingest_app
from services.collector.main import HTTP_SOURCE, Collector, build
from services.collector.tenancy import HttpBinding, TokenTable
from services.runtime.memory_bus import MemoryBus
from services.runtime.settings import BusSettings, Settings
from tests.unit.collector.sockets import address, collect, events, metric, running

ACME = "vg_acme_firewall_token"
ACME_MULTI = "vg_acme_two_sources"
GLOBEX = "vg_globex_token"
NDJSON = {"content-type": "application/x-ndjson"}


def sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def configure(**collector: Any) -> Settings:
    return Settings.model_validate(
        {
            "tenants": [
                {
                    "id": "acme",
                    "http_sources": [
                        {"name": "acme-fw", "format": "json", "tokens_sha256": [sha(ACME)]},
                        {"name": "acme-app", "format": "ecs", "tokens_sha256": [sha(ACME_MULTI)]},
                        {"name": "acme-web", "format": "okta", "tokens_sha256": [sha(ACME_MULTI)]},
                    ],
                },
                {
                    "id": "globex",
                    "http_sources": [
                        {"name": "globex-api", "format": "suricata", "tokens_sha256": [sha(GLOBEX)]}
                    ],
                    "rate_limit": {"events_per_second": 1, "burst": 3},
                },
            ],
            "collector": {
                "http_listen": "127.0.0.1:0",
                "http_max_body_bytes": 64 * 1024,
                "http_max_decoded_bytes": 1024 * 1024,
                "max_record_bytes": 1024,
            }
            | collector,
        }
    )


@asynccontextmanager
async def ingest(
    bus: MemoryBus, **collector: Any
) -> AsyncIterator[tuple[Collector, httpx.AsyncClient]]:
    collector_service = build(configure(**collector), bus)
    async with running(collector_service):
        host, port = address(collector_service, HTTP_SOURCE)
        async with httpx.AsyncClient(base_url=f"http://{host}:{port}", timeout=10) as http:
            yield collector_service, http


def auth(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def refused(reason: str, tenant: str = "", source: str = HTTP_SOURCE) -> float:
    return metric("vigie_collector_refused_total", tenant=tenant, source=source, reason=reason)


async def post(http: httpx.AsyncClient, token: str | None, body: Any, **kw: Any) -> httpx.Response:
    path = kw.pop("path", "/ingest/v1/events")
    headers = (auth(token) if token else {}) | kw.pop("headers", {})
    content = body if isinstance(body, bytes) else orjson.dumps(body)
    return await http.post(path, content=content, headers=headers, **kw)


async def test_http_tokens_decide_tenant_source_and_format() -> None:
    bus = MemoryBus()
    consumer = bus.consumer([topics.RAW_EVENTS], "test")
    await consumer.start()
    async with ingest(bus) as (_, http):
        one = await post(http, ACME, {"message": "one", "organization": {"id": "globex"}})
        many = await post(http, GLOBEX, [{"message": "two"}, {"message": "three"}])
        lines = b'{"message":"four"}\n\n{"message":"five"}\r\n'
        nd = await post(http, ACME_MULTI, lines, path="/ingest/v1/events/acme-app", headers=NDJSON)
        packed = gzip.compress(b'[{"message":"six"}]')
        gz = await post(
            http, ACME_MULTI, packed, path="/ingest/v1/events/acme-web",
            headers={"content-encoding": "gzip", "content-type": "application/json"},
        )  # fmt: skip
        received = events(await collect(consumer, 6))
    assert [r.status_code for r in (one, many, nd, gz)] == [200] * 4
    assert [r.json() for r in (one, many, nd, gz)] == [
        {"accepted": n, "rejected": []} for n in (1, 2, 2, 1)
    ]
    seen = [(e.tenant, e.source, e.format, orjson.loads(e.data)["message"]) for e in received]
    assert seen == [
        ("acme", "acme-fw", "json", "one"),  # the token decides, not organization.id
        ("globex", "globex-api", "suricata", "two"),
        ("globex", "globex-api", "suricata", "three"),
        ("acme", "acme-app", "ecs", "four"),
        ("acme", "acme-app", "ecs", "five"),
        ("acme", "acme-web", "okta", "six"),
    ]
    assert all(e.transport == "http" and (e.peer or "").startswith("127.0.0.1:") for e in received)


@pytest.mark.parametrize(
    ("headers", "path", "status", "reason"),
    [
        ({}, "/ingest/v1/events", 401, "unknown"),
        (auth("vg_wrong"), "/ingest/v1/events", 401, "unknown"),
        ({"authorization": f"Basic {ACME}"}, "/ingest/v1/events", 401, "unknown"),
        ({"authorization": "Bearer"}, "/ingest/v1/events", 401, "unknown"),
        (auth(ACME), "/ingest/v1/events/acme-app", 403, "forbidden_source"),
        (auth(GLOBEX), "/ingest/v1/events/acme-fw", 403, "forbidden_source"),
        (auth(ACME_MULTI), "/ingest/v1/events", 403, "forbidden_source"),
    ],
)
async def test_http_refuses_bad_tokens_before_reading_the_body(
    headers: dict[str, str], path: str, status: int, reason: str
) -> None:
    bus = MemoryBus()
    before = refused(reason)
    async with ingest(bus) as (_, http):
        response = await http.post(path, content=b'{"message":"x"}', headers=headers)
    assert response.status_code == status
    assert response.json()["error"] == reason
    assert (response.headers.get("www-authenticate") == "Bearer") is (status == 401)
    assert refused(reason) == before + 1
    assert bus.depth(topics.RAW_EVENTS) == 0


async def test_http_case_batch_partial_rejection(cases: dict[str, dict[str, Any]]) -> None:
    case = cases["api-batch-partial-rejection"]
    bus = MemoryBus()
    consumer = bus.consumer([topics.RAW_EVENTS], "test")
    await consumer.start()
    before = refused("invalid_item", "acme", "acme-fw")
    async with ingest(bus) as (_, http):
        response = await post(http, ACME, case["input"]["body"])
        received = events(await collect(consumer, case["expected"]["accepted"]))
    assert response.status_code == 207  # not a claim of full success
    expected = {k: case["expected"][k] for k in ("accepted", "rejected")}
    assert response.json() == expected
    messages = [orjson.loads(e.data)["message"] for e in received]
    assert messages == case["expected"]["forwarded_to_kafka"]
    assert refused("invalid_item", "acme", "acme-fw") == before + 1


async def test_http_body_limits_and_envelope_errors() -> None:
    bus = MemoryBus()
    bomb = gzip.compress(bytes(10 * 1024 * 1024), compresslevel=9)  # 10 MB of zeros, ~10 KB

    async def chunked() -> AsyncIterator[bytes]:  # no Content-Length: the stream is counted
        for _ in range(100):
            yield b" " * 1024

    async with ingest(bus) as (_, http):
        gz = {"content-encoding": "gzip", "content-type": "application/json"}
        responses = {
            "bomb": await post(http, ACME, bomb, headers=gz),
            "declared": await post(http, ACME, b"[" + b" " * 70_000 + b"]"),
            "chunked": await http.post("/ingest/v1/events", content=chunked(), headers=auth(ACME)),
            "not_json": await post(http, ACME, b'{"message": '),
            "scalar": await post(http, ACME, b'"message"'),
            "bad_gzip": await post(http, ACME, b"not gzip", headers=gz),
            "type": await post(http, ACME, b"message", headers={"content-type": "text/plain"}),
            "encoding": await post(http, ACME, b"[]", headers={"content-encoding": "br"}),
        }
        after = await post(http, ACME, {"message": "still serving"})
    statuses = {name: r.status_code for name, r in responses.items()}
    assert statuses == {
        "bomb": 413,
        "declared": 413,
        "chunked": 413,
        "not_json": 400,
        "scalar": 400,
        "bad_gzip": 400,
        "type": 415,
        "encoding": 415,
    }
    assert "decoded body exceeds 1048576 octets" in responses["bomb"].json()["detail"]
    assert after.status_code == 200 and bus.depth(topics.RAW_EVENTS) == 1


async def test_http_rate_limit_answers_429_with_retry_after() -> None:
    bus = MemoryBus()
    consumer = bus.consumer([topics.RAW_EVENTS], "test")
    await consumer.start()
    before = refused("rate_limited", "globex", "globex-api")
    async with ingest(bus) as (_, http):
        first = await post(http, GLOBEX, [{"n": 1}, {"n": 2}, {"n": 3}])  # the whole burst
        second = await post(http, GLOBEX, [{"n": 4}, {"n": 5}])
        other_tenant = await post(http, ACME, [{"n": i} for i in range(20)])  # not limited
        received = events(await collect(consumer, 23))
    assert (first.status_code, second.status_code, other_tenant.status_code) == (200, 429, 200)
    assert second.json()["error"] == "rate_limited"
    assert int(second.headers["retry-after"]) >= 1
    assert refused("rate_limited", "globex", "globex-api") == before + 2
    assert [orjson.loads(e.data)["n"] for e in received if e.tenant == "globex"] == [1, 2, 3]


async def test_http_full_bus_answers_503_instead_of_buffering() -> None:
    bus = MemoryBus(BusSettings(queue_size=2))  # nobody commits: full after two records
    before = refused("busy", "acme", "acme-fw"), refused("concurrency_limit", "acme", "acme-fw")
    async with ingest(bus, http_publish_timeout_seconds=0.5, http_max_concurrent=1) as (_, http):
        assert (await post(http, ACME, [{"n": 1}, {"n": 2}])).status_code == 200
        blocked = asyncio.create_task(post(http, ACME, [{"n": 3}]))
        await asyncio.sleep(0.2)
        concurrent = await post(http, ACME, [{"n": 4}, {"n": 5}])  # the one slot is taken
        timed_out = await blocked
    assert (timed_out.json()["error"], concurrent.json()["error"]) == ("busy", "concurrency_limit")
    for response in (timed_out, concurrent):
        assert response.status_code == 503 and response.headers["retry-after"] == "1"
    # One event refused by the full bus, one request by the concurrency limit.
    assert refused("busy", "acme", "acme-fw") == before[0] + 1
    assert refused("concurrency_limit", "acme", "acme-fw") == before[1] + 1
    assert bus.depth(topics.RAW_EVENTS) == 2


async def test_http_every_item_is_accepted_or_rejected() -> None:
    bus = MemoryBus()
    consumer = bus.consumer([topics.RAW_EVENTS], "test")
    await consumer.start()
    lines = [b'{"i":1}', b"[2]", b'{"i":\xfe}', b'{"i":"' + b"x" * 2000 + b'"}']
    packed = gzip.compress(orjson.dumps([{"i": i} for i in range(25)] + ["x"]))
    bodies: list[tuple[bytes, dict[str, str]]] = [
        (orjson.dumps([{"i": i} if i % 3 else i for i in range(30)]), {}),
        (b"\n".join(lines), NDJSON),
        (packed, {"content-encoding": "gzip"}),
        (orjson.dumps({"single": True}), {}),
    ]
    sent = 30 + 4 + 26 + 1
    labels = {"tenant": "acme", "source": "acme-fw"}
    before = metric("vigie_collector_received_total", transport="http", **labels)
    rejected_before = refused("invalid_item", **labels)
    async with ingest(bus) as (_, http):
        results = [(await post(http, ACME, body, headers=h)).json() for body, h in bodies]
        accepted = sum(r["accepted"] for r in results)
        rejected = sum(len(r["rejected"]) for r in results)
        received = events(await collect(consumer, accepted))
    assert accepted + rejected == sent
    assert len(received) == accepted == 20 + 1 + 25 + 1
    assert metric("vigie_collector_received_total", transport="http", **labels) == before + accepted
    assert refused("invalid_item", **labels) == rejected_before + rejected


def asgi_ingest(bus: MemoryBus) -> httpx.AsyncClient:
    tokens = TokenTable([(sha(ACME), HttpBinding("acme", "acme-fw", "json"))])
    handler = HttpIngest(bus, tokens, configure().collector, source=HTTP_SOURCE)
    transport = httpx.ASGITransport(app=ingest_app(handler))
    return httpx.AsyncClient(transport=transport, base_url="http://vigie.test")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=15,
)
bodies = st.binary(max_size=400) | json_values.map(lambda v: json.dumps(v).encode())


@settings(max_examples=150, deadline=None)
@given(
    body=bodies,
    content_type=st.sampled_from([None, "application/json", "application/x-ndjson", "text/csv"]),
    encoding=st.sampled_from([None, "gzip", "gzip-packed", "identity", "br"]),
)
def test_http_random_bodies_never_give_a_server_error(
    body: bytes, content_type: str | None, encoding: str | None
) -> None:
    if encoding == "gzip-packed":
        body, encoding = gzip.compress(body), "gzip"
    headers = auth(ACME) | {"content-type": content_type or "", "content-encoding": encoding or ""}

    async def send() -> httpx.Response:
        bus = MemoryBus()
        async with asgi_ingest(bus) as http:
            response = await http.post("/ingest/v1/events", content=body, headers=headers)
        body_json = response.json()
        if response.status_code in (200, 207):
            assert bus.depth(topics.RAW_EVENTS) == body_json["accepted"]
        return response

    response = asyncio.run(send())
    assert response.status_code in {200, 207, 400, 413, 415}
