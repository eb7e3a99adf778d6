"""The faust correlator on a real Kafka broker: SSH brute-force alerts per tenant, kill -9, restart.

Events are shaped like the normalizer's sshd output for ``Failed password`` lines; the builtin
rule ``ssh_brute_force`` fires at ten failures from one ``source.ip`` within five minutes and
re-emits the same alert id with a growing count for every further failure.
"""

from __future__ import annotations

import asyncio
import inspect
import time
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import yaml
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import TopicPartition
from prometheus_client import REGISTRY

from schemas import topics
from services.correlator.faust_app import APP_ID, CorrelatorTopics, FaustCorrelator
from services.runtime.kafka_bus import KafkaBus, bootstrap_servers
from services.runtime.settings import BusSettings, Settings
from tests.e2e.harness import free_port, stop, vigie

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(300)]

PARTITIONS = 3
BASE = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
BRUTE_FORCE = "a2033ab1-eb99-4e16-9e12-9a4c2fca235c"  # builtin_rules/linux/ssh_brute_force.yml
ATTACKER, OTHER = "203.0.113.10", "198.51.100.7"

Records = list[tuple[str, str, bytes]]  # topic, key, value
Alerts = dict[str, dict[str, Any]]  # alert id → its highest version


def event_id(tenant: str, n: int) -> str:
    return f"{tenant}-ssh-{n}"


def sshd_failure(tenant: str, n: int, ip: str) -> bytes:
    """The normalizer's ECS for ``sshd: Failed password for root from <ip>``, n seconds in."""
    return orjson.dumps({
        "@timestamp": (BASE + timedelta(seconds=n)).isoformat().replace("+00:00", "Z"),
        "event": {"id": event_id(tenant, n), "kind": "event", "module": "system",
                  "dataset": "system.auth", "category": ["authentication"], "type": ["info"],
                  "action": "ssh_login", "outcome": "failure"},
        "organization": {"id": tenant},
        "process": {"name": "sshd"},
        "source": {"ip": ip, "port": 40000 + n},
        "user": {"name": "root"},
        "system": {"auth": {"ssh": {"event": "Failed", "method": "password"}}},
        "related": {"user": ["root"], "ip": [ip]},
    })  # fmt: skip


def sshd_failures(topic: str, tenant: str, ip: str, numbers: range) -> Records:
    return [(topic, tenant, sshd_failure(tenant, n, ip)) for n in numbers]


def summary(alerts: Alerts) -> dict[tuple[str, str], list[tuple[str, int, int]]]:
    """(tenant, source.ip) → [(rule id, count, version)] of the latest version of each alert."""
    out: dict[tuple[str, str], list[tuple[str, int, int]]] = {}
    for a in alerts.values():
        key = (a["tenant"], a["group"].get("source.ip", ""))
        out.setdefault(key, []).append((a["rule"]["id"], a["count"], a["version"]))
    return out


def reached(expected: dict[tuple[str, str], int]) -> Callable[[Alerts], bool]:
    """True once every expected group has an alert whose count reached the expected one."""

    def check(alerts: Alerts) -> bool:
        found = summary(alerts)
        return all(any(c >= n for _, c, _ in found.get(g, [])) for g, n in expected.items())

    return check


Record = tuple[bytes, dict[str, Any]]  # key, decoded value


async def consume(url: str, topic: str, until: Callable[[list[Record]], bool],
                  timeout: float = 90) -> list[Record]:  # fmt: skip
    """The records of ``topic`` from its start, read until ``until`` holds or time is up."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap_servers(url), auto_offset_reset="earliest"
    )
    await consumer.start()
    found: list[Record] = []
    deadline = time.monotonic() + timeout
    try:
        while not until(found) and time.monotonic() < deadline:
            for messages in (await consumer.getmany(timeout_ms=500)).values():
                found += [(m.key, orjson.loads(m.value)) for m in messages]
    finally:
        await consumer.stop()
    return found


def latest_of(records: list[Record], tenants: set[str]) -> Alerts:
    """The highest version of each alert of ``tenants``; each must be keyed by its tenant."""
    latest: Alerts = {}
    for key, alert in records:
        if alert["tenant"] in tenants:
            assert key == alert["tenant"].encode(), "alerts are keyed by tenant"
            if alert["version"] > latest.get(alert["id"], {}).get("version", 0):
                latest[alert["id"]] = alert
    return latest


async def alerts_of(url: str, topic: str, expected: dict[tuple[str, str], int]) -> Alerts:
    """Alerts of the expected tenants, read until each expected group reached its count."""
    tenants = {tenant for tenant, _ in expected}
    done = reached(expected)
    return latest_of(await consume(url, topic, lambda rs: done(latest_of(rs, tenants))), tenants)


async def poll(check: Callable[[], Any], *, timeout: float, what: str) -> Any:
    """The first truthy result of ``check`` (a value or an awaitable), polled every 0.1 s."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if inspect.isawaitable(last):
                last = await last
            if last:
                return last
        except (httpx.HTTPError, OSError) as exc:
            last = exc
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


