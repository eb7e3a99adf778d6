"""TI alerts: rule, level and ECS threat of the indicator; one episode per tenant, value, field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from schemas.alert import Alert
from schemas.ecs import EcsEvent
from schemas.indicator import Indicator
from services.correlator.core import Correlator
from services.correlator.ioc import IndicatorIndex
from services.correlator.model import RuleSet
from services.correlator.state import MemoryState
from services.correlator.ti_alerts import IntelCorrelator, IntelMatcher, level_of, stix_confidence
from tests.unit.correlator.factories import detection, event, when

C2 = "203.0.113.5"


def matcher(*indicators: Indicator, **options: Any) -> IntelMatcher:
    index = IndicatorIndex()
    for indicator in indicators:
        index.put(indicator)
    return IntelMatcher(index, state=MemoryState(), **options)


def c2(**extra: Any) -> Indicator:
    return Indicator(type="ipv4-addr", value=C2, **extra)


def feed(m: IntelMatcher, tenant: str, event_id: str, at: str, **fields: Any) -> list[Alert]:
    return m.feed(event(tenant, event_id, at, **fields))


@pytest.mark.parametrize(
    ("confidence", "level", "stix"),
    [(100, "high", "High"), (80, "high", "High"), (79, "medium", "High"), (70, "medium", "High"),
     (50, "medium", "Medium"), (49, "low", "Medium"), (29, "low", "Low"), (0, "low", "None")],
)  # fmt: skip
def test_level_and_ecs_confidence_follow_the_indicator_confidence(
    confidence: int, level: str, stix: str
) -> None:
    assert (level_of(confidence), stix_confidence(confidence)) == (level, stix)


def test_alert_carries_the_indicator_context() -> None:
    m = matcher(c2(
        confidence=85, provider="Example CERT", feed="cert-feed", marking="AMBER",
        description="C2 server", reference="https://example.com/r",
        first_seen=datetime(2026, 11, 1, tzinfo=UTC), last_seen=datetime(2026, 11, 20, tzinfo=UTC),
        tags=("attack.command-and-control", "attack.t1071.001"),
    ))  # fmt: skip
    [alert] = feed(m, "acme", "e1", "10:00:00", destination__ip=C2)
    assert alert.rule.model_dump() == {
        "id": "vigie-ti-ipv4-addr", "title": "Threat intelligence match: ipv4-addr",
        "level": "high", "tags": ["vigie.ti", "attack.command-and-control", "attack.t1071.001"],
        "author": None,
    }  # fmt: skip
    assert alert.threat["indicator"] == {
        "type": "ipv4-addr", "name": C2, "ip": C2, "confidence": "High",
        "provider": "Example CERT", "first_seen": "2026-11-01T00:00:00+00:00",
        "last_seen": "2026-11-20T00:00:00+00:00", "marking": {"tlp": "AMBER"},
        "description": "C2 server", "reference": "https://example.com/r",
    }  # fmt: skip
    assert alert.threat["feed"] == {"name": "cert-feed"}
    assert alert.threat["tactic"]["id"] == ["TA0011"]
    assert alert.threat["technique"]["subtechnique"]["id"] == ["T1071.001"]
    assert (alert.tenant, alert.group, alert.count, alert.event_ids, alert.version) == (
        "acme", {"indicator": C2, "field": "destination.ip"}, 1, ["e1"], 1,
    )  # fmt: skip
    assert (alert.first_seen, alert.risk_score) == (when("10:00:00"), 75.0)


@pytest.mark.parametrize(
    ("indicator", "fields", "atom"),
    [
        (Indicator(type="ipv4-addr", value="198.51.100.0/24"), {"source__ip": "198.51.100.7"}, {}),
        (Indicator(type="domain-name", value="evil.example.com"),
         {"dns__question__name": "evil.example.com"}, {"url": {"domain": "evil.example.com"}}),
        (Indicator(type="url", value="http://evil.example.com/a"),
         {"url__original": "http://evil.example.com/a"},
         {"url": {"original": "http://evil.example.com/a"}}),
        (Indicator(type="file", hash="sha1", value="d" * 40), {"process__hash__sha1": "d" * 40},
         {"file": {"hash": {"sha1": "d" * 40}}}),
    ],
)  # fmt: skip
def test_ecs_indicator_fields_by_type(
    indicator: Indicator, fields: dict[str, Any], atom: dict[str, Any]
) -> None:
    [alert] = feed(matcher(indicator), "acme", "e1", "10:00:00", **fields)
    details = alert.threat["indicator"]
    assert {k: v for k, v in details.items() if k in ("ip", "url", "file")} == atom
    assert (details["type"], details["name"], alert.rule.level) == (
        indicator.type, indicator.value, "medium",
    )  # fmt: skip
    assert "feed" not in alert.threat and "tactic" not in alert.threat


def test_a_chatty_host_updates_one_alert_until_a_gap_longer_than_the_window() -> None:
    m = matcher(c2(), dedup_window=timedelta(minutes=10))
    times = ["10:00:00", "10:05:00", "10:14:59", "10:25:00"]  # last gap: 10 min 1 s
    alerts = [
        a for i, t in enumerate(times) for a in feed(m, "acme", f"e{i}", t, destination__ip=C2)
    ]
    assert [(a.id == alerts[0].id, a.version, a.count) for a in alerts] == [
        (True, 1, 1),
        (True, 2, 2),
        (True, 3, 3),
        (False, 1, 1),
    ]
    assert alerts[2].event_ids == ["e0", "e1", "e2"]
    assert (alerts[2].first_seen, alerts[2].last_seen) == (when("10:00:00"), when("10:14:59"))
    assert m.stats["ti_alerts"] == 4


def test_dedup_is_per_tenant_indicator_and_field() -> None:
    m = matcher(c2(), Indicator(type="ipv4-addr", value="203.0.113.6"))
    out = feed(m, "acme", "e1", "10:00:00", source__ip=C2, destination__ip=C2)
    out += feed(m, "acme", "e2", "10:00:01", destination__ip="203.0.113.6")
    out += feed(m, "globex", "e3", "10:00:02", destination__ip=C2)
    out += feed(m, "acme", "e4", "10:00:03", destination__ip=C2)
    groups = [(a.tenant, a.group["indicator"], a.group["field"], a.version) for a in out]
    assert groups == [
        ("acme", C2, "source.ip", 1), ("acme", C2, "destination.ip", 1),
        ("acme", "203.0.113.6", "destination.ip", 1), ("globex", C2, "destination.ip", 1),
        ("acme", C2, "destination.ip", 2),
    ]  # fmt: skip
    assert len({a.id for a in out}) == 4


def test_a_redelivered_event_re_emits_the_alert_unchanged() -> None:
    m = matcher(c2())
    [first] = feed(m, "acme", "e1", "10:00:00", destination__ip=C2)
    [second] = feed(m, "acme", "e2", "10:00:10", destination__ip=C2)
    [again] = feed(m, "acme", "e1", "10:00:00", destination__ip=C2)
    assert again == second != first
    assert (m.stats["ti_hits_duplicate"], m.stats["ti_alerts_replayed"]) == (1, 1)


def test_expired_indicator_does_not_alert() -> None:
    m = matcher(c2(valid_until=when("10:00:00")))
    assert feed(m, "acme", "e1", "09:59:59", destination__ip=C2) != []
    assert feed(m, "acme", "e2", "10:00:00", destination__ip=C2) == []


def test_intel_correlator_returns_sigma_then_ti_alerts_and_shares_sweep() -> None:
    state = MemoryState()
    sigma = Correlator(RuleSet(detections=[detection("x")]), state=state, sweep_every=0)
    index = IndicatorIndex()
    index.put(c2())
    both = IntelCorrelator(sigma, IntelMatcher(index, state=state, stats=sigma.stats))
    out = both.feed(event("acme", "e1", "10:00:00", ("x",), destination__ip=C2))
    assert [a.rule.id for a in out] == ["id-x", "vigie-ti-ipv4-addr"]
    assert both.stats["ti_matches"] == 1 and both.stats["events"] == 1
    both.feed(event("acme", "e2", "12:00:00"))  # moves acme's watermark past both episodes
    assert both.sweep() == 2 and state.keys() == []
    bad = EcsEvent({"@timestamp": "yesterday", "event": {"id": "e3"},
                    "organization": {"id": "acme"}, "destination": {"ip": C2}})  # fmt: skip
    with pytest.raises(ValueError, match="@timestamp"):  # refused before any TI state is kept
        both.feed(bad)
    assert state.keys() == []
