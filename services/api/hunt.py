"""Retro-hunts, shared by ``POST /api/v1/hunts`` and ``vigie hunt``: Sigma YAML → stored events.

``plan`` loads the rule text exactly as the correlator loads rule files (same ECS pipeline and
logsource routes) and translates it with ``correlator.hunt_sql.to_sql``; the text must hold one
single-event rule. Anything that keeps the hunt from running exactly as the stream matcher would
(a load error, a correlation, a rule the SQL generator refuses, a bad time range) raises
``HuntRefused`` with the reason. ``run`` executes the query and returns the event documents,
oldest first; ``hunt_store`` does both against a store it opens and closes itself (the CLI).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import orjson

from services.api.utc import epoch_ms
from services.correlator.hunt_sql import HuntError, HuntQuery, HuntWindow, to_sql
from services.correlator.rules import load_rule_text
from services.runtime.store import Store

DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000
SINGLE_EVENT_ONLY = (
    "hunts run single-event rules; the text holds a correlation: hunt with each rule it "
    "correlates instead"
)


class HuntRefused(ValueError):
    """The hunt cannot run; the message is the reason, ``code`` what is wrong (rule or request)."""

    def __init__(self, reason: str, *, code: str = "invalid_rule") -> None:
        super().__init__(reason)
        self.code = code


class StoreUnavailable(RuntimeError):
    """``hunt_store`` could not open or query the store."""


def plan(
    rule_text: str,
    *,
    tenants: Iterable[str],
    since: datetime,
    until: datetime | None = None,
    limit: int = DEFAULT_LIMIT,
) -> HuntQuery:
    scope = tuple(sorted(set(tenants)))
    if not scope:
        raise HuntRefused("no tenant to hunt in", code="bad_request")
    if until is not None and until <= since:
        raise HuntRefused("until must be later than since", code="bad_request")
    if not 1 <= limit <= MAX_LIMIT:
        raise HuntRefused(f"limit must be between 1 and {MAX_LIMIT}", code="bad_request")
    ruleset = load_rule_text(rule_text, path="<hunt>")
    if ruleset.errors:
        raise HuntRefused("; ".join(_described(e.title, e.reason) for e in ruleset.errors))
    if ruleset.correlations:
        raise HuntRefused(SINGLE_EVENT_ONLY)
    if len(ruleset.detections) != 1:
        raise HuntRefused(f"give exactly one Sigma rule, not {len(ruleset.detections)}")
    window = HuntWindow(scope, epoch_ms(since), None if until is None else epoch_ms(until), limit)
    try:
        return to_sql(ruleset.detections[0], window)
    except HuntError as exc:
        raise HuntRefused(str(exc)) from exc


async def run(store: Store, query: HuntQuery) -> list[dict[str, Any]]:
    rows = await store.query(query.sql, query.parameters)
    return [orjson.loads(row["doc"]) for row in rows]


async def hunt_store(dsn: str, rule_text: str, **window: Any) -> list[dict[str, Any]]:
    """Plan, then run on the store at ``dsn``, opened for this hunt only."""
    query = plan(rule_text, **window)
    store = Store(dsn)
    try:
        await store.start()
        return await run(store, query)
    except Exception as exc:  # the client's errors vary by backend; each one means the same here
        raise StoreUnavailable(
            f"cannot hunt in the store {dsn}: {exc}. A chDB store is open to one process at a "
            "time: while Vigie runs, hunt through the API (POST /api/v1/hunts)"
        ) from exc
    finally:
        await store.close()


def shown(query: HuntQuery) -> dict[str, Any]:
    """The query as JSON: its text and parameters (numbers are finite: pySigma refuses others)."""
    return {"text": query.sql, "parameters": query.parameters}


def _described(title: str | None, reason: str) -> str:
    return f"{title}: {reason}" if title else reason
