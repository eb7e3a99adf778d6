"""The normalizer Worker from ``build()`` on a MemoryBus: every raw record is accounted for."""

from __future__ import annotations

import asyncio

from schemas import topics
from schemas.codec import decode, encode
from schemas.dlq import DeadLetter
from schemas.ecs import EcsEvent
from services.normalizer.main import build, source_timezones
from services.runtime.memory_bus import MemoryBus
from services.runtime.settings import Settings
from tests.unit.normalizer.factories import raw_event

DLQ = topics.dlq("normalizer")


def settings() -> Settings:
    tenants = [
        {
            "id": "acme",
            "syslog": [
                {"transport": "udp", "listen": "0.0.0.0:5514", "timezone": "Europe/Paris"},
                {"transport": "tcp", "listen": "0.0.0.0:6514"},
            ],
        },
        {
            "id": "globex",
            "syslog": [{"transport": "udp", "listen": "0.0.0.0:7514", "source": "gx"}],
        },
    ]
    return Settings.model_validate(
        {"tenants": tenants, "normalizer": {"default_timezone": "America/New_York"}}
    )


def test_main_timezones_only_for_listeners_that_set_one() -> None:
    assert source_timezones(settings()) == {"syslog-udp:0.0.0.0:5514": "Europe/Paris"}


def inputs() -> list[tuple[str, bytes]]:
    """(key, value) records for raw.events: good lines and hostile ones."""
    good = [
        raw_event(
            f"Mar  1 10:00:{n:02d} h sshd[{n}]: "
            f"Failed password for root from 203.0.113.9 port {n} ssh2",
            id=f"good-{n}",
        )
        for n in range(20)
    ]
    hostile = [
        raw_event("", id="empty"),
        raw_event("x", id="unknown-format", format="no-such-format"),
        raw_event(b"\xff\xfe\x00 binary \xc3", id="bad-utf8"),
        raw_event("<13>1 - - - - - [unclosed", id="bad-sd", tenant="globex"),
        raw_event("A" * 60_000, id="long", truncated=True),
    ]
    records = [(r.tenant, encode(r)) for r in [*good, *hostile]]
    return [*records, ("acme", b"{not json"), ("acme", b'{"id": "missing-fields"}')]


async def test_main_worker_accounts_for_every_record() -> None:
    bus = MemoryBus()
    records = inputs()
    await bus.publish([(topics.RAW_EVENTS, key, value) for key, value in records])
    worker = build(settings(), bus)
    task = asyncio.create_task(worker.run())

    def produced() -> int:
        return bus.topic(topics.ECS_EVENTS).end + bus.topic(DLQ).end

    try:
        async with asyncio.timeout(20):
            while produced() < len(records) or uncommitted(bus):
                await asyncio.sleep(0.01)
    finally:
        worker.stop()
        await task

    events = {
        e.id: e for e in (decode(r.value, EcsEvent) for r in bus.topic(topics.ECS_EVENTS).log)
    }
    letters = [decode(r.value, DeadLetter) for r in bus.topic(DLQ).log]
    assert len(events) + len(letters) == len(records) == 27
    assert set(events) == {f"good-{n}" for n in range(20)} | {"bad-utf8", "bad-sd", "long"}
    # empty, unknown format, and the two values that are no RawEvent (dead-lettered by the Worker)
    assert len(letters) == 4
    assert {d.record_id for d in letters} >= {"empty", "unknown-format"}
    assert [r.key for r in bus.topic(topics.ECS_EVENTS).log].count("globex") == 1
    assert events["bad-sd"].tenant == "globex"
    assert events["bad-utf8"].doc["vigie"]["flags"] == ["invalid_utf8"]
    assert events["long"].doc["vigie"]["flags"] == ["truncated"]
    assert events["good-3"].doc["source"] == {"ip": "203.0.113.9", "port": 3}
    assert bus.topic(topics.RAW_EVENTS).committed["normalizer"] == len(records)


def uncommitted(bus: MemoryBus) -> bool:
    """True while the normalizer group has not committed every raw record."""
    topic = bus.topic(topics.RAW_EVENTS)
    return topic.committed.get("normalizer", 0) < topic.end
