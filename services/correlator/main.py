"""Correlator wiring: Sigma rules → ``Correlator`` → a Worker from ``ecs.events`` to ``alerts``.

Rules come from ``settings.rules.sigma`` (files or folders), or Vigie's own rules when that list
is empty; a rule that fails to load is logged at warning level with its reason and left out.
Per-tenant ``disabled_rules`` (ids or names) come from ``settings.tenants``. State is in memory
unless a StateStore is given (Kafka mode passes a changelog-backed one). The correlator's
counters are exported as Prometheus counters after each event.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from prometheus_client import Counter as PromCounter

from schemas import topics
from schemas.alert import Alert
from schemas.ecs import EcsEvent
from services.correlator.builtin_rules import builtin_rules_dir
from services.correlator.core import Correlator
from services.correlator.model import RuleSet
from services.correlator.state import MemoryState, StateStore
from services.runtime import metrics
from services.runtime.bus import Bus
from services.runtime.settings import Settings
from services.runtime.worker import Worker

log = logging.getLogger(__name__)


def load_ruleset(settings: Settings) -> RuleSet:
    """The rule set the settings name, with every load problem logged."""
    from services.correlator.rules import load_rules

    folders = [Path(p) for p in settings.rules.sigma] or [builtin_rules_dir()]
    ruleset = load_rules(folders)
    for error in ruleset.errors:
        log.warning(
            "rule not loaded",
            extra={"path": error.path, "title": error.title, "reason": error.reason},
        )
    for caveat in ruleset.warnings:
        log.warning(
            "rule loaded with a caveat",
            extra={"path": caveat.path, "title": caveat.title, "reason": caveat.reason},
        )
    log.info(
        "rules loaded",
        extra={"detections": len(ruleset.detections), "correlations": len(ruleset.correlations),
               "errors": len(ruleset.errors), "folders": [str(f) for f in folders]},
    )  # fmt: skip
    return ruleset


def _exporting(correlator: Correlator) -> Callable[[EcsEvent], list[Alert]]:
    """``correlator.feed`` that also moves the growth of its counters into Prometheus."""
    outcomes = metrics.counter(
        "vigie_correlator_outcomes_total", "Events, hits and alerts by outcome", ["outcome"]
    )
    errors = metrics.counter(
        "vigie_correlator_rule_errors_total", "Rule predicates that raised, by rule", ["rule"]
    )
    alerts = metrics.counter(
        "vigie_correlator_alerts_total", "Alert versions emitted, by rule", ["rule"]
    )
    exported: dict[str, Counter[str]] = {"stats": Counter(), "errors": Counter()}

    def sync(source: Counter[str], done: Counter[str], counter: PromCounter) -> None:
        for name, total in source.items():
            if total > done[name]:
                counter.labels(name).inc(total - done[name])
                done[name] = total

    def feed(event: EcsEvent) -> list[Alert]:
        out = correlator.feed(event)
        sync(correlator.stats, exported["stats"], outcomes)
        sync(correlator.rule_errors, exported["errors"], errors)
        for alert in out:
            alerts.labels(alert.rule.id).inc()
        return out

    return feed


def correlator_for(settings: Settings, state: StateStore) -> Correlator:
    """The Correlator both drivers run (this Worker, and the faust agent in Kafka mode)."""
    cfg = settings.correlator
    return Correlator(
        load_ruleset(settings),
        state=state,
        max_event_ids=cfg.max_event_ids,
        allowed_lateness=timedelta(seconds=cfg.allowed_lateness_seconds),
        disabled={t.id: frozenset(t.disabled_rules) for t in settings.tenants if t.disabled_rules},
    )


def build(settings: Settings, bus: Bus, *, state: StateStore | None = None) -> Worker:
    correlator = correlator_for(settings, state if state is not None else MemoryState())
    return Worker(
        "correlator",
        bus,
        sources=[topics.ECS_EVENTS],
        decode_as=EcsEvent,
        handle=_exporting(correlator),
    )