@pytest.fixture
async def bus(kafka_url: str) -> AsyncIterator[KafkaBus]:
    bus = KafkaBus(BusSettings(url=kafka_url, partitions=PARTITIONS))
    await bus.start()
    yield bus
    await bus.stop()


def processed(outcome: str) -> float:
    return REGISTRY.get_sample_value("vigie_correlator_records_total", {"outcome": outcome}) or 0


async def test_brute_force_alerts_per_tenant(kafka_url: str, bus: KafkaBus) -> None:
    run = uuid.uuid4().hex[:8]
    names = CorrelatorTopics(f"it-ecs-{run}", f"it-alerts-{run}", f"it-dlq-{run}")
    await bus.create_topics([names.source, names.alerts, names.dead_letters])
    acme, globex = f"acme-{run}", f"globex-{run}"
    settings = Settings(bus={"url": kafka_url, "partitions": PARTITIONS})
    correlator = FaustCorrelator(settings, app_id=f"it-correlator-{run}", names=names)
    ok_before, dead_before = processed("ok"), processed("dead_letter")
    task = asyncio.create_task(correlator.run())
    try:
        await poll(lambda: task.done() or correlator.ready, timeout=90, what="faust ready")
        assert not task.done(), task.result()
        # globex sees four failures from acme's attacker: below the threshold in globex alone.
        await bus.publish(
            sshd_failures(names.source, acme, ATTACKER, range(12))
            + sshd_failures(names.source, globex, OTHER, range(10))
            + sshd_failures(names.source, globex, ATTACKER, range(100, 104))
            + [(names.source, acme, b"not json {")]
        )
        await poll(lambda: processed("ok") - ok_before >= 26, timeout=60, what="26 events")
        expected = {(acme, ATTACKER): 12, (globex, OTHER): 10}
        alerts = await alerts_of(kafka_url, names.alerts, expected)
        dead = await consume(kafka_url, names.dead_letters, lambda rs: len(rs) >= 1)
    finally:
        correlator.stop()
        await task

    assert summary(alerts) == {
        (acme, ATTACKER): [(BRUTE_FORCE, 12, 3)],
        (globex, OTHER): [(BRUTE_FORCE, 10, 1)],
    }
    by_tenant = {a["tenant"]: a for a in alerts.values()}
    assert by_tenant[acme]["event_ids"] == [event_id(acme, n) for n in range(12)]
    assert by_tenant[globex]["event_ids"] == [event_id(globex, n) for n in range(10)]
    assert [(key, d["tenant"], d["stage"], d["source_topic"], d["payload"]) for key, d in dead] == [
        (acme.encode(), acme, "correlator", names.source, "not json {")
    ]
    assert dead[0][1]["error"].startswith("undecodable")
    assert (processed("ok") - ok_before, processed("dead_letter") - dead_before) == (26, 1)


# --- restart: `vigie serve correlator` as a subprocess, killed with SIGKILL -------------------


def scrape(port: int, name: str, labels: str) -> float:
    """One sample of the service's /metrics, 0 when absent."""
    body = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    prefix = f"{name}{{{labels}}} "
    return next((float(line[len(prefix):]) for line in body.splitlines()
                 if line.startswith(prefix)), 0.0)  # fmt: skip


