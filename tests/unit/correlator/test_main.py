"""Correlator wiring: rules from settings or the builtin folder, tenants' disabled rules, state."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import orjson
import pytest

from schemas import topics
from schemas.codec import encode
from services.correlator.main import build
from services.correlator.state import MemoryState
from services.runtime.bus import Record
from services.runtime.memory_bus import MemoryBus
from services.runtime.settings import Settings
from tests.unit.correlator.factories import IP, sshd_event

pytest.importorskip("services.correlator.rules")


def records(tenant: str, count: int) -> list[Record]:
    events = [
        sshd_event(f"{tenant}{i}", f"10:00:{i:02}", "Failed", "failure", "root")
        for i in range(count)
    ]
    out = []
    for offset, event in enumerate(events):
        doc = event.doc | {"organization": {"id": tenant}}
        out.append(Record(topics.ECS_EVENTS, tenant, orjson.dumps(doc), offset=offset))
    return out


def settings(**values: Any) -> Settings:
    return Settings(data_dir=Path("unused"), **values)


async def test_builtin_rules_turn_failures_into_a_brute_force_alert() -> None:
    state = MemoryState()
    worker = build(settings(), MemoryBus(settings().bus), state=state)
    out = await worker.process(records("acme", 10))
    assert worker.stage == "correlator"
    assert [(topic, key) for topic, key, _ in out] == [(topics.ALERTS, "acme")]
    alert = orjson.loads(out[0][2])
    assert (alert["rule"]["title"], alert["count"], alert["group"]) == (
        "SSH brute force from one source address", 10, {"source.ip": IP},
    )  # fmt: skip
    assert state.keys()  # the given store holds the windows


async def test_a_tenant_disabled_rule_is_off_for_that_tenant_only() -> None:
    cfg = settings(
        tenants=[{"id": "acme", "disabled_rules": ["ssh_brute_force"]}, {"id": "globex"}]
    )
    worker = build(cfg, MemoryBus(cfg.bus))
    assert await worker.process(records("acme", 10)) == []
    assert [key for _, key, _ in await worker.process(records("globex", 10))] == ["globex"]


async def test_an_event_without_a_valid_time_is_dead_lettered() -> None:
    worker = build(settings(), MemoryBus(settings().bus))
    doc = {"@timestamp": "yesterday", "event": {"id": "x"}, "organization": {"id": "acme"}}
    bad = Record(topics.ECS_EVENTS, "acme", orjson.dumps(doc), offset=0)
    [(topic, key, value)] = await worker.process([bad])
    assert (topic, key) == (topics.dlq("correlator"), "acme")
    assert "@timestamp" in orjson.loads(value)["error"]


def test_rule_load_errors_are_logged_with_their_reason(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "broken.yml").write_text(
        "title: broken\nlogsource: {product: linux}\ndetection: {}\n"
    )
    cfg = settings(rules={"sigma": [str(tmp_path)]})
    with caplog.at_level(logging.WARNING, logger="services.correlator.main"):
        build(cfg, MemoryBus(cfg.bus))
    [record] = [r for r in caplog.records if r.getMessage() == "rule not loaded"]
    assert record.path.endswith("broken.yml") and record.reason  # type: ignore[attr-defined]


def test_encode_is_the_worker_codec() -> None:
    # records() builds bytes by hand; pin that they equal what the normalizer publishes.
    event = sshd_event("e1", "10:00:00", "Failed", "failure", "root")
    assert orjson.loads(encode(event)) == event.doc
