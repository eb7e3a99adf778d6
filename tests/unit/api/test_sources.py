"""``GET /api/v1/sources`` over a chDB store filled through the real Sink: rates, parse failures,
clock skew, silence and status per source, configured sources that never sent, tenant scope."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from services.api.app import create_app
from services.api.routers import sources
from services.runtime.settings import (
    HttpSource,
    Settings,
    SharedListener,
    SourceQuality,
    SyslogListener,
)
from services.runtime.store import Store
from tests.unit.api.data import (
    KEYS,
    T0,
    dead_letter,
    dsn,
    ecs,
    make_settings,
    out,
    raw,
    sink_through,
)

NOW = T0 + timedelta(hours=2)
ISO = "%Y-%m-%dT%H:%M:%S.%fZ"


def quality_settings() -> Settings:
    """Two tenants with listeners and HTTP sources that never send, and one configured threshold."""
    base = make_settings()
    a, b = base.tenants
    syslog = SyslogListener(transport="udp", listen="127.0.0.1:5514", source="syslog-a")
    okta = HttpSource(name="okta-b", format="okta", tokens_sha256=["ab" * 32])
    shared = SharedListener(
        transport="tcp",
        listen="127.0.0.1:6514",
        source="shared-fw",
        peers={"198.51.100.0/24": "tenant-b"},
    )
    tenants = [
        a.model_copy(
            update={
                "syslog": [syslog],
                "sources": {"auth-a": SourceQuality(silence_after_seconds=1800)},
            }
        ),
        b.model_copy(update={"http_sources": [okta]}),
    ]
    return base.model_copy(update={"tenants": tenants, "shared_listeners": [shared]})


def received(tenant: str, source: str, raw_id: str, at: datetime, **kwargs: Any) -> Any:
    return raw(raw_id, tenant, source, **kwargs).model_copy(update={"received_at": at})


def parsed(raw_id: str, at: datetime, skew_seconds: float) -> Any:
    """The event of raw record ``raw_id`` received at ``at``, stamped ``skew_seconds`` off."""
    stamp = at + timedelta(seconds=skew_seconds)
    event = {"id": f"e-{raw_id}", "ingested": at.strftime(ISO)}
    return ecs(
        f"e-{raw_id}",
        "tenant-a",
        raw_id,
        "fw-a",
        event=event,
        **{"@timestamp": stamp.strftime(ISO)},
    )


def messages() -> list[Any]:
    # fw-a sends once a minute for the last hour, 30 s past each minute mark before NOW.
    fw_times = {k: NOW - timedelta(seconds=60 * k - 30) for k in range(1, 61)}
    fw = [received("tenant-a", "fw-a", f"fw{k}", t, truncated=k == 2) for k, t in fw_times.items()]
    events = [parsed(f"fw{k}", fw_times[k], -2.0) for k in range(3, 12)]
    events += [parsed("fw1", fw_times[1], 40.0)]
    # Ingested before the skew window (1 h): its wild clock must not count.
    old = NOW - timedelta(hours=3)
    fw += [received("tenant-a", "fw-a", "fw-old", old)]
    events += [parsed("fw-old", old, -86400.0)]
    auth = [
        received("tenant-a", "auth-a", f"auth{i}", T0 - timedelta(minutes=5 * i)) for i in range(4)
    ]
    other = [received("tenant-b", "fw-b", "b1", NOW - timedelta(seconds=10))]
    failures = [dead_letter("normalizer", "fw2", "tenant-a", "fw-a")] * 2
    return [*fw, fw[0], *events, *auth, *other, *failures]  # fw[0] redelivered


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = Store(dsn(tmp_path_factory.mktemp("sources") / "store"))

    async def load() -> None:
        await store.start()
        await sink_through(store, quality_settings(), [out(m) for m in messages()])

    asyncio.run(load())
    yield store
    asyncio.run(store.close())


@pytest.fixture
async def http(dataset: Store) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(quality_settings(), dataset)
    app.dependency_overrides[sources.now] = lambda: NOW
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://vigie.test") as client:
        yield client


async def listing(http: httpx.AsyncClient, role: str, **params: str) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {KEYS[role]}"}
    resp = await http.get("/api/v1/sources", params=params, headers=headers)
    assert resp.status_code == 200, resp.text
    return resp.json()["items"]  # type: ignore[no-any-return]


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


async def test_sources_figures_of_a_source_sending_every_minute(http: httpx.AsyncClient) -> None:
    items = {i["source"]: i for i in await listing(http, "tenant-a")}
    fw = items["fw-a"]
    skew_p50, skew_p95 = fw.pop("clock_skew_seconds"), fw.pop("clock_skew_p95_seconds")
    assert fw == {
        "tenant": "tenant-a",
        "source": "fw-a",
        "received": 61,
        "parsed": 11,
        "failed": 1,
        "truncated": 1,
        "first_seen": iso(NOW - timedelta(hours=3)),
        "last_seen": iso(NOW - timedelta(seconds=30)),
        "eps_1m": 1 / 60,
        "eps_15m": 15 / 900,
        "parse_failure_rate": 1 / 61,
        "silent_for_seconds": 30.0,
        "silence_threshold_seconds": 600.0,  # learned: 10 x one minute
        "silence_threshold_basis": "learned",
        "status": "ok",
    }
    # Nine events 2 s behind their receive time and one 40 s ahead; the old one is out.
    assert skew_p50 == -2.0
    assert skew_p95 == pytest.approx(21.1)  # interpolated between -2 and 40


@pytest.mark.parametrize(
    ("role", "params", "expected"),
    [
        (
            "analyst",
            {},
            [
                ("tenant-a", "auth-a", "silent", 7200.0, 1800.0, "configured"),
                ("tenant-a", "fw-a", "ok", 30.0, 600.0, "learned"),
                ("tenant-a", "syslog-a", "never_seen", None, 3600.0, "default"),
                ("tenant-b", "fw-b", "ok", 10.0, 3600.0, "default"),
                ("tenant-b", "okta-b", "never_seen", None, 3600.0, "default"),
                ("tenant-b", "shared-fw", "never_seen", None, 3600.0, "default"),
            ],
        ),
        (
            "tenant-b",
            {},
            [
                ("tenant-b", "fw-b", "ok", 10.0, 3600.0, "default"),
                ("tenant-b", "okta-b", "never_seen", None, 3600.0, "default"),
                ("tenant-b", "shared-fw", "never_seen", None, 3600.0, "default"),
            ],
        ),
        (
            "analyst",
            {"tenant": "tenant-a"},
            [
                ("tenant-a", "auth-a", "silent", 7200.0, 1800.0, "configured"),
                ("tenant-a", "fw-a", "ok", 30.0, 600.0, "learned"),
                ("tenant-a", "syslog-a", "never_seen", None, 3600.0, "default"),
            ],
        ),
        ("analyst", {"tenant": "tenant-z"}, []),
    ],
)
async def test_sources_status_per_tenant_scope(
    http: httpx.AsyncClient, role: str, params: dict[str, str], expected: list[tuple[Any, ...]]
) -> None:
    names = (
        "tenant",
        "source",
        "status",
        "silent_for_seconds",
        "silence_threshold_seconds",
        "silence_threshold_basis",
    )
    items = await listing(http, role, **params)
    assert [tuple(i[n] for n in names) for i in items] == expected


async def test_sources_configured_but_silent_listener_has_zero_counts(
    http: httpx.AsyncClient,
) -> None:
    [never] = [i for i in await listing(http, "tenant-a") if i["source"] == "syslog-a"]
    assert never == {
        "tenant": "tenant-a",
        "source": "syslog-a",
        "received": 0,
        "parsed": 0,
        "failed": 0,
        "truncated": 0,
        "first_seen": None,
        "last_seen": None,
        "eps_1m": 0.0,
        "eps_15m": 0.0,
        "parse_failure_rate": None,
        "clock_skew_seconds": None,
        "clock_skew_p95_seconds": None,
        "silent_for_seconds": None,
        "silence_threshold_seconds": 3600.0,
        "silence_threshold_basis": "default",
        "status": "never_seen",
    }


async def test_sources_a_tenant_key_cannot_read_another_tenant(http: httpx.AsyncClient) -> None:
    resp = await http.get(
        "/api/v1/sources",
        params={"tenant": "tenant-a"},
        headers={"Authorization": f"Bearer {KEYS['tenant-b']}"},
    )
    assert resp.status_code == 403
