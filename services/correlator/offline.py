"""Offline detection (``vigie detect``): files → the stream's normaliser and correlator → alerts.

Files are read exactly as ``vigie parse`` reads them (``services.normalizer.offline.OfflineRun``:
lines, Zeek TSV batches, ``.evtx`` through ``READERS``; one record's JSON array or NDJSON through
the JSON parsers), and every ECS document goes, in file order, to one ``Correlator`` on a
``MemoryState``: the same code and event-time windows as the stream. Hence the stream's rules for
order too: a hit more than ``allowed_lateness`` older than the newest hit of its window is
ignored and counted as late (the summary says how many); raise the lateness to read files that
are not in time order.

Alerts grow in place (same id, higher ``version``) while their rule keeps firing; ``alerts`` holds
the last version of each alert id, in the order the ids first appeared, and is what the command
prints once every file is read. ``DetectSummary`` counts records, documents and failures (as
``vigie parse``), events the correlator refused (no ``@timestamp``, ``event.id`` or
``organization.id``: never from the normaliser), the alerts per rule and the hits the windows
ignored.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from schemas.alert import Alert
from schemas.ecs import EcsEvent
from services.normalizer.core import AUTO
from services.normalizer.offline import OfflineRun, Summary

from .core import Correlator
from .model import RuleSet
from .state import MemoryState


@dataclass
class DetectSummary:
    parsed: Summary
    events: int = 0
    refused: int = 0
    alerts_by_rule: Counter[tuple[str, str]] = field(default_factory=Counter)  # (id, title)
    hits: Counter[str] = field(default_factory=Counter)  # hits_late, hits_ungrouped, ...

    def lines(self, *, per_format: bool) -> list[str]:
        alerts = sum(self.alerts_by_rule.values())
        out = [*self.parsed.lines(per_format=per_format)]
        out.append(f"{self.events} events correlated, {self.refused} refused, {alerts} alerts")
        out += [
            f"  {count} alert{'s' if count > 1 else ''}: {title} [{rule_id}]"
            for (rule_id, title), count in sorted(self.alerts_by_rule.items(), key=lambda i: -i[1])
        ]
        if self.hits["hits_late"]:
            out.append(
                f"{self.hits['hits_late']} hits ignored as late (older than the allowed lateness "
                "behind their window's newest hit): sort the input or raise --allowed-lateness"
            )
        return out


class OfflineDetection:
    def __init__(
        self,
        ruleset: RuleSet,
        *,
        fmt: str = AUTO,
        timezone: str = "UTC",
        tenant: str = "local",
        allowed_lateness: timedelta = timedelta(seconds=60),
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """Raises ``ValueError`` for an unknown format or timezone (before any file is read)."""
        self._parse = OfflineRun(fmt=fmt, timezone=timezone, tenant=tenant, now=now)
        self._correlator = Correlator(
            ruleset, state=MemoryState(), allowed_lateness=allowed_lateness
        )
        self._alerts: dict[str, Alert] = {}

    @property
    def per_format(self) -> bool:
        return self._parse.per_format

    @property
    def alerts(self) -> list[Alert]:
        """The last version of every alert, in the order the alert ids first appeared."""
        return list(self._alerts.values())

    def run(self, paths: Iterable[Path], *, err: Callable[[str], None]) -> DetectSummary:
        summary = DetectSummary(Summary())

        def feed(line: bytes) -> None:
            event = EcsEvent.model_construct(orjson.loads(line))
            try:
                alerts = self._correlator.feed(event)
            except ValueError as exc:
                summary.refused += 1
                err(f"{event.doc.get('vigie', {}).get('source', '?')}: event refused: {exc}")
                return
            summary.events += 1
            for alert in alerts:
                if alert.id not in self._alerts:
                    summary.alerts_by_rule[alert.rule.id, alert.rule.title] += 1
                self._alerts[alert.id] = alert

        summary.parsed = self._parse.run(paths, out=feed, err=err)
        summary.hits.update(
            {k: v for k, v in self._correlator.stats.items() if k.startswith("hits_")}
        )
        return summary
