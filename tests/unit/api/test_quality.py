"""Log-quality core: thresholds, health figures and silent-source alerts, on a fixed clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from schemas.alert import Alert, RuleRef
from services.api.quality import (
    RULE_ID,
    QualityPolicy,
    SourceStats,
    assess,
    detect,
    episode_id,
    episodes_of,
    threshold,
)

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
POLICY = QualityPolicy()  # learned: max(300 s, 10 x typical gap) from 3 gaps on, else 3600 s


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def fw(last_seen: float | None, *, tenant: str = "tenant-a", **figures: object) -> SourceStats:
    """Source ``fw`` that sends once a minute (learned threshold 600 s), last at ``last_seen``."""
    seen = None if last_seen is None else at(last_seen)
    base = SourceStats(tenant, "fw", received=100, last_seen=seen, gaps=50, typical_gap_seconds=60)
    return replace(base, **figures)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("stats", "expected", "want"),
    [
        (fw(0), {}, (600.0, "learned")),
        (fw(0, typical_gap_seconds=20), {}, (300.0, "learned")),  # never under 5 min
        (fw(0, typical_gap_seconds=3600), {}, (36000.0, "learned")),  # hourly: 10 h
        (fw(0, gaps=2), {}, (3600.0, "default")),  # too little history to learn from
        (fw(0, gaps=0, typical_gap_seconds=None), {}, (3600.0, "default")),
        (fw(0), {("tenant-a", "fw"): 120}, (120.0, "configured")),  # configured wins
        (fw(0), {("tenant-a", "fw"): None}, (600.0, "learned")),  # a listener: expected only
        (fw(0), {("tenant-b", "fw"): 120}, (600.0, "learned")),  # another tenant's setting
    ],
)
def test_quality_threshold_rule(
    stats: SourceStats, expected: dict[tuple[str, str], float | None], want: tuple[float, str]
) -> None:
    assert threshold(stats, replace(POLICY, expected=expected)) == want


def test_quality_assess_figures_and_configured_sources_never_seen() -> None:
    seen = fw(
        30,
        first_seen=at(-3600),
        received=200,
        failed=50,
        received_1m=30,
        received_15m=450,
        clock_skew_seconds=-2.5,
        clock_skew_p95_seconds=1.0,
    )
    future = SourceStats("tenant-b", "proxy", received=1, last_seen=at(900))
    policy = replace(POLICY, expected={("tenant-b", "dns"): 900, ("tenant-a", "fw"): None})
    health = assess([future, seen], now=at(90), policy=policy)

    assert [(h.tenant, h.source, h.status) for h in health] == [
        ("tenant-a", "fw", "ok"),
        ("tenant-b", "dns", "never_seen"),
        ("tenant-b", "proxy", "ok"),
    ]
    fw_health, dns, proxy = health
    assert (fw_health.eps_1m, fw_health.eps_15m, fw_health.parse_failure_rate) == (0.5, 0.5, 0.25)
    assert (fw_health.clock_skew_seconds, fw_health.clock_skew_p95_seconds) == (-2.5, 1.0)
    assert (fw_health.first_seen, fw_health.last_seen) == (at(-3600), at(30))
    assert (fw_health.silent_for_seconds, fw_health.silence_threshold_seconds) == (60.0, 600.0)
    assert (dns.received, dns.parse_failure_rate, dns.silent_for_seconds) == (0, None, None)
    assert (dns.silence_threshold_seconds, dns.silence_threshold_basis) == (900.0, "configured")
    assert (dns.eps_1m, dns.first_seen, dns.clock_skew_seconds) == (0.0, None, None)
    assert proxy.silent_for_seconds == 0.0  # stamped after now: not a silence


# One source through its life: (check time, its last receive time, the alert expected as
# (silence start, version), or None). Threshold 600 s; checks thread the open episodes.
LIFE: list[tuple[str, float, float | None, tuple[float, int] | None]] = [
    ("never seen", 0, None, None),
    ("sending", 599, 0, None),
    ("just silent", 601, 0, (0, 1)),
    ("still silent", 661, 0, (0, 2)),
    ("still silent later", 721, 0, (0, 3)),
    ("recovered", 1310, 1300, None),
    ("silent again", 1901, 1300, (1300, 1)),
    ("still silent again", 1961, 1300, (1300, 2)),
]


def test_quality_detect_one_alert_per_silence_episode() -> None:
    policy = replace(POLICY, expected={("tenant-a", "fw"): None})
    episodes: dict[tuple[str, str], Alert] = {}
    for name, now, last_seen, want in LIFE:
        stats = [] if last_seen is None else [fw(last_seen)]
        detection = detect(stats, now=at(now), policy=policy, episodes=episodes)
        got = [(a.id, a.first_seen, a.last_seen, a.version) for a in detection.alerts]
        if want is None:
            assert got == [], name
        else:
            start, version = want
            assert got == [(episode_id("tenant-a", "fw", at(start)), at(start), at(now), version)]
        episodes = detection.episodes
    assert episode_id("tenant-a", "fw", at(0)) != episode_id("tenant-a", "fw", at(1300))


def test_quality_alert_goes_through_the_normal_alert_shape() -> None:
    policy = replace(POLICY, level="high")
    [a] = detect([fw(0, tenant="tenant-b")], now=at(700), policy=policy, episodes={}).alerts
    assert a.model_dump(exclude={"id", "first_seen", "last_seen", "asset"}) == {
        "tenant": "tenant-b",
        "rule": {
            "id": "vigie-log-quality-silent-source",
            "title": "Log source went silent",
            "level": "high",
            "tags": ["vigie.log_quality"],
            "author": None,
        },
        "threat": {},
        "group": {"vigie.source": "fw"},
        "count": 1,
        "event_ids": [],
        "risk_score": 0.0,
        "version": 1,
    }


def test_quality_same_source_name_in_two_tenants_gives_two_alerts() -> None:
    stats = [fw(0, tenant="tenant-a"), fw(0, tenant="tenant-b")]
    alerts = detect(stats, now=at(700), policy=POLICY, episodes={}).alerts
    assert [a.tenant for a in alerts] == ["tenant-a", "tenant-b"]
    assert alerts[0].id != alerts[1].id


def test_quality_episode_outlives_a_threshold_change_and_a_restart() -> None:
    first = detect([fw(0)], now=at(700), policy=POLICY, episodes={})
    # The threshold rises above the silence (configuration or learning changed): no alert, but
    # the episode stays open while the source sends nothing.
    lenient = replace(POLICY, expected={("tenant-a", "fw"): 7200})
    quiet = detect([fw(0)], now=at(760), policy=lenient, episodes=first.episodes)
    assert quiet.alerts == [] and quiet.episodes == first.episodes
    # A restarted worker primes its episodes from the stored alerts, whatever else is stored.
    other_rule = first.alerts[0].model_copy(update={"id": "x", "rule": RuleRef(id="r", title="t")})
    primed = episodes_of([first.alerts[0], other_rule])
    assert list(primed.values()) == [first.alerts[0]]
    [again] = detect([fw(0)], now=at(820), policy=POLICY, episodes=primed).alerts
    assert (again.id, again.version) == (first.alerts[0].id, 2)
    assert again.rule.id == RULE_ID
