"""Log quality of each tenant's sources, and the silent-source alert (pure: no I/O, no clock).

In: ``SourceStats`` per (tenant, source) as the store aggregates them (``queries.sources``), the
time ``now`` and a ``QualityPolicy`` (the configured sources and thresholds). Out: one
``SourceHealth`` per source, configured sources that never sent included (``assess``), and the
alerts to publish (``detect``).

Figures: ``eps_1m`` / ``eps_15m`` are the distinct raw records received in the last 60 / 900 s
divided by the window; ``parse_failure_rate`` is failed / received (None before anything
arrived); ``clock_skew_seconds`` and ``clock_skew_p95_seconds`` are the median and 95th
percentile of ``@timestamp - ingested`` over the recent events (negative: the event time is
behind the receive time); ``silent_for_seconds`` is ``now`` minus the last receive time.

Silence threshold of a source, the first rule that applies (``silence_threshold_basis``):
1. ``configured``: its ``silence_after_seconds`` in the tenant's ``sources`` settings;
2. ``learned``: ``max(min_silence_seconds, gap_factor x typical gap)``, once at least
   ``min_gaps`` gaps are known; the typical gap is the median interval between consecutive
   minutes in which the source sent anything over the learning window (24 h by default). With
   the defaults a source sending every minute gets 10 min, one sending hourly 10 h, and nothing
   ever gets less than 5 min;
3. ``default``: ``default_silence_seconds`` (a new source, or one silent for the whole window).

Status: ``never_seen`` (configured, nothing received yet), ``silent`` (nothing received for
longer than the threshold), else ``ok``.

Alert: for every ``silent`` source (never a ``never_seen`` one), rule
``vigie-log-quality-silent-source`` at the policy's level, group ``{"vigie.source": source}``,
``first_seen`` = the last receive time (when the silence started), ``last_seen`` = ``now``. Its
id derives from (tenant, source, silence start), so one silence episode is one alert: each check
that finds the source still silent publishes it again with ``version + 1``, and once the source
has sent again a later silence is a new episode with a new id. ``detect`` takes and returns the
open episodes (the last alert of each source whose silence has not ended), so that versions
continue from check to check, and across restarts once the caller primes them from the store.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, Literal

from schemas.alert import Alert, Level, RuleRef
from schemas.ids import derived_id
from services.api.utc import epoch_ms, utc

RULE_ID = "vigie-log-quality-silent-source"
RULE_TITLE = "Log source went silent"
TAGS = ["vigie.log_quality"]
SOURCE_FIELD = "vigie.source"

Status = Literal["ok", "silent", "never_seen"]
Basis = Literal["configured", "learned", "default"]
Key = tuple[str, str]  # (tenant, source)


@dataclass(frozen=True, slots=True)
class SourceStats:
    """What the store knows of one source (see ``queries.sources`` for each figure)."""

    tenant: str
    source: str
    received: int = 0
    parsed: int = 0
    failed: int = 0
    truncated: int = 0
    received_1m: int = 0
    received_15m: int = 0
    gaps: int = 0
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    clock_skew_seconds: float | None = None
    clock_skew_p95_seconds: float | None = None
    typical_gap_seconds: float | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> SourceStats:
        """The stats of a store row, its times made aware UTC (the store returns naive UTC)."""
        values = {f.name: row[f.name] for f in fields(cls) if f.name in row}
        for name in ("first_seen", "last_seen"):
            if values.get(name) is not None:
                values[name] = utc(values[name])
        return cls(**values)


@dataclass(frozen=True, slots=True)
class QualityPolicy:
    """The silence rule's parameters; ``expected`` maps every configured source to its
    configured threshold (None: learned)."""

    level: Level = "medium"
    min_silence_seconds: float = 300.0
    gap_factor: float = 10.0
    min_gaps: int = 3
    default_silence_seconds: float = 3600.0
    expected: Mapping[Key, float | None] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SourceHealth:
    tenant: str
    source: str
    received: int
    parsed: int
    failed: int
    truncated: int
    first_seen: datetime | None
    last_seen: datetime | None
    eps_1m: float
    eps_15m: float
    parse_failure_rate: float | None
    clock_skew_seconds: float | None
    clock_skew_p95_seconds: float | None
    silent_for_seconds: float | None
    silence_threshold_seconds: float
    silence_threshold_basis: Basis
    status: Status


@dataclass(frozen=True, slots=True)
class Detection:
    alerts: list[Alert]
    episodes: dict[Key, Alert]  # the latest alert of each source still in its silence episode


def threshold(stats: SourceStats, policy: QualityPolicy) -> tuple[float, Basis]:
    """The silence threshold of a source in seconds, and which rule gave it."""
    configured = policy.expected.get((stats.tenant, stats.source))
    if configured is not None:
        return float(configured), "configured"
    if stats.gaps >= policy.min_gaps and stats.typical_gap_seconds is not None:
        learned = policy.gap_factor * stats.typical_gap_seconds
        return max(policy.min_silence_seconds, learned), "learned"
    return policy.default_silence_seconds, "default"


def _health(stats: SourceStats, now: datetime, policy: QualityPolicy) -> SourceHealth:
    limit, basis = threshold(stats, policy)
    silent_for = None
    status: Status = "never_seen"
    if stats.last_seen is not None:
        # A record stamped after ``now`` (a clock step on the receiving host) is not a silence.
        silent_for = max(0.0, (utc(now) - stats.last_seen).total_seconds())
        status = "silent" if silent_for > limit else "ok"
    return SourceHealth(
        tenant=stats.tenant,
        source=stats.source,
        received=stats.received,
        parsed=stats.parsed,
        failed=stats.failed,
        truncated=stats.truncated,
        first_seen=stats.first_seen,
        last_seen=stats.last_seen,
        eps_1m=stats.received_1m / 60,
        eps_15m=stats.received_15m / 900,
        parse_failure_rate=stats.failed / stats.received if stats.received else None,
        clock_skew_seconds=stats.clock_skew_seconds,
        clock_skew_p95_seconds=stats.clock_skew_p95_seconds,
        silent_for_seconds=silent_for,
        silence_threshold_seconds=limit,
        silence_threshold_basis=basis,
        status=status,
    )


def assess(
    stats: Iterable[SourceStats], *, now: datetime, policy: QualityPolicy
) -> list[SourceHealth]:
    """The health of every source seen plus every configured one, by tenant and source."""
    known = {(s.tenant, s.source): s for s in stats}
    for tenant, source in policy.expected:
        known.setdefault((tenant, source), SourceStats(tenant, source))
    return [_health(known[key], now, policy) for key in sorted(known)]


def episode_id(tenant: str, source: str, silence_start: datetime) -> str:
    return derived_id(RULE_ID, tenant, source, str(epoch_ms(silence_start)))


def episodes_of(alerts: Iterable[Alert]) -> dict[Key, Alert]:
    """Silent-source alerts by (tenant, source), as ``detect`` takes its open episodes."""
    return {
        (a.tenant, a.group[SOURCE_FIELD]): a
        for a in alerts
        if a.rule.id == RULE_ID and SOURCE_FIELD in a.group
    }


def _alert(
    health: SourceHealth, episode: str, previous: Alert | None, now: datetime, level: Level
) -> Alert:
    assert health.last_seen is not None  # only a source that sent can fall silent
    return Alert(
        id=episode,
        tenant=health.tenant,
        rule=RuleRef(id=RULE_ID, title=RULE_TITLE, level=level, tags=list(TAGS)),
        group={SOURCE_FIELD: health.source},
        first_seen=health.last_seen,
        last_seen=utc(now),
        version=1 if previous is None else previous.version + 1,
    )


def detect(
    stats: Iterable[SourceStats],
    *,
    now: datetime,
    policy: QualityPolicy,
    episodes: Mapping[Key, Alert],
) -> Detection:
    """The alerts to publish for the sources silent at ``now``, and the episodes still open."""
    alerts: list[Alert] = []
    still_open: dict[Key, Alert] = {}
    for health in assess(stats, now=now, policy=policy):
        if health.last_seen is None:
            continue
        key = (health.tenant, health.source)
        episode = episode_id(health.tenant, health.source, health.last_seen)
        previous = episodes.get(key)
        if previous is not None and previous.id == episode:
            still_open[key] = previous
        if health.status == "silent":
            alert = _alert(health, episode, still_open.get(key), now, policy.level)
            alerts.append(alert)
            still_open[key] = alert
    return Detection(alerts, still_open)
