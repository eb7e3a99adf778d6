"""Correlator: one ECS event in, the alerts it opens or updates out. Transport-free.

Rules
- Every detection rule not disabled for the event's tenant (``organization.id``) that may match
  the event is evaluated: ``index.RuleIndex`` picks them by logsource and required values, and
  leaves out only rules that cannot match, so the hits are those of evaluating every rule;
  ``rule.matches`` includes logsource routing. A rule whose predicate raises is skipped for
  that event and counted (``stats["rule_errors"]``, ``rule_errors[rule id]``), never raised.
- A matching rule is a hit for every correlation naming it (by ``meta.id`` or ``meta.name``);
  a correlation that fires on the event is in turn a hit for correlations naming it (chains are
  evaluated in dependency order; correlations in a reference cycle or of an unsupported type are
  skipped at start with a warning). Window semantics: see ``windows.py``.
- ``generate`` False (detection or correlation) means hits feed correlations but raise no alert.
  A rule disabled for a tenant (by id or name) neither alerts nor feeds correlations there.

Tuning (``tuning.py``, per tenant): its ``disable`` adds to ``disabled``; an event an exclusion
of a rule matches is no hit of it (no alert, no correlation hit), counted in ``stats
["hits_excluded"]`` and ``exclusion_hits[(tenant, rule id)]``; ``overrides`` change the alert's
level (and risk) and add tags; under ``suppress`` a firing is published as its suppression record
(``suppression.py``; group: the ``by`` values; ``stats["alerts_suppressed"]`` counts the firings
folded into an open record) instead of its episode.
Assets (``assets.py``): an alert carries the asset of the event that produced this version of it
(``AssetIndex.of_event``) in ``asset``, and its ``risk_score`` weighs the asset in.

Alerts are episodes. An alert id is ``derived_id(tenant, rule id, group json, episode start)``.
While the rule fires again for the same group within its timespan of the previous firing, the
same id is re-emitted with ``version + 1``; a longer gap opens a new episode (new id, version 1).
- ``count``: hits that contributed since the episode began (each window firing adds the hits it
  holds that were not counted yet), so an event_count alert keeps growing while it fires.
- ``event_ids``: those hits' ids in arrival order, capped at ``max_event_ids`` (the first kept).
- ``first_seen``/``last_seen``: event times of the earliest and latest contributing hit.
- Single-event rules are episodes too, with ``dedup_window`` as the gap and an empty group, so
  one alert per rule and tenant gathers a burst of hits; the alert ``group`` is ``{}``. They keep
  no window, only the episode (``episodes.single_hit``), so a hit's cost does not grow with the
  hits before it.
- A redelivered event (its id already in the window; for a single-event rule, among the first
  or the latest ``max_event_ids`` hits of the episode) counts nothing; if it lies inside an open
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
from datetime import timedelta
from typing import Any

import orjson

from schemas.alert import Alert
from schemas.ecs import EcsEvent
from schemas.ids import derived_id
from services.correlator.assets import AssetIndex, risk_score
from services.correlator.episodes import Limits, continued, opened, single_hit
from services.correlator.field_access import getter
from services.correlator.index import RuleIndex
from services.correlator.model import CorrelationRule, DetectionRule, RuleSet
from services.correlator.profiles import RISK_SCORES, Profiles
from services.correlator.profiles import names as _names
from services.correlator.state import StateStore, Value, canonical, key_tenant, state_key
from services.correlator.suppression import by_values, suppressed
from services.correlator.tuning import Tuning
from services.correlator.windows import SUPPORTED, Hit, Windows, from_micros, micros

__all__ = ["RISK_SCORES", "Correlator"]  # RISK_SCORES stays importable from here
log = logging.getLogger(__name__)
_NO_GROUP = canonical({})  # the group of a single-event rule's alerts
_TENANT, _EVENT_ID = getter("organization.id"), getter("event.id")  # faster than EcsEvent's


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
    tenant, event_id = _TENANT(event.doc), _EVENT_ID(event.doc)
    try:
        if not (tenant and event_id and type(tenant) is str and type(event_id) is str):
            raise ValueError("organization.id and event.id must be non-empty strings")
        return tenant, micros(event.timestamp), event_id
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"ECS event lacks organization.id, event.id or @timestamp: {exc}") from exc


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
        tuning: Tuning | None = None,
        assets: AssetIndex | None = None,
    ) -> None:
        self.stats: Counter[str] = Counter()
        self.rule_hits: Counter[str] = Counter()
        self.rule_errors: Counter[str] = Counter()
        self.exclusion_hits: Counter[tuple[str, str]] = Counter()  # by (tenant, rule id)
        self._state = state
        self._windows = Windows(
            state, allowed_lateness=allowed_lateness, max_events=max_window_events
        )
        self._max_ids = max_event_ids
        self._disabled = {tenant: frozenset(rules) for tenant, rules in (disabled or {}).items()}
        self._tuning = tuning if tuning is not None else Tuning()
        self._assets = assets
        self._off: dict[str, frozenset[str]] = {}  # per tenant: disabled here and by tuning
        self._sweep_every = sweep_every
        self._watermarks: dict[str, int] = {}
        self._detections = [(rule, _names(rule.meta)) for rule in ruleset.detections]
        self._index = RuleIndex(ruleset.detections)
        self._limits = Limits(micros(dedup_window), micros(allowed_lateness), max_event_ids)
        self._correlations = [(c, _names(c.meta)) for c in _runnable(ruleset.correlations)]
        metas = [r.meta for r in ruleset.detections] + [c.meta for c in ruleset.correlations]
        self._profiles = Profiles(metas, self._tuning)

    def feed(self, event: EcsEvent) -> list[Alert]:
        tenant, at, event_id = _identity(event)
        self.stats["events"] += 1
        off = self._off.get(tenant)
        if off is None:
            off = self._tuning.disabled_for(tenant) | self._disabled.get(tenant, frozenset())
            self._off[tenant] = off
        fired: set[str] = set()
        alerts: list[Alert] = []
        for position in self._index.candidates(event.doc):
            rule, names = self._detections[position]
            if names & off or not self._matches(rule, event.doc):
                continue
            if self._excluded(tenant, rule.meta.id, event.doc):
                continue
            fired |= names
            self.rule_hits[rule.meta.id] += 1
            if rule.generate:
                alerts += self._single(rule.meta.id, tenant, event.doc, at, event_id)
        for corr, names in self._correlations:
            refs = tuple(r for r in corr.rules if r in fired)
            if not refs or names & off or self._excluded(tenant, corr.meta.id, event.doc):
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

    def _excluded(self, tenant: str, rule_id: str, doc: dict[str, Any]) -> bool:
        """Whether the tenant's tuning excludes the event from the rule (then counted)."""
        tuned = self._profiles.tuned(tenant, rule_id)
        if tuned is None or not tuned.excludes(doc):
            return False
        self.stats["hits_excluded"] += 1
        self.exclusion_hits[(tenant, rule_id)] += 1
        return True

    def _single(
        self, rule_id: str, tenant: str, doc: dict[str, Any], at: int, event_id: str
    ) -> list[Alert]:
        """Count a hit of a single-event rule in its episode; the alert to publish."""
        key = state_key("e", tenant, rule_id, {})
        episode = self._state.get(key)

        def opening() -> str:
            return derived_id(tenant, rule_id, _NO_GROUP, str(at))

        status, updated = single_hit(episode, at, event_id, self._limits, opening)
        self.stats[f"hits_{status}"] += 1
        if status == "duplicate":
            return self._replay(rule_id, tenant, {}, doc, at, episode)
        if updated is None:
            return []
        self._state.put(key, updated)
        return self._publish(rule_id, tenant, {}, doc, episode, updated)

    def _advance(self, rule: CorrelationRule, hit: Hit) -> tuple[bool, list[Alert]]:
        """Feed one window; whether the rule fired, and the alerts to publish."""
        seen = self._windows.observe(rule, hit)
        self.stats[f"hits_{seen.status}"] += 1
        self.stats["window_overflow"] += seen.overflow
        if seen.group is None or not rule.generate:
            return seen.match is not None, []
        key = state_key("e", hit.tenant, rule.meta.id, seen.group)
        if seen.status == "duplicate":
            episode = self._state.get(key)
            return False, self._replay(
                rule.meta.id, hit.tenant, seen.group, hit.doc, hit.at, episode
            )
        if seen.match is None:
            return False, []
        span = micros(rule.timespan)
        previous = self._state.get(key)
        episode = continued(previous, seen.match, span, self._max_ids) if previous else None
        if episode is None:
            start = derived_id(hit.tenant, rule.meta.id, canonical(seen.group), str(seen.match.at))
            episode = opened(start, seen.match, span, self._max_ids)
        self._state.put(key, episode)
        return True, self._publish(rule.meta.id, hit.tenant, seen.group, hit.doc, previous, episode)

    def _publish(
        self, rule_id: str, tenant: str, group: dict[str, str], doc: dict[str, Any],
        previous: Value | None, episode: Value,
    ) -> list[Alert]:  # fmt: skip
        """The alert of a firing: its episode's, or under suppression its suppression record's."""
        self.stats["alerts"] += 1
        tuned = self._profiles.tuned(tenant, rule_id)
        if tuned is None or tuned.suppress is None:
            return [self._alert(rule_id, tenant, group, episode, doc)]
        by = by_values(tuned.suppress.by, doc)
        key = state_key("s", tenant, rule_id, by)

        def opening() -> str:
            return derived_id("suppressed", tenant, rule_id, canonical(by), str(episode["fired"]))

        record = suppressed(
            self._state.get(key), previous, episode, window=micros(tuned.suppress.window),
            lateness=self._limits.lateness, max_ids=self._max_ids, new_id=opening,
        )  # fmt: skip
        self._state.put(key, record)
        self.stats["alerts_suppressed"] += record["version"] > 1
        return [self._alert(rule_id, tenant, by, record, doc)]

    def _replay(
        self, rule_id: str, tenant: str, group: dict[str, str], doc: dict[str, Any], at: int,
        episode: Value | None,
    ) -> list[Alert]:  # fmt: skip
        """The unchanged alert a redelivered event contributed to, if its episode holds it."""
        tuned = self._profiles.tuned(tenant, rule_id)
        if tuned is not None and tuned.suppress is not None:
            group = by_values(tuned.suppress.by, doc)
            episode = self._state.get(state_key("s", tenant, rule_id, group))
        if episode is None or not episode["first"] <= at <= episode["last"]:
            return []
        self.stats["alerts_replayed"] += 1
        return [self._alert(rule_id, tenant, group, episode, doc)]

    def _alert(
        self, rule_id: str, tenant: str, group: dict[str, str], episode: Value, doc: dict[str, Any]
    ) -> Alert:
        profile = self._profiles.profile(tenant, rule_id)
        asset = self._assets.of_event(tenant, doc) if self._assets is not None else None
        risk = profile.risk
        if asset is not None:
            risk = risk_score(profile.ref.level, asset.criticality, asset.exposure)
        return Alert(
            id=episode["id"],
            tenant=tenant,
            rule=profile.ref,
            threat=orjson.loads(profile.threat),
            group=group,
            first_seen=from_micros(episode["first"]),
            last_seen=from_micros(episode["last"]),
            count=episode["count"],
            event_ids=episode["ids"],
            risk_score=risk,
            version=episode["version"],
            asset=asset.summary() if asset is not None else {},
        )
