"""Correlator bench: ``Correlator.feed`` CPU cost over the realistic ECS mix of ``events.py``.

Rule sets: the corpus Sigma rules as they are, then 500 and 1,000 rules (corpus plus
``variants.py``). Each gets a Correlator on ``MemoryState`` with default settings and its own
copy of the same event stream; after ``WARMUP`` events, they are fed in turns, one batch of
``BATCH`` events each, until each has spent ``budget`` CPU seconds in ``feed``; taking turns
makes a change in the machine's load weigh on every rule set alike, so their ratio holds. A
figure is the events fed over the CPU seconds spent; ``best_batch`` is the fastest batch.
A noisy run feeds one tenant's events to a rule that matches every event, in ``NOISY_SEGMENTS``
segments of ``BATCH`` events, to show whether a hit's cost grows with the hits before it.

Targets (issue): >= 20,000 events per CPU-second at 1,000 rules; 1,000 rules cost <= 1.3x the
CPU of 500; a noisy rule's last segment costs <= 1.3x its second (from the second segment on,
its alert lists ``max_event_ids`` events already, and only the hits behind it keep growing).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from bench.events import EventMix, EventStream
from bench.report import Target, at_least, at_most, cpu_rate
from bench.variants import ruleset
from services.correlator.core import Correlator
from services.correlator.rules import load_rule_text
from services.correlator.state import MemoryState

SEED = 7
SIZES = {"corpus": 0, "500": 500, "1000": 1000}
WARMUP = 2_000
BATCH = 2_000
NOISY_SEGMENTS = 6
NOISY_RULE = """
title: Every event (bench)
id: 00000000-0000-4000-8000-00000000be7c
logsource: {product: bench}
detection:
    selection: {event.kind: event}
    condition: selection
level: low
"""


@dataclass(slots=True)
class _Run:
    """One rule set under measurement."""

    correlator: Correlator
    stream: EventStream
    figures: dict[str, Any]
    batches: list[float] = field(default_factory=list)  # CPU seconds per batch
    alerts: int = 0

    def feed_batch(self) -> None:
        events = self.stream.batch(BATCH)
        start = time.process_time()
        for event in events:
            self.alerts += len(self.correlator.feed(event))
        self.batches.append(time.process_time() - start)

    def summary(self) -> dict[str, Any]:
        events, cpu = BATCH * len(self.batches), sum(self.batches)
        return {
            **self.figures, "events": events, "cpu_seconds": round(cpu, 3),
            "events_per_cpu_second": round(events / cpu),
            "us_per_event": round(cpu / events * 1e6, 2),
            "best_batch_events_per_cpu_second": round(BATCH / min(self.batches)),
            "alerts_per_1000_events": round(self.alerts / events * 1000, 2),
            "stats": dict(self.correlator.stats),
        }  # fmt: skip


def run(budget: float) -> tuple[dict[str, Any], dict[str, Any], list[Target]]:
    """Parameters, figures and targets of the whole correlator bench."""
    runs = {name: _prepare(size) for name, size in SIZES.items()}
    while any(sum(r.batches) < budget for r in runs.values()):
        for measured in runs.values():
            if sum(measured.batches) < budget:
                measured.feed_batch()
    figures: dict[str, Any] = {name: r.summary() for name, r in runs.items()}
    ratio = figures["1000"]["us_per_event"] / figures["500"]["us_per_event"]
    figures["cpu_ratio_1000_over_500"] = round(ratio, 3)
    figures["noisy"] = noisy(budget=budget)
    growth = figures["noisy"]["growth_last_over_second"]
    targets = [
        at_least("events per CPU-second, 1,000 rules", figures["1000"]["events_per_cpu_second"],
                 20_000),
        at_most("CPU per event, 1,000 rules over 500", ratio, 1.3),
        at_most("noisy rule: CPU per event, last segment over second", growth, 1.3),
    ]  # fmt: skip
    parameters = {
        "seed": SEED, "warmup_events": WARMUP, "batch_events": BATCH,
        "budget_cpu_seconds": budget, "sizes": SIZES, "noisy_segments": NOISY_SEGMENTS,
        "event_time_step_us": EventStream(EventMix(SEED)).step.total_seconds() * 1e6,
        "tenants": 5, "mix": EventMix(SEED).describe(),
    }  # fmt: skip
    return parameters, figures, targets


def _prepare(size: int) -> _Run:
    start = time.process_time()
    rules = ruleset(size)
    loaded = time.process_time()
    correlator = Correlator(rules, state=MemoryState())
    built = time.process_time()
    stream = EventStream(EventMix(SEED))
    for event in stream.batch(WARMUP):
        correlator.feed(event)
    figures = {
        "detections": len(rules.detections), "correlations": len(rules.correlations),
        "load_errors": len(rules.errors), "load_cpu_seconds": round(loaded - start, 2),
        "build_cpu_seconds": round(built - loaded, 3),
    }  # fmt: skip
    return _Run(correlator, stream, figures)


def noisy(*, budget: float) -> dict[str, Any]:
    """µs per event of each segment of ``BATCH`` events, all hits of one rule and one tenant.

    A segment's figure is its fastest quarter, so that a moment of load on a shared machine does
    not pass for growth."""
    rules = load_rule_text(NOISY_RULE, path="<noisy>")
    correlator = Correlator(rules, state=MemoryState())
    stream = EventStream(EventMix(SEED), tenants=1)
    segments, spent = [], 0.0
    for _ in range(NOISY_SEGMENTS):
        quarters = []
        for _ in range(4):
            events, cpu = cpu_rate(iter([stream.batch(BATCH // 4)]), correlator.feed, budget=0)
            quarters.append(cpu / events * 1e6)
            spent += cpu
        segments.append(round(min(quarters), 2))
        if len(segments) > 2 and spent > 4 * budget:  # a correlator this slow made its point
            break
    return {
        "hits_per_segment": BATCH, "us_per_event_by_segment": segments,
        "growth_last_over_second": round(segments[-1] / segments[1], 3),
        "stats": dict(correlator.stats),
    }  # fmt: skip
