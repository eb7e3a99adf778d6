"""Retro-hunts through ``POST /api/v1/hunts`` and ``vigie hunt``, over events stored by the real
Sink in chDB: tenant scope, time window, order and limit, refusals, and the same answer as the
stream matcher.

chDB opens one data folder per process at a time: the CLI tests come first and open and close
their own store; the API data set (module-scoped) is loaded only after them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import yaml
from typer.testing import CliRunner

from services.api.app import create_app
from services.cli import app as cli
from services.correlator.rules import load_rule_text
from services.runtime.store import Store
from tests.unit.api.data import KEYS, T0, dsn, ecs, make_settings, out, sink_through

DAY = "2026-12-01"
WHOAMI = """
title: Whoami run
id: 5d1f3a52-1b7e-4c8e-9a61-0c2e7d4b9f10
logsource: {product: vigie_test}
detection:
  sel:
    process.command_line|contains: whoami
  condition: sel
"""
CORRELATION = """
title: Base
name: base_rule
id: 0f5e0c4e-5d6b-4a8a-9a0e-5a1f2b3c4d5e
logsource: {product: vigie_test}
detection:
  sel: {user.name: alice}
  condition: sel
---
title: Many
id: 9a8b7c6d-1e2f-4a3b-8c9d-0e1f2a3b4c5d
correlation:
  type: event_count
  rules: [base_rule]
  group-by: [user.name]
  timespan: 5m
  condition: {gte: 3}
