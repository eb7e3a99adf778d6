"""Correlator wiring: Sigma rules → ``Correlator`` → a Worker from ``ecs.events`` to ``alerts``.

Rules come from ``settings.rules.sigma`` (files or folders), or Vigie's own rules when that list
is empty; a rule that fails to load is logged at warning level with its reason and left out.
Per-tenant ``disabled_rules`` (ids or names) come from ``settings.tenants``, and per-tenant
tuning (disable, exclusions, overrides, suppression) from the ``settings.rules.tuning`` files,
asset context for alerts from the ``settings.assets.files`` inventory.
State is in memory unless a StateStore is given (Kafka mode passes a changelog-backed one). The
correlator's counters are exported as Prometheus counters after each event.

``build_service`` is what both run modes start: the driver (this Worker on the memory bus, the
faust agent on Kafka) over a Correlator that also matches threat intelligence, and beside it
``IntelFiles`` (``intel.files`` → ``ti.indicators``) and ``IntelFeed`` (``ti.indicators`` → the
shared ``IndicatorIndex``). The driver starts once the feed has caught up, so no event is matched
against a partly loaded index; the Service is ready when both are.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from prometheus_client import Counter as PromCounter

from schemas import topics
from schemas.alert import Alert
from schemas.ecs import EcsEvent
from services.correlator.assets import AssetIndex, load_assets
from services.correlator.builtin_rules import builtin_rules_dir
from services.correlator.core import Correlator
from services.correlator.intel_files import IntelFiles
from services.correlator.ioc import IndicatorIndex
from services.correlator.model import RuleSet
from services.correlator.state import MemoryState, StateStore
from services.correlator.ti_alerts import IntelCorrelator, IntelMatcher
from services.correlator.ti_store import IntelFeed
from services.correlator.tuning import Tuning, load_tuning
from services.runtime import metrics
from services.runtime.bus import Bus
from services.runtime.service import Service
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


def _exporting(correlator: Correlator | IntelCorrelator) -> Callable[[EcsEvent], list[Alert]]:
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


def load_tuning_for(settings: Settings) -> Tuning:
    """The tuning ``settings.rules.tuning`` names, with every file or entry not used logged."""
    tuning = load_tuning(settings.rules.tuning)
    for error in tuning.errors:
        log.warning("tuning not loaded", extra={"path": error.path, "reason": error.reason})
    return tuning


def load_assets_for(settings: Settings) -> AssetIndex | None:
    """The asset inventory ``settings.assets.files`` names (None: none), problems logged."""
    if not settings.assets.files:
        return None
    assets = load_assets(settings.assets.files)
    for error in assets.errors:
        log.warning("asset not loaded", extra={"path": error.path, "reason": error.reason})
    return assets


def correlator_for(
    settings: Settings, state: StateStore, *, intel: IndicatorIndex | None = None
) -> Correlator | IntelCorrelator:
    """The Correlator both drivers run (this Worker, and the faust agent in Kafka mode); with
    ``intel``, one that also raises threat-intelligence alerts on that index."""
    cfg = settings.correlator
    lateness = timedelta(seconds=cfg.allowed_lateness_seconds)
    correlator = Correlator(
        load_ruleset(settings),
        state=state,
        max_event_ids=cfg.max_event_ids,
        allowed_lateness=lateness,
        disabled={t.id: frozenset(t.disabled_rules) for t in settings.tenants if t.disabled_rules},
        tuning=load_tuning_for(settings),
        assets=load_assets_for(settings),
    )
    if intel is None:
        return correlator
    matcher = IntelMatcher(
        intel, state=state, dedup_window=timedelta(seconds=settings.intel.dedup_window_seconds),
        allowed_lateness=lateness, max_event_ids=cfg.max_event_ids, stats=correlator.stats,
    )  # fmt: skip
    return IntelCorrelator(correlator, matcher)


def build(
    settings: Settings,
    bus: Bus,
    *,
    state: StateStore | None = None,
    intel: IndicatorIndex | None = None,
) -> Worker:
    state = state if state is not None else MemoryState()
    correlator = correlator_for(settings, state, intel=intel)
    return Worker(
        "correlator",
        bus,
        sources=[topics.ECS_EVENTS],
        decode_as=EcsEvent,
        handle=_exporting(correlator),
    )


class CorrelatorWithIntel:
    """The correlator driver and the two intel services, run, watched and stopped as one."""

    stage = "correlator"

    def __init__(self, driver: Service, feed: IntelFeed, files: IntelFiles) -> None:
        self.driver = driver
        self.feed = feed
        self.files = files
        self._stopping = asyncio.Event()

    @property
    def ready(self) -> bool:
        return self.feed.ready and self.driver.ready

    async def run(self) -> None:
        # One failing stops the others, and the runner sees that first error itself.
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self.files.run(), name="intel-files")
                group.create_task(self.feed.run(), name="intel-feed")
                group.create_task(self._run_driver(), name="correlator")
        except ExceptionGroup as failed:
            raise failed.exceptions[0] from failed

    async def _run_driver(self) -> None:
        while not self.feed.ready:
            if self._stopping.is_set():
                return
            await asyncio.sleep(0.05)
        await self.driver.run()

    def stop(self) -> None:
        self._stopping.set()
        for service in (self.driver, self.feed, self.files):
            service.stop()


def build_service(settings: Settings, bus: Bus) -> CorrelatorWithIntel:
    """The correlator process of either run mode (the bus URL picks the driver)."""
    known = {t.id for t in settings.tenants}
    unknown = {f.tenant for f in settings.intel.files if f.tenant and known} - known
    if unknown:
        raise ValueError(f"intel.files name tenants that are not configured: {sorted(unknown)}")
    index = IndicatorIndex()
    files = IntelFiles(bus, settings.intel.files, reload_seconds=settings.intel.reload_seconds)
    feed = IntelFeed(bus, index, after=lambda: files.ready)
    driver: Service
    if settings.bus.url.startswith("kafka://"):
        # Kafka mode keeps the correlator state in a faust changelog-backed table.
        from services.correlator.faust_app import FaustCorrelator

        driver = FaustCorrelator(settings, intel=index)
    else:
        driver = build(settings, bus, intel=index)
    return CorrelatorWithIntel(driver, feed, files)
