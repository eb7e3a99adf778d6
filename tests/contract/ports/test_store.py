"""One behaviour suite for the Store port, run against every backend the DSN can name.

``chdb`` (in-process ClickHouse) always runs; ``clickhouse-http`` runs when
``VIGIE_TEST_CLICKHOUSE_URL`` names a ClickHouse server (``http://host:8123``). Every test uses
its own tenant id, so the suite also runs against a shared server that keeps earlier data.

chDB opens one data folder per process at a time: two stores on different folders cannot be
open together, but a store closed at the end of one test lets the next test open another
folder, so each test gets a fresh folder (about 0.15 s each).
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from services.runtime.store import Store

CLICKHOUSE_URL = os.environ.get("VIGIE_TEST_CLICKHOUSE_URL", "")
TABLES = {"events", "alerts", "actions", "dead_letters", "raw_index"}
NOON = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
NOON_MS = 1781524800000

BACKENDS = [
    pytest.param("chdb", id="chdb"),
    pytest.param(
        "http",
        id="clickhouse-http",
        marks=pytest.mark.skipif(
            not CLICKHOUSE_URL,
            reason="VIGIE_TEST_CLICKHOUSE_URL is not set (e.g. http://127.0.0.1:8123)",
        ),
    ),
]


def _dsn(backend: str, folder: Path) -> str:
    return f"chdb:///{folder.as_posix().lstrip('/')}" if backend == "chdb" else CLICKHOUSE_URL


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    opened = Store(_dsn(request.param, tmp_path / "store"))
    await opened.start()
    yield opened
    await opened.close()


@pytest.fixture
def tenant() -> str:
    return f"t-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def berlin_host() -> Iterator[None]:
    """The process runs on Europe/Berlin local time (UTC+2 in June) for the test."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "Europe/Berlin"
    time.tzset()
    try:
        assert datetime(2026, 6, 15, 12).timestamp() * 1000 == NOON_MS - 2 * 3600 * 1000
        yield
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()


def alert_row(tenant: str, alert_id: str, *, version: int, count: int) -> dict[str, Any]:
    return {
        "tenant": tenant,
        "id": alert_id,
        "version": version,
        "rule_id": "rule-1",
        "rule_title": "Rule one",
        "level": "high",
        "tags": ["attack.t1110"],
        "group_json": '{"source.ip":"192.0.2.7"}',
        "first_seen": NOON,
        "last_seen": NOON,
        "count": count,
        "event_ids": [f"e{i}" for i in range(count)],
        "risk_score": 7.5,
        "doc": "{}",
    }


def event_row(tenant: str, event_id: str) -> dict[str, Any]:
    return {
        "tenant": tenant,
        "id": event_id,
        "raw_id": "r-1",
        "source": "fw",
        "timestamp": NOON,
        "ingested": datetime.now(UTC),  # the retention TTL would remove an old ingest time
        "dataset": "fortigate.traffic",
        "category": ["network", "authentication"],
        "action": "deny",
        "outcome": "failure",
        "host_name": "fw-1.example.com",
        "source_ip": "198.51.100.4",
        "user_name": "alice",
        "message": "denied",
        "doc": '{"event":{"id":"e"}}',
        "retention_days": 30,
    }


async def test_store_migrates_every_table(store: Store) -> None:
    rows = await store.query("SELECT name FROM system.tables WHERE database = currentDatabase()")
    assert TABLES <= {r["name"] for r in rows}


async def test_store_migration_is_idempotent_and_keeps_data(store: Store, tenant: str) -> None:
    await store.insert("events", [event_row(tenant, "e-1")])
    again = Store(store.dsn)
    await again.start()  # applies the DDL a second time on the same database
    try:
        rows = await again.query(
            "SELECT id FROM events WHERE tenant = {t:String}", {"t": tenant}
        )
    finally:
        await again.close()
    assert [r["id"] for r in rows] == ["e-1"]


async def test_store_round_trips_every_column_type(store: Store, tenant: str) -> None:
    row = event_row(tenant, "e-1")
    await store.insert("events", [row])
    got = await store.query(
        "SELECT * EXCEPT (timestamp, ingested) FROM events WHERE tenant = {t:String}",
        {"t": tenant},
    )
    expected = {k: v for k, v in row.items() if k not in ("timestamp", "ingested")}
    assert got == [expected]
    times = await store.query(
        "SELECT toUnixTimestamp64Milli(timestamp) AS ms FROM events WHERE tenant = {t:String}",
        {"t": tenant},
    )
    assert times == [{"ms": NOON_MS}]


async def test_store_final_collapses_redelivered_ids(store: Store, tenant: str) -> None:
    for _ in range(3):  # three separate inserts, as three redeliveries would make
        await store.insert("events", [event_row(tenant, "e-1"), event_row(tenant, "e-2")])
    rows = await store.query(
        "SELECT id, count() AS n FROM events FINAL WHERE tenant = {t:String} "
        "GROUP BY id ORDER BY id",
        {"t": tenant},
    )
    assert rows == [{"id": "e-1", "n": 1}, {"id": "e-2", "n": 1}]


async def test_store_keeps_the_highest_alert_version(store: Store, tenant: str) -> None:
    await store.insert("alerts", [alert_row(tenant, "a-1", version=2, count=5)])
    await store.insert("alerts", [alert_row(tenant, "a-1", version=1, count=1)])  # late, older
    await store.insert("alerts", [alert_row(tenant, "a-1", version=3, count=9)])
    await store.insert("alerts", [alert_row(tenant, "a-1", version=2, count=5)])  # redelivery
    rows = await store.query(
        "SELECT version, count FROM alerts FINAL WHERE tenant = {t:String}", {"t": tenant}
    )
    assert rows == [{"version": 3, "count": 9}]


async def test_store_scopes_by_tenant_array_parameter(store: Store, tenant: str) -> None:
    other = f"{tenant}-other"
    await store.insert("events", [event_row(tenant, "e-1"), event_row(other, "e-2")])
    sql = "SELECT id FROM events FINAL WHERE tenant IN {tenants:Array(String)} ORDER BY id"
    assert await store.query(sql, {"tenants": [tenant]}) == [{"id": "e-1"}]
    assert await store.query(sql, {"tenants": [tenant, other]}) == [{"id": "e-1"}, {"id": "e-2"}]
    assert await store.query(sql, {"tenants": []}) == []


@pytest.mark.usefixtures("berlin_host")
async def test_store_datetimes_are_utc_on_a_berlin_host(
    store: Store, tenant: str, cases: dict[str, dict[str, Any]]
) -> None:
    case = cases["clickhouse-datetime-utc-not-host-local"]
    assert case["input"]["process_env"] == {"TZ": "Europe/Berlin"}
    table = f"findings_{tenant.replace('-', '_')}"
    await store.command(case["input"]["table"].replace("findings", table))
    try:
        finding = case["input"]["finding"]
        stamp = datetime.fromisoformat(finding["@timestamp"])
        await store.insert(table, [{"id": finding["id"], "ts": stamp}])
        for sql, expected in case["expected"].items():
            if sql.startswith("SELECT"):
                got = await store.query(sql.replace("findings", table))
                assert list(got[0].values()) == [expected], sql
        assert case["expected"]["wrong_value_if_naive_local"] != NOON_MS
        read_back = (await store.query(f"SELECT ts FROM {table}"))[0]["ts"]
        # Naive values read back are UTC wall time, never Berlin local time.
        assert read_back.replace(tzinfo=read_back.tzinfo or UTC) == NOON
    finally:
        await store.command(f"DROP TABLE IF EXISTS {table}")