"""


def at(minutes: int) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def events() -> list[Any]:
    """Event ``<tenant>-<minute>``; command lines chosen so that ``WHOAMI`` meets some of them."""
    lines = {0: "whoami", 1: "cmd /c WHOAMI /all", 2: "ipconfig", 3: ["x", "whoAmI"], 4: 42}
    made = []
    for tenant in ("tenant-a", "tenant-b"):
        for minute, line in lines.items():
            event_id = f"{tenant[-1]}-{minute}"
            made.append(
                ecs(event_id, tenant, f"r-{event_id}", "edr", **{
                    "@timestamp": at(minute), "process": {"command_line": line},
                })
            )  # fmt: skip
    return made


def bearer(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {KEYS[role]}"}


def fill(folder: Path) -> str:
    """A store at ``folder`` holding ``events()``, closed again; its DSN."""
    store = Store(dsn(folder))

    async def load() -> None:
        await store.start()
        try:
            await sink_through(store, make_settings(), [out(e) for e in events()])
        finally:
            await store.close()

    asyncio.run(load())
    return store.dsn


# --- vigie hunt (first: each opens its own store in this process) ---------------------------------


def invoke(tmp_path: Path, store_dsn: str, *args: str) -> Any:
    config = tmp_path / "vigie.yaml"
    config.write_text(yaml.safe_dump({"store": {"dsn": store_dsn}}))
    rule = tmp_path / "rule.yml"
    if not rule.exists():
        rule.write_text(WHOAMI)
    return CliRunner().invoke(cli, ["hunt", str(rule), "--config", str(config), *args])


def test_cli_hunt_prints_matching_events_as_json_lines(tmp_path: Path) -> None:
    store_dsn = fill(tmp_path / "store")
    result = invoke(tmp_path, store_dsn, "--tenant", "tenant-a", "--since", f"{DAY}T10:00:00Z")
    assert result.exit_code == 0, result.output
    docs = [orjson.loads(line) for line in result.stdout.splitlines()]
    assert [d["event"]["id"] for d in docs] == ["a-0", "a-1", "a-3"]
    windowed = invoke(
        tmp_path, store_dsn, "-t", "tenant-a", "-t", "tenant-b",
        "--since", f"{DAY}T11:01:00+01:00", "--until", f"{DAY}T10:03:00", "--limit", "3",
    )  # fmt: skip
    assert windowed.exit_code == 0, windowed.output
    assert [orjson.loads(x)["event"]["id"] for x in windowed.stdout.splitlines()] == [
        "a-1", "b-1",
    ]  # fmt: skip


def test_cli_hunt_refuses_a_correlation(tmp_path: Path) -> None:
    (tmp_path / "rule.yml").write_text(CORRELATION)
    result = invoke(tmp_path, "chdb:///nowhere", "--tenant", "t", "--since", f"{DAY}T10:00:00")
    assert result.exit_code == 2
    assert "hunts run single-event rules" in result.stderr


def test_cli_hunt_points_to_the_api_when_the_store_cannot_be_read(tmp_path: Path) -> None:
    result = invoke(tmp_path, "http://127.0.0.1:9", "--tenant", "t", "--since", f"{DAY}T10:00:00")
    assert result.exit_code == 1
    assert "POST /api/v1/hunts" in result.stderr


# --- POST /api/v1/hunts ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = Store(fill(tmp_path_factory.mktemp("hunts") / "store"))
    asyncio.run(store.start())
    yield store
    asyncio.run(store.close())


@pytest.fixture
async def http(dataset: Store) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(make_settings(), dataset))
    async with httpx.AsyncClient(transport=transport, base_url="http://vigie.test") as client:
        yield client


async def post(
    http: httpx.AsyncClient, role: str, body: dict[str, Any], **params: str
) -> httpx.Response:
    return await http.post("/api/v1/hunts", json=body, params=params, headers=bearer(role))


def ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["count"] == len(body["items"])
    return [item["event"]["id"] for item in body["items"]]


@pytest.mark.parametrize(
    ("role", "params", "expected"),
    [
        ("tenant-a", {}, ["a-0", "a-1", "a-3"]),
        ("tenant-b", {}, ["b-0", "b-1", "b-3"]),
        ("tenant-a", {"tenant": "tenant-a"}, ["a-0", "a-1", "a-3"]),
        ("analyst", {}, ["a-0", "b-0", "a-1", "b-1", "a-3", "b-3"]),
        ("analyst", {"tenant": "tenant-b"}, ["b-0", "b-1", "b-3"]),
        ("analyst", {"tenant": "tenant-z"}, []),
    ],
)
async def test_hunt_sees_only_the_callers_tenants(
    http: httpx.AsyncClient, role: str, params: dict[str, str], expected: list[str]
) -> None:
    body = {"rule": WHOAMI, "since": f"{DAY}T10:00:00Z"}
    assert ids(await post(http, role, body, **params)) == expected


async def test_hunt_answers_what_the_stream_matcher_matches(http: httpx.AsyncClient) -> None:
    response = await post(http, "analyst", {"rule": WHOAMI, "since": f"{DAY}T00:00:00Z"})
    (rule,) = load_rule_text(WHOAMI).detections
    stored = [orjson.loads(orjson.dumps(e.root)) for e in events()]
    assert set(ids(response)) == {d["event"]["id"] for d in stored if rule.matches(d)}


async def test_hunt_shows_the_query_it_ran(http: httpx.AsyncClient) -> None:
    body = {"rule": WHOAMI, "since": f"{DAY}T10:00:00Z", "until": f"{DAY}T11:00:00Z"}
    sql = (await post(http, "tenant-a", body)).json()["sql"]
    assert "WHERE tenant IN {tenants:Array(String)}" in sql["text"]
    assert "whoami" not in sql["text"]
    assert sql["parameters"]["tenants"] == ["tenant-a"]
    assert "whoami" in sql["parameters"].values() or ["whoami"] in sql["parameters"].values()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"since": f"{DAY}T10:01:00Z", "until": f"{DAY}T10:03:00Z"}, ["a-1"]),
        ({"since": f"{DAY}T11:00:00+01:00", "limit": 2}, ["a-0", "a-1"]),
        ({"since": f"{DAY}T10:04:00Z"}, []),
    ],
)
async def test_hunt_window_and_limit(
    http: httpx.AsyncClient, body: dict[str, Any], expected: list[str]
) -> None:
    assert ids(await post(http, "tenant-a", {"rule": WHOAMI, **body})) == expected


@pytest.mark.parametrize(
    ("rule", "reason"),
    [
        ("title: [unclosed", "invalid YAML"),
        (WHOAMI.replace("|contains", "|nosuchmodifier"), "nosuchmodifier"),
        (CORRELATION, "hunts run single-event rules"),
        (WHOAMI + "---\n" + WHOAMI.replace("5d1f3a52", "6e2f4b63"), "give exactly one Sigma rule"),
        (WHOAMI.replace("process.command_line", ".".join("abcdefghijklmnopqrstuvwxyzabcdefgh")),
         "hunts follow at most 32"),
    ],
)  # fmt: skip
async def test_hunt_refuses_a_rule_it_cannot_run_exactly(
    http: httpx.AsyncClient, rule: str, reason: str
) -> None:
    response = await post(http, "tenant-a", {"rule": rule, "since": f"{DAY}T10:00:00Z"})
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_rule"
    assert reason in response.json()["detail"]


@pytest.mark.parametrize(
    ("role", "body", "params", "status"),
    [
        ("tenant-a", {"rule": WHOAMI, "since": f"{DAY}T10:00:00Z"}, {"tenant": "tenant-b"}, 403),
        ("tenant-a", {"rule": WHOAMI}, {}, 422),
        ("tenant-a", {"rule": WHOAMI, "since": f"{DAY}T10:00:00Z", "limit": 0}, {}, 422),
        ("tenant-a", {"rule": WHOAMI, "since": f"{DAY}T10:00:00Z", "extra": 1}, {}, 422),
        ("tenant-a", {"rule": WHOAMI, "since": f"{DAY}T10:00:00Z",
                      "until": f"{DAY}T10:00:00Z"}, {}, 400),
    ],
)  # fmt: skip
async def test_hunt_rejects_bad_requests(
    http: httpx.AsyncClient, role: str, body: dict[str, Any], params: dict[str, str], status: int
) -> None:
    response = await post(http, role, body, **params)
    assert response.status_code == status
    codes = {400: "bad_request", 403: "forbidden", 422: "invalid_request"}
    assert response.json()["error"] == codes[status]


async def test_hunt_needs_an_api_key(http: httpx.AsyncClient) -> None:
    response = await http.post("/api/v1/hunts", json={"rule": WHOAMI, "since": f"{DAY}T10:00Z"})
    assert response.status_code == 401


async def test_hunt_keeps_injection_attempts_inert(http: httpx.AsyncClient, dataset: Store) -> None:
    hostile = WHOAMI.replace(
        "process.command_line|contains: whoami",
        'process.command_line|contains: "x\'); DROP TABLE events; --\\\\"',
    )
    response = await post(http, "analyst", {"rule": hostile, "since": f"{DAY}T10:00:00Z"})
    assert ids(response) == []
    count = await dataset.query("SELECT count() AS n FROM events FINAL")
    assert count[0]["n"] == len(events())