async def uncommitted(url: str) -> int:
    """Records of ``ecs.events`` the correlator's consumer group has not committed."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers(url))
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers(url))
    await admin.start()
    await consumer.start()
    try:
        tps = [TopicPartition(topics.ECS_EVENTS, p) for p in range(PARTITIONS)]
        ends = await consumer.end_offsets(tps)
        committed = await admin.list_consumer_group_offsets(APP_ID, partitions=tps)
        done = {tp: (meta.offset if meta is not None and meta.offset >= 0 else 0)
                for tp, meta in committed.items()}  # fmt: skip
        return sum(ends[tp] - done.get(tp, 0) for tp in tps)
    finally:
        await consumer.stop()
        await admin.close()


async def all_committed(url: str) -> bool:
    return await uncommitted(url) == 0


class CorrelatorProcess:
    """``vigie serve correlator`` with its ops port, started and stopped by the test."""

    def __init__(self, config: Path, log: Path) -> None:
        self.port = free_port()
        self.proc = vigie("serve", "correlator", "--config", str(config),
                          "--ops-listen", f"127.0.0.1:{self.port}", log=log)  # fmt: skip
        self.started = time.monotonic()

    async def ready(self) -> float:
        def check() -> bool:
            assert self.proc.poll() is None, "vigie serve correlator exited"
            return httpx.get(f"http://127.0.0.1:{self.port}/readyz", timeout=5).status_code == 200

        await poll(check, timeout=150, what="the correlator to be ready")
        return time.monotonic() - self.started

    def metric(self, name: str, labels: str) -> float:
        return scrape(self.port, name, labels)


async def first_life(
    correlator: CorrelatorProcess, bus: KafkaBus, url: str, acme: str, globex: str
) -> None:
    """Six of acme's failures and five of globex's, committed; two more, killed at once."""
    try:
        print("first start ready after", round(await correlator.ready(), 1), "s")
        # Once committed, what a new process knows of these comes from the changelog only.
        await bus.publish(
            sshd_failures(topics.ECS_EVENTS, acme, ATTACKER, range(6))
            + sshd_failures(topics.ECS_EVENTS, globex, ATTACKER, range(5))
        )
        await poll(lambda: all_committed(url), timeout=120, what="a commit of them")
        handled = correlator.metric("vigie_correlator_records_total", 'outcome="ok"')
        await bus.publish(sshd_failures(topics.ECS_EVENTS, acme, ATTACKER, range(6, 8)))
        await poll(lambda: correlator.metric("vigie_correlator_records_total", 'outcome="ok"')
                   >= handled + 2, timeout=60, what="two more events")  # fmt: skip
    finally:
        stop(correlator.proc, kill=True)  # most likely before the commit of the last two


async def second_life(
    correlator: CorrelatorProcess, bus: KafkaBus, url: str, acme: str, globex: str, redelivered: int
) -> tuple[Alerts, float]:
    """The rest of both sequences; the alerts, and the hits the process found already counted."""
    try:
        print("restart after kill -9 ready after", round(await correlator.ready(), 1), "s;",
              redelivered, "events to read again")  # fmt: skip
        await bus.publish(
            sshd_failures(topics.ECS_EVENTS, acme, ATTACKER, range(8, 12))
            + sshd_failures(topics.ECS_EVENTS, globex, ATTACKER, range(5, 10))
        )
        expected = {(acme, ATTACKER): 12, (globex, ATTACKER): 10}
        alerts = await alerts_of(url, topics.ALERTS, expected)
        return alerts, correlator.metric(
            "vigie_correlator_outcomes_total", 'outcome="hits_duplicate"'
        )
    finally:
        stop(correlator.proc)


async def test_restart_after_kill_counts_every_event_once(
    kafka_url: str, bus: KafkaBus, tmp_path: Path
) -> None:
    run = uuid.uuid4().hex[:8]
    acme, globex = f"acme-{run}", f"globex-{run}"
    config = tmp_path / "vigie.yaml"
    config.write_text(yaml.safe_dump({
        "data_dir": str(tmp_path / "data"),
        "bus": {"url": kafka_url, "partitions": PARTITIONS},
    }))  # fmt: skip
    log = tmp_path / "correlator.log"
    try:
        await first_life(CorrelatorProcess(config, log), bus, kafka_url, acme, globex)
        redelivered = await uncommitted(kafka_url)
        second = CorrelatorProcess(config, log)
        alerts, duplicates = await second_life(second, bus, kafka_url, acme, globex, redelivered)
    finally:
        print(log.read_text()[-6000:])
    assert second.proc.returncode == 0, "vigie serve correlator did not stop cleanly on SIGTERM"

    assert summary(alerts) == {
        (acme, ATTACKER): [(BRUTE_FORCE, 12, 3)],
        (globex, ATTACKER): [(BRUTE_FORCE, 10, 1)],
    }
    by_tenant = {a["tenant"]: a for a in alerts.values()}
    assert by_tenant[acme]["event_ids"] == [event_id(acme, n) for n in range(12)]
    assert by_tenant[globex]["event_ids"] == [event_id(globex, n) for n in range(10)]
    if redelivered:
        # The uncommitted events were read again and recognised, not counted a second time.
        assert duplicates >= redelivered
