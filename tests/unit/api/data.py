"""Test data for the sink and API tests: settings with two tenants and an analyst, message
builders with fixed times (example data only), and ``sink_through``, which publishes messages on
a MemoryBus and runs the real Sink until every one is committed.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from schemas.action import ActionRequest, ActionResult
from schemas.alert import Alert, RuleRef
from schemas.codec import encode
from schemas.dlq import DeadLetter
from schemas.ecs import EcsEvent
from schemas.raw import RawEvent
from schemas.topics import topic_of
from services.api.sink import SINK_TOPICS, Sink
from services.runtime.bus import Outgoing
from services.runtime.memory_bus import MemoryBus
from services.runtime.settings import ApiSettings, Settings, TenantSettings
from services.runtime.store import Store

KEYS = {"tenant-a": "key-a-0f1e2d", "tenant-b": "key-b-3c4b5a", "analyst": "key-soc-6978"}
T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def sha256(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def make_settings(*, page_limit: int = 100, cursor_secret: str = "unit-test-secret") -> Settings:
    return Settings(
        tenants=[
            TenantSettings(
                id="tenant-a", api_keys_sha256=[sha256(KEYS["tenant-a"])], retention_days=90
            ),
            TenantSettings(id="tenant-b", api_keys_sha256=[sha256(KEYS["tenant-b"])]),
        ],
        analyst_keys_sha256=[sha256(KEYS["analyst"])],
        api=ApiSettings(cursor_secret=cursor_secret, page_limit=page_limit),
    )


def dsn(folder: Path) -> str:
    return f"chdb:///{folder.as_posix().lstrip('/')}"


def out(message: Any) -> Outgoing:
    """A message as its producer publishes it: topic by model, keyed by tenant."""
    return topic_of(message), message.tenant, encode(message)


async def sink_through(
    store: Store, settings: Settings, records: Sequence[Outgoing], *, bus: MemoryBus | None = None
) -> MemoryBus:
    """Publish ``records`` (on ``bus``, else a new one) and run a Sink until all are committed."""
    bus = bus or MemoryBus()
    await bus.publish(records)
    sink = Sink(bus, store, settings=settings)
    task = asyncio.create_task(sink.run())
    try:
        async with asyncio.timeout(30):
            while any(bus.depth(t) for t in SINK_TOPICS):
                if task.done():
                    task.result()
                    raise AssertionError("the sink stopped before storing everything")
                await asyncio.sleep(0.02)
    finally:
        sink.stop()
        await task
    return bus


def alert(
    alert_id: str,
    tenant: str,
    last_seen: datetime,
    *,
    level: str = "high",
    rule: str = "rule-brute",
    version: int = 1,
    count: int = 1,
) -> Alert:
    return Alert(
        id=alert_id,
        tenant=tenant,
        rule=RuleRef(id=rule, title=f"Title of {rule}", level=level, tags=["attack.t1110"]),
        threat={"technique": {"id": ["T1110"]}},
        group={"source.ip": "203.0.113.7"},
        first_seen=T0,
        last_seen=last_seen,
        count=count,
        event_ids=[f"{alert_id}-e{i}" for i in range(count)],
        risk_score=42.0,
        version=version,
    )


def raw(raw_id: str, tenant: str, source: str, *, truncated: bool = False) -> RawEvent:
    return RawEvent(
        id=raw_id,
        tenant=tenant,
        source=source,
        received_at=T0,
        transport="tcp",
        peer="192.0.2.10",
        format="syslog",
        data=f"<13>Dec  1 10:00:00 host-1 sshd[1]: line {raw_id}",
        truncated=truncated,
    )


def ecs(event_id: str, tenant: str, raw_id: str, source: str, **fields: Any) -> EcsEvent:
    doc: dict[str, Any] = {
        "@timestamp": "2026-12-01T10:00:00Z",
        "event": {"id": event_id, "category": ["authentication"], "outcome": "failure"},
        "organization": {"id": tenant},
        "vigie": {"raw_id": raw_id, "source": source},
        "source": {"ip": "203.0.113.7"},
        "host": {"name": "host-1.example.com"},
        "user": {"name": "alice"},
        "message": f"event {event_id}",
    }
    doc.update(fields)
    return EcsEvent(doc)


def action_request(action_id: str, tenant: str, alert_id: str, at: datetime) -> ActionRequest:
    return ActionRequest(
        id=action_id,
        tenant=tenant,
        alert_id=alert_id,
        playbook="block-attacker",
        step=1,
        adapter="nftables",
        action="block_ip",
        target={"ip": "203.0.113.7"},
        requested_at=at,
    )


def action_result(action_id: str, request: ActionRequest, at: datetime) -> ActionResult:
    return ActionResult(
        id=action_id,
        request_id=request.id,
        tenant=request.tenant,
        alert_id=request.alert_id,
        playbook=request.playbook,
        step=request.step,
        adapter=request.adapter,
        action=request.action,
        target=request.target,
        status="succeeded",
        finished_at=at,
    )


def dead_letter(stage: str, record_id: str, tenant: str, source: str) -> DeadLetter:
    return DeadLetter(
        id=f"{stage}-{record_id}",
        tenant=tenant,
        stage=stage,
        source_topic="raw.events",
        record_id=record_id,
        source=source,
        error="ParseError: no parser matched",
        payload="garbage",
        at=T0,
    )
