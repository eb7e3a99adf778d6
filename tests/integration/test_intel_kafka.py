"""Threat intelligence in Kafka mode: ti.indicators on a real broker → the faust correlator's index
→ TI alerts for the right tenant; the correlator starts only once the indicators are loaded."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import orjson
import pytest

from schemas.indicator import Indicator
from services.correlator.faust_app import CorrelatorTopics, FaustCorrelator
from services.correlator.intel_files import IntelFiles
from services.correlator.ioc import IndicatorIndex
from services.correlator.main import CorrelatorWithIntel
from services.correlator.ti_store import IntelFeed, publish
from services.runtime.kafka_bus import KafkaBus
from services.runtime.settings import BusSettings, IntelFile, Settings
from tests.integration.test_correlator_kafka import PARTITIONS, consume, poll
from tests.unit.correlator.factories import event

pytestmark = [pytest.mark.kafka, pytest.mark.timeout(300)]


@pytest.fixture
async def bus(kafka_url: str) -> AsyncIterator[KafkaBus]:
    bus = KafkaBus(BusSettings(url=kafka_url, partitions=PARTITIONS))
    await bus.start()
    yield bus
    await bus.stop()


async def test_indicators_from_the_topic_and_a_file_alert_their_tenants(
    kafka_url: str, bus: KafkaBus, tmp_path: Path
) -> None:
    run = uuid.uuid4().hex[:8]
    acme, globex = f"acme-{run}", f"globex-{run}"
    c2, shared = "203.0.113.44", f"{run}.example.com"
    # Published before the correlator starts, as by `vigie intel load`: read from the beginning.
    await publish(bus, [Indicator(type="domain-name", value=shared, confidence=90)])
    (tmp_path / "acme.csv").write_text(f"type,value\nip,{c2}\n")
    names = CorrelatorTopics(f"it-ecs-{run}", f"it-alerts-{run}", f"it-dlq-{run}")
    await bus.create_topics([names.source, names.alerts, names.dead_letters])
    settings = Settings(bus=BusSettings(url=kafka_url, partitions=PARTITIONS))
    index = IndicatorIndex()
    files = IntelFiles(bus, [IntelFile(path=str(tmp_path / "acme.csv"), tenant=acme)])
    driver = FaustCorrelator(settings, app_id=f"it-intel-{run}", names=names, intel=index)
    service = CorrelatorWithIntel(driver, IntelFeed(bus, index, after=lambda: files.ready), files)
    task = asyncio.create_task(service.run())
    try:
        await poll(lambda: task.done() or service.ready, timeout=120, what="the correlator")
        assert not task.done(), task.result()
        assert index.lookup("domain-name", shared, tenant=globex, at=0)
        assert index.lookup("ip", c2, tenant=acme, at=0)
        events = [
            event(acme, "a1", "10:00:00", destination__ip=c2),
            event(globex, "g1", "10:00:01", destination__ip=c2),  # acme's indicator only
            event(globex, "g2", "10:00:02", dns__question__name=shared),
        ]
        await bus.publish([(names.source, e.tenant, orjson.dumps(e.doc)) for e in events])
        await consume(kafka_url, names.alerts, lambda rs: len(rs) >= 2, timeout=60)
        await asyncio.sleep(1)  # a wrong third alert would have come by now: read all again
        found = await consume(kafka_url, names.alerts, lambda rs: len(rs) > 2, timeout=2)
    finally:
        service.stop()
        await task
    alerts = [(a["tenant"], a["rule"]["id"], a["group"]["indicator"]) for _, a in found]
    assert sorted(alerts) == sorted(
        {
            (acme, "vigie-ti-ipv4-addr", c2),
            (globex, "vigie-ti-domain-name", shared),
        }
    )
