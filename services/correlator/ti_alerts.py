"""Threat-intelligence alerts: the indicator matches of one ECS event → Alerts, as episodes.

Each match (``ioc.IndicatorIndex.matches``: a field and a live indicator of the event's tenant
or global) is a hit of the rule ``vigie-ti-<indicator type>``, titled ``Threat intelligence
match: <type>``, with a level from the indicator's confidence (``LEVELS``: 80 and over high,
50 and over medium, else low), tags ``["vigie.ti", *indicator tags]`` and the risk score of its
level (``core.RISK_SCORES``). The alert carries:
- ``group``: ``{"indicator": value, "field": matched field}``;
- ``threat``: the ATT&CK objects of the indicator's tags (``attack.threat_of``), ``indicator``
  (ECS ``threat.indicator.*``: type, name = value, ip / url.domain / url.original /
  file.hash.<algorithm>, confidence on the STIX scale None/Low/Medium/High, provider,
  first_seen, last_seen, marking.tlp, description, reference) and ``feed.name``.

Deduplication: the hits of one (tenant, rule, group) are an episode kept by
``episodes.single_hit``, the code of single-event Sigma rules, with ``dedup_window`` as the
longest gap: while a host keeps hitting an indicator the same alert id is re-emitted with
``version + 1`` and a growing ``count``; after a longer gap a new alert opens. A redelivered
event counts nothing and re-emits the alert unchanged; a hit older than the allowed lateness
behind the latest is ignored. The alert id is ``derived_id(tenant, rule id, group, opening µs)``.
Episodes live in the Correlator's StateStore under ``state_key("ti", tenant, rule id, group)``, so
its sweep removes them and Kafka mode keeps them in the changelog.

``IntelCorrelator`` wraps a ``Correlator``: its ``feed`` returns the Sigma alerts, then these.
Counters (into the Correlator's ``stats``): ti_matches, ti_alerts, ti_alerts_replayed,
ti_hits_duplicate, ti_hits_late.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from schemas.alert import Alert, Level, RuleRef
from schemas.ecs import EcsEvent
from schemas.ids import derived_id
from schemas.indicator import Indicator
from services.correlator.attack import threat_of
from services.correlator.core import RISK_SCORES, Correlator
from services.correlator.episodes import Limits, single_hit
from services.correlator.ioc import IndicatorIndex, Match
from services.correlator.state import StateStore, Value, canonical, state_key
from services.correlator.windows import from_micros, micros

LEVELS: tuple[tuple[int, Level], ...] = ((80, "high"), (50, "medium"), (0, "low"))
TAG = "vigie.ti"


def level_of(confidence: int) -> Level:
    return next(level for floor, level in LEVELS if confidence >= floor)


def stix_confidence(confidence: int) -> str:
    """The None/Low/Medium/High scale of STIX 2.1 Appendix A, which ECS uses."""
    if confidence == 0:
        return "None"
    return "Low" if confidence < 30 else "Medium" if confidence < 70 else "High"


def rule_of(indicator: Indicator) -> RuleRef:
    return RuleRef(
        id=f"vigie-ti-{indicator.type}",
        title=f"Threat intelligence match: {indicator.type}",
        level=level_of(indicator.confidence),
        tags=[TAG, *indicator.tags],
    )


def _atom(indicator: Indicator) -> dict[str, Any]:
    if indicator.type == "file":
        return {"file": {"hash": {str(indicator.hash): indicator.value}}}
    if indicator.type == "url":
        return {"url": {"original": indicator.value}}
    if indicator.type == "domain-name":
        return {"url": {"domain": indicator.value}}
    return {} if "/" in indicator.value else {"ip": indicator.value}  # a network: name only


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def threat_for(indicator: Indicator) -> dict[str, Any]:
    """The ECS ``threat`` object of an alert on ``indicator``."""
    details = {
        "type": indicator.type, "name": indicator.value, **_atom(indicator),
        "confidence": stix_confidence(indicator.confidence), "provider": indicator.provider,
        "first_seen": _iso(indicator.first_seen), "last_seen": _iso(indicator.last_seen),
        "marking": {"tlp": indicator.marking} if indicator.marking else None,
        "description": indicator.description, "reference": indicator.reference,
    }  # fmt: skip
    threat = threat_of(indicator.tags)
    threat["indicator"] = {k: v for k, v in details.items() if v is not None}
    if indicator.feed:
        threat["feed"] = {"name": indicator.feed}
    return threat


class IntelMatcher:
    def __init__(
        self,
        index: IndicatorIndex,
        *,
        state: StateStore,
        dedup_window: timedelta = timedelta(hours=1),
        allowed_lateness: timedelta = timedelta(seconds=60),
        max_event_ids: int = 1000,
        stats: Counter[str] | None = None,
    ) -> None:
        self.stats = stats if stats is not None else Counter()
        self._index = index
        self._state = state
        self._limits = Limits(micros(dedup_window), micros(allowed_lateness), max_event_ids)

    def feed(self, event: EcsEvent) -> list[Alert]:
        if not len(self._index):
            return []
        tenant, at, event_id = event.tenant, micros(event.timestamp), event.id
        alerts: list[Alert] = []
        for match in self._index.matches(event.doc, tenant=tenant, at=at):
            self.stats["ti_matches"] += 1
            alerts += self._hit(match, tenant, at, event_id)
        return alerts

    def _hit(self, match: Match, tenant: str, at: int, event_id: str) -> list[Alert]:
        rule = rule_of(match.indicator)
        group = {"indicator": match.indicator.value, "field": match.field}
        key = state_key("ti", tenant, rule.id, group)
        episode = self._state.get(key)

        def opening() -> str:
            return derived_id(tenant, rule.id, canonical(group), str(at))

        status, updated = single_hit(episode, at, event_id, self._limits, opening)
        self.stats[f"ti_hits_{status}"] += 1
        if (
            status == "duplicate"
            and episode is not None
            and episode["first"] <= at <= episode["last"]
        ):
            self.stats["ti_alerts_replayed"] += 1
            return [_alert(tenant, rule, group, match.indicator, episode)]
        if updated is None:
            return []
        self._state.put(key, updated)
        self.stats["ti_alerts"] += 1
        return [_alert(tenant, rule, group, match.indicator, updated)]


def _alert(
    tenant: str, rule: RuleRef, group: dict[str, str], indicator: Indicator, episode: Value
) -> Alert:
    return Alert(
        id=episode["id"],
        tenant=tenant,
        rule=rule,
        threat=threat_for(indicator),
        group=group,
        first_seen=from_micros(episode["first"]),
        last_seen=from_micros(episode["last"]),
        count=episode["count"],
        event_ids=episode["ids"],
        risk_score=RISK_SCORES[rule.level],
        version=episode["version"],
    )


class IntelCorrelator:
    """A ``Correlator`` whose ``feed`` also returns the threat-intelligence alerts of each event."""

    def __init__(self, correlator: Correlator, intel: IntelMatcher) -> None:
        self.correlator = correlator
        self.intel = intel
        self.stats = correlator.stats
        self.rule_hits = correlator.rule_hits
        self.rule_errors = correlator.rule_errors

    def feed(self, event: EcsEvent) -> list[Alert]:
        # The Correlator first: it refuses an event without tenant, id or time.
        return self.correlator.feed(event) + self.intel.feed(event)

    def sweep(self) -> int:
        return self.correlator.sweep()  # TI episodes share its state, and so its sweep
