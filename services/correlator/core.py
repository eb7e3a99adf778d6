"""Correlator: one ECS event in, the alerts it opens or updates out. Transport-free.

Rules
- Every detection rule not disabled for the event's tenant (``organization.id``) is evaluated;
  ``rule.matches`` includes logsource routing. A rule whose predicate raises is skipped for
  that event and counted (``stats["rule_errors"]``, ``rule_errors[rule id]``), never raised.
- A matching rule is a hit for every correlation naming it (by ``meta.id`` or ``meta.name``);
  a correlation that fires on the event is in turn a hit for correlations naming it (chains are
  evaluated in dependency order; correlations in a reference cycle or of an unsupported type are
  skipped at start with a warning). Window semantics: see ``windows.py``.
- ``generate`` False (detection or correlation) means hits feed correlations but raise no alert.
  A rule disabled for a tenant (by id or name) neither alerts nor feeds correlations there.

Alerts are episodes. An alert id is ``derived_id(tenant, rule id, group json, episode start)``.
While the rule fires again for the same group within its timespan of the previous firing, the
same id is re-emitted with ``version + 1``; a longer gap opens a new episode (new id, version 1).
- ``count``: hits that contributed since the episode began (each window firing adds the hits it
  holds that were not counted yet), so an event_count alert keeps growing while it fires.
- ``event_ids``: those hits' ids in arrival order, capped at ``max_event_ids`` (the first kept).
- ``first_seen``/``last_seen``: event times of the earliest and latest contributing hit.
- Single-event rules are episodes too: an event_count ``gte 1`` window with an empty group and
  ``dedup_window`` as timespan, so one alert per rule and tenant gathers a burst of hits; the
  alert ``group`` is ``{}``.
- A redelivered event (its id already in the window) counts nothing; if it lies inside an open
  episode, that episode's current alert is re-emitted unchanged (same id and version), so an
  output lost between a state write and its publication comes back.

State (windows and episodes) lives in the given StateStore, so a correlator restarted on the same
state continues the same alert ids. ``sweep`` drops state whose time has passed, judged by the
newest event time seen per tenant (so one event stamped far in the future ages that tenant's
state early); ``feed`` runs it every ``sweep_every`` events.
An event without ``organization.id``, ``event.id`` or a valid ``@timestamp`` raises ValueError.

Counters for the runtime: ``stats`` (events, hits_accepted, hits_duplicate, hits_late,
hits_ungrouped, window_overflow, alerts, alerts_replayed, rule_errors, state_swept), and
``rule_hits`` / ``rule_errors`` by rule id.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from copy import deepcopy
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from schemas.alert import Alert, RuleRef
from schemas.ecs import EcsEvent
from schemas.ids import derived_id
from services.correlator.attack import threat_of
from services.correlator.model import (
    CorrelationCondition,
    CorrelationRule,
    DetectionRule,
    RuleMeta,
    RuleSet,
)
from services.correlator.state import StateStore, Value, canonical, key_tenant, state_key
from services.correlator.windows import SUPPORTED, Hit, Match, Windows, from_micros, micros

log = logging.getLogger(__name__)

RISK_SCORES: dict[str, float] = {
    "informational": 10.0,
    "low": 25.0,
    "medium": 50.0,
    "high": 75.0,
    "critical": 95.0,
}


@dataclass(frozen=True, slots=True)
class _Profile:
    """What every alert of one rule carries."""

    ref: RuleRef
    threat: dict[str, Any]
    risk: float


def _names(meta: RuleMeta) -> frozenset[str]:
    return frozenset(n for n in (meta.id, meta.name) if n)


def _profile(meta: RuleMeta) -> _Profile:
    level = meta.level.lower() if meta.level else "medium"
    if level not in RISK_SCORES:
        log.warning("unknown level, using medium", extra={"rule": meta.id, "rule_level": level})
        level = "medium"
    ref = RuleRef(
        id=meta.id, title=meta.title, level=level, tags=list(meta.tags), author=meta.author
    )
    return _Profile(ref, threat_of(meta.tags), RISK_SCORES[level])


def _single(rule: DetectionRule, dedup_window: timedelta) -> CorrelationRule:
    """The window that turns hits of a single-event rule into deduplicated alert episodes."""
    gte_one = CorrelationCondition(bounds={"gte": 1})
    return CorrelationRule(rule.meta, "event_count", (rule.meta.id,), (), dedup_window, gte_one)


def _runnable(correlations: Sequence[CorrelationRule]) -> list[CorrelationRule]:
    """Supported correlations, each after every correlation it names; cycles are left out."""
    candidates = [c for c in correlations if c.type in SUPPORTED]
    for c in correlations:
        if c.type not in SUPPORTED:
            log.warning("correlation type not supported", extra={"rule": c.meta.id, "type": c.type})
    owner = {name: c.meta.id for c in candidates for name in _names(c.meta)}
    needs = {c.meta.id: {owner[r] for r in c.rules if r in owner} for c in candidates}
    ordered: list[CorrelationRule] = []
    done: set[str] = set()
    pending = candidates
    while ready := [c for c in pending if needs[c.meta.id] <= done]:
        ordered += ready
        done |= {c.meta.id for c in ready}
        pending = [c for c in pending if c.meta.id not in done]
    for c in pending:
        log.warning("correlation is part of a reference cycle, skipped", extra={"rule": c.meta.id})
    return ordered


def _identity(event: EcsEvent) -> tuple[str, int, str]:
    try:
        return event.tenant, micros(event.timestamp), event.id
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"ECS event lacks organization.id, event.id or @timestamp: {exc}") from exc


def _opened(alert_id: str, match: Match, span: int, max_ids: int) -> Value:
    events = match.events()
    return {
        "id": alert_id, "version": 1, "first": min(e.at for e in events),
        "last": max(e.at for e in events), "fired": match.at, "until": match.at + span,
        "seq": max(e.seq for e in events), "count": len(events),
        "ids": [e.event_id for e in events[:max_ids]],
    }  # fmt: skip


def _continued(episode: Value, match: Match, span: int, max_ids: int) -> Value | None:
    """The episode extended by ``match``, or None when the gap since its last firing is too long."""
    if match.at - episode["fired"] > span:
        return None
    new = match.events(after_seq=episode["seq"])
    fired = max(episode["fired"], match.at)
    return {
        **episode,
        "version": episode["version"] + 1,
        "first": min([episode["first"], *(e.at for e in new)]),
        "last": max([episode["last"], *(e.at for e in new)]),
        "fired": fired, "until": fired + span,
        "seq": max([episode["seq"], *(e.seq for e in new)]),
        "count": episode["count"] + len(new),
        "ids": (episode["ids"] + [e.event_id for e in new])[:max_ids],
    }  # fmt: skip


class Correlator:
    def __init__(
        self,
        ruleset: RuleSet,
        *,
        state: StateStore,
        max_event_ids: int = 1000,
        allowed_lateness: timedelta = timedelta(seconds=60),
        disabled: Mapping[str, frozenset[str]] | None = None,
        dedup_window: timedelta = timedelta(minutes=5),
        max_window_events: int = 10_000,
        sweep_every: int = 10_000,
    ) -> None:
        self.stats: Counter[str] = Counter()
        self.rule_hits: Counter[str] = Counter()
        self.rule_errors: Counter[str] = Counter()
        self._state = state
        self._windows = Windows(
            state, allowed_lateness=allowed_lateness, max_events=max_window_events
        )
        self._max_ids = max_event_ids
        self._disabled = {tenant: frozenset(rules) for tenant, rules in (disabled or {}).items()}
        self._sweep_every = sweep_every
        self._watermarks: dict[str, int] = {}
        self._detections = [(rule, _names(rule.meta)) for rule in ruleset.detections]
        self._singles = {
            r.meta.id: _single(r, dedup_window) for r in ruleset.detections if r.generate
        }
        self._correlations = [(c, _names(c.meta)) for c in _runnable(ruleset.correlations)]
        metas = [r.meta for r in ruleset.detections] + [c.meta for c in ruleset.correlations]
        self._profiles = {meta.id: _profile(meta) for meta in metas}

    def feed(self, event: EcsEvent) -> list[Alert]:
        tenant, at, event_id = _identity(event)
        self.stats["events"] += 1
        off = self._disabled.get(tenant, frozenset())
        fired: set[str] = set()
        alerts: list[Alert] = []
        for rule, names in self._detections:
            if names & off or not self._matches(rule, event.doc):
                continue
            fired |= names
            self.rule_hits[rule.meta.id] += 1
            if rule.generate:
                single = self._singles[rule.meta.id]
                hit = Hit(tenant, single.rules, event.doc, at, event_id)
                alerts += self._advance(single, hit)[1]
        for corr, names in self._correlations:
            refs = tuple(r for r in corr.rules if r in fired)
            if not refs or names & off:
                continue
            fires, out = self._advance(corr, Hit(tenant, refs, event.doc, at, event_id))
            if fires:
                fired |= names
                self.rule_hits[corr.meta.id] += 1
            alerts += out
        self._tick(tenant, at)
        return alerts

    def sweep(self) -> int:
        """Delete windows and episodes that no later event can use; returns how many."""
        removed = 0
        for key in list(self._state.keys()):
            value = self._state.get(key)
            watermark = self._watermarks.get(key_tenant(key))
            if value is not None and watermark is not None and value["until"] < watermark:
                self._state.delete(key)
                removed += 1
        self.stats["state_swept"] += removed
        return removed

    def _tick(self, tenant: str, at: int) -> None:
        self._watermarks[tenant] = max(at, self._watermarks.get(tenant, at))
        if self._sweep_every and self.stats["events"] % self._sweep_every == 0:
            self.sweep()

    def _matches(self, rule: DetectionRule, doc: dict[str, Any]) -> bool:
        try:
            return bool(rule.matches(doc))
        except Exception as exc:  # one broken rule must not fail the event for the others
            self.stats["rule_errors"] += 1
            self.rule_errors[rule.meta.id] += 1
            if self.rule_errors[rule.meta.id] == 1:
                log.warning("rule failed", extra={"rule": rule.meta.id, "error": repr(exc)})
            return False

    def _advance(self, rule: CorrelationRule, hit: Hit) -> tuple[bool, list[Alert]]:
        """Feed one window; whether the rule fired, and the alerts to publish."""
        seen = self._windows.observe(rule, hit)
        self.stats[f"hits_{seen.status}"] += 1
        self.stats["window_overflow"] += seen.overflow
        if seen.group is None or not rule.generate:
            return seen.match is not None, []
        key = state_key("e", hit.tenant, rule.meta.id, seen.group)
        if seen.status == "duplicate":
            return False, self._replay(rule, hit, seen.group, self._state.get(key))
        if seen.match is None:
            return False, []
        span = micros(rule.timespan)
        previous = self._state.get(key)
        episode = _continued(previous, seen.match, span, self._max_ids) if previous else None
        if episode is None:
            start = derived_id(hit.tenant, rule.meta.id, canonical(seen.group), str(seen.match.at))
            episode = _opened(start, seen.match, span, self._max_ids)
        self._state.put(key, episode)
        self.stats["alerts"] += 1
        return True, [self._alert(rule, hit.tenant, seen.group, episode)]

    def _replay(
        self, rule: CorrelationRule, hit: Hit, group: dict[str, str], episode: Value | None
    ) -> list[Alert]:
        """The unchanged alert a redelivered event contributed to, if its episode holds it."""
        if episode is None or not episode["first"] <= hit.at <= episode["last"]:
            return []
        self.stats["alerts_replayed"] += 1
        return [self._alert(rule, hit.tenant, group, episode)]

    def _alert(
        self, rule: CorrelationRule, tenant: str, group: dict[str, str], episode: Value
    ) -> Alert:
        profile = self._profiles[rule.meta.id]
        return Alert(
            id=episode["id"],
            tenant=tenant,
            rule=profile.ref,
            threat=deepcopy(profile.threat),
            group=group,
            first_seen=from_micros(episode["first"]),
            last_seen=from_micros(episode["last"]),
            count=episode["count"],
            event_ids=list(episode["ids"]),
            risk_score=profile.risk,
            version=episode["version"],
        )
