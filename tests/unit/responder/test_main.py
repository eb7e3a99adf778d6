from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from prometheus_client import REGISTRY

from schemas import topics
from schemas.action import ActionRequest, ActionResult
from schemas.alert import Level
from schemas.codec import decode, encode
from schemas.dlq import DeadLetter
from services.responder.adapters.webhook import Webhook
from services.responder.main import ConfigError, adapters_of, build
from services.runtime.memory_bus import MemoryBus
from services.runtime.settings import ResponderSettings, Settings
from tests.unit.responder.support import make_alert

LEVELS: tuple[Level, ...] = ("informational", "low", "medium", "high", "critical")
ACTION_KINDS = {"request": ActionRequest, "result": ActionResult}


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as http:
        yield http


def settings(**responder: Any) -> Settings:
    return Settings(responder=ResponderSettings(**responder))


async def _read(bus: MemoryBus, topic: str, count: int) -> list[bytes]:
    consumer = bus.consumer([topic], "test-reader")
    await consumer.start()
    values: list[bytes] = []
    async with asyncio.timeout(10):
        while len(values) < count:
            values += [r.value for r in await consumer.poll(100, timeout=0.2)]
    return values


async def test_worker_publishes_every_request_and_result_of_every_alert() -> None:
    bus = MemoryBus()
    alerts = [
        make_alert(f"alert-{i}", level=LEVELS[i % 5], group={"source.ip": f"203.0.113.{i}"})
        for i in range(40)
    ]
    await bus.publish([(topics.ALERTS, a.tenant, encode(a)) for a in alerts])
    await bus.publish([(topics.ALERTS, "acme", b"{not an alert")])
    worker = build(settings(), bus)  # the shipped default playbook: dry_run notify >= high
    counted = {"adapter": "dry_run", "status": "dry_run"}
    before = REGISTRY.get_sample_value("vigie_responder_actions_total", counted) or 0.0
    running = asyncio.create_task(worker.run())
    try:
        acted = [a.id for a in alerts if LEVELS.index(a.rule.level) >= LEVELS.index("high")]
        values = await _read(bus, topics.ACTIONS, 2 * len(acted))
        [dead] = await _read(bus, topics.dlq("responder"), 1)
    finally:
        worker.stop()
        await running
    actions = [decode(v, ACTION_KINDS[orjson.loads(v)["kind"]]) for v in values]
    assert len({a.id for a in actions}) == len(actions) == 2 * len(acted)
    assert Counter((a.alert_id, a.kind) for a in actions) == Counter(
        {(alert_id, kind): 1 for alert_id in acted for kind in ("request", "result")}
    )
    assert {a.status for a in actions if isinstance(a, ActionResult)} == {"dry_run"}
    assert "undecodable" in decode(dead, DeadLetter).error
    assert bus.depth(topics.ALERTS) == 0  # every input committed
    after = REGISTRY.get_sample_value("vigie_responder_actions_total", counted)
    assert after == before + len(acted)


def test_build_lists_every_playbook_error(tmp_path: Path) -> None:
    (tmp_path / "bad.yml").write_text("id: x\ntitle: t\nsteps: []\n")
    with pytest.raises(ConfigError) as caught:
        build(settings(playbooks=[str(tmp_path), str(tmp_path / "absent")]), MemoryBus())
    message = str(caught.value)
    assert f"{tmp_path / 'bad.yml'}: document 1: trigger: Field required" in message
    assert f"{tmp_path / 'absent'}: no such file or directory" in message


def test_build_refuses_a_playbook_step_for_an_unconfigured_adapter(tmp_path: Path) -> None:
    (tmp_path / "p.yml").write_text(
        "id: p\ntitle: t\ntrigger: {min_level: high}\nsteps: [{adapter: webhook, action: notify}]\n"
    )
    with pytest.raises(ConfigError, match="p step 0: adapter 'webhook' is not configured"):
        build(settings(playbooks=[str(tmp_path)]), MemoryBus())


@pytest.mark.parametrize(
    ("blocks", "problem"),
    [
        ({"crowdstrik": {}}, "crowdstrik: unknown adapter; known: dry_run, webhook"),
        ({"webhook": {}}, "responder.adapters.webhook: url: Field required"),
        ({"webhook": {"url": "ftp://example.com/x"}}, "webhook: url: URL scheme"),
        ({"webhook": {"url": "https://example.com", "retries": 99}}, "webhook: retries: Input"),
        ({"dry_run": {"verbose": True}}, "responder.adapters.dry_run: verbose: Extra inputs"),
    ],
)
async def test_adapters_of_fails_on_bad_block(
    blocks: dict[str, Any], problem: str, client: httpx.AsyncClient
) -> None:
    with pytest.raises(ConfigError, match="misconfigured") as caught:
        adapters_of(blocks, client)
    assert problem in str(caught.value)


async def test_adapters_of_never_echoes_a_misplaced_secret(client: httpx.AsyncClient) -> None:
    block = {"url": "https://example.com/hook", "secrt": "s3cr3t-value"}
    with pytest.raises(ConfigError) as caught:
        adapters_of({"webhook": block}, client)
    assert "secrt: Extra inputs are not permitted" in str(caught.value)
    assert "s3cr3t-value" not in str(caught.value)


async def test_adapters_of_needs_a_client_for_io_adapters_only(client: httpx.AsyncClient) -> None:
    assert set(adapters_of({}, None)) == {"dry_run"}
    with pytest.raises(ConfigError, match="webhook: needs an HTTP client"):
        adapters_of({"webhook": {"url": "https://example.com/hook"}}, None)
    built = adapters_of({"webhook": {"url": "https://example.com/hook"}}, client)
    assert isinstance(built["webhook"], Webhook)
    assert str(built["webhook"].config.url) == "https://example.com/hook"
