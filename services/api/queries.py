"""SQL for the API, always scoped to the caller's tenants on the server side.

Every builder returns a ``Query`` (SQL text plus server-side parameters) and starts its WHERE
clause from the caller's ``TenantScope``: ``tenant IN {tenants:Array(String)}``, or no tenant
condition for an analyst's all-tenant scope. User input only ever travels as a ``{name:Type}``
parameter, never inside the SQL text. Tables are read with ``FINAL``, so redelivered rows and
older alert versions never show.

Lists are newest first with a keyset: ``ORDER BY <time> DESC, id DESC``, and the next page
starts strictly after the ``Keyset`` (time in epoch milliseconds, id) of the last row shown.
Each list row carries ``doc`` (the stored message), ``at_ms`` and ``id``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from services.api.utc import epoch_ms, utc


@dataclass(frozen=True, slots=True)
class TenantScope:
    """The tenants a caller may read; ``None`` means every tenant (an analyst)."""

    tenants: frozenset[str] | None

    def allows(self, tenant: str) -> bool:
        return self.tenants is None or tenant in self.tenants

    def binding(self) -> list[str] | None:
        """A canonical form, for binding a cursor to the scope it was issued under."""
        return None if self.tenants is None else sorted(self.tenants)


@dataclass(frozen=True, slots=True)
class Query:
    sql: str
    parameters: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Keyset:
    """Where a newest-first page ended: the last row's time (epoch ms) and id."""

    at_ms: int
    id: str


@dataclass(frozen=True, slots=True)
class AlertFilter:
    """Alert list filters; ``since`` is inclusive and ``until`` exclusive, both on last_seen."""

    since: datetime | None = None
    until: datetime | None = None
    rule: str | None = None
    level: str | None = None

    def __post_init__(self) -> None:
        _normalise_times(self)


@dataclass(frozen=True, slots=True)
class ActionFilter:
    alert_id: str | None = None
    status: str | None = None


def _normalise_times(filters: Any) -> None:
    # Equal instants must bind a cursor equally, whatever offset the caller wrote them in.
    for f in fields(filters):
        value = getattr(filters, f.name)
        if isinstance(value, datetime):
            object.__setattr__(filters, f.name, utc(value))


class _Where:
    """Conditions joined with AND, always starting from the tenant scope."""

    def __init__(self, scope: TenantScope) -> None:
        self.clauses: list[str] = []
        self.parameters: dict[str, Any] = {}
        if scope.tenants is not None:
            self.add("tenant IN {tenants:Array(String)}", tenants=sorted(scope.tenants))

    def add(self, clause: str, **parameters: Any) -> None:
        self.clauses.append(clause)
        self.parameters.update(parameters)

    def add_if_given(self, value: Any, clause: str, name: str) -> None:
        """Add ``clause`` with ``value`` bound to ``name`` unless the filter was not given."""
        if value is not None:
            self.add(clause, **{name: value})

    def __str__(self) -> str:
        return " AND ".join(self.clauses) or "1"


def _instant(name: str) -> str:
    """A DateTime64 bound from an epoch-milliseconds parameter: no client time zone involved."""
    return f"fromUnixTimestamp64Milli({{{name}:Int64}}, 'UTC')"


def _page(table: str, at: str, where: _Where, after: Keyset | None, limit: int) -> Query:
    if after is not None:
        anchor = f"({_instant('after_ms')}, {{after_id:String}})"
        where.add(f"({at}, id) < {anchor}", after_ms=after.at_ms, after_id=after.id)
    sql = (
        f"SELECT doc, toUnixTimestamp64Milli({at}) AS at_ms, id FROM {table} FINAL "
        f"WHERE {where} ORDER BY {at} DESC, id DESC LIMIT {{limit:UInt32}}"
    )
    return Query(sql, {**where.parameters, "limit": limit})


def list_alerts(
    scope: TenantScope, filters: AlertFilter, *, after: Keyset | None, limit: int
) -> Query:
    where = _Where(scope)
    since = None if filters.since is None else epoch_ms(filters.since)
    until = None if filters.until is None else epoch_ms(filters.until)
    where.add_if_given(since, f"last_seen >= {_instant('since_ms')}", "since_ms")
    where.add_if_given(until, f"last_seen < {_instant('until_ms')}", "until_ms")
    where.add_if_given(filters.rule, "rule_id = {rule:String}", "rule")
    where.add_if_given(filters.level, "level = {level:String}", "level")
    return _page("alerts", "last_seen", where, after, limit)


def list_actions(
    scope: TenantScope, filters: ActionFilter, *, after: Keyset | None, limit: int
) -> Query:
    where = _Where(scope)
    where.add_if_given(filters.alert_id, "alert_id = {alert_id:String}", "alert_id")
    where.add_if_given(filters.status, "status = {status:String}", "status")
    return _page("actions", "at", where, after, limit)


def _one(table: str, scope: TenantScope, record_id: str) -> Query:
    where = _Where(scope)
    where.add("id = {id:String}", id=record_id)
    return Query(f"SELECT doc FROM {table} FINAL WHERE {where} LIMIT 1", where.parameters)


def get_alert(scope: TenantScope, alert_id: str) -> Query:
    return _one("alerts", scope, alert_id)


def get_event(scope: TenantScope, event_id: str) -> Query:
    return _one("events", scope, event_id)


# The per-source statistics: column → (type, how the rows of the branches below combine).
# Each branch fills the columns it knows and leaves the others NULL, which the combining
# aggregates skip.
SOURCE_STATS: dict[str, tuple[str, str]] = {
    "received": ("UInt64", "sum"),
    "parsed": ("UInt64", "sum"),
    "failed": ("UInt64", "sum"),
    "truncated": ("UInt64", "sum"),
    "received_1m": ("UInt64", "sum"),
    "received_15m": ("UInt64", "sum"),
    "gaps": ("UInt64", "sum"),
    "first_seen": ("DateTime64(3, 'UTC')", "min"),
    "last_seen": ("DateTime64(3, 'UTC')", "max"),
    "clock_skew_seconds": ("Float64", "max"),
    "clock_skew_p95_seconds": ("Float64", "max"),
    "typical_gap_seconds": ("Float64", "max"),
}


def _branch(given: dict[str, str], rest: str) -> str:
    columns = ", ".join(
        f"CAST({given.get(name, 'NULL')} AS Nullable({kind})) AS {name}"
        for name, (kind, _) in SOURCE_STATS.items()
    )
    return f"SELECT tenant, source, {columns} {rest}"


def _combined(name: str, how: str) -> str:
    return f"ifNull({how}({name}), 0) AS {name}" if how == "sum" else f"{how}({name}) AS {name}"


_UNTIL_NOW = f"received_at <= {_instant('now_ms')}"


def _raw_branch(where: _Where) -> str:
    def recent(since: str) -> str:
        return f"uniqExactIf(id, received_at > {_instant(since)} AND {_UNTIL_NOW})"

    given = {
        "received": "uniqExact(id)",
        "truncated": "uniqExactIf(id, truncated = 1)",
        "first_seen": "min(received_at)",
        "last_seen": "max(received_at)",
        "received_1m": recent("since_1m_ms"),
        "received_15m": recent("since_15m_ms"),
    }
    return _branch(given, f"FROM raw_index WHERE {where} GROUP BY tenant, source")


def _event_branches(where: _Where) -> list[str]:
    skew = "(toUnixTimestamp64Milli(timestamp) - toUnixTimestamp64Milli(ingested)) / 1000"
    recent = f"ingested > {_instant('skew_since_ms')} AND ingested <= {_instant('now_ms')}"
    return [
        _branch(
            {"parsed": "uniqExact(raw_id)"},
            f"FROM events WHERE {where} AND raw_id != '' GROUP BY tenant, source",
        ),
        _branch(
            {
                "clock_skew_seconds": f"quantile(0.5)({skew})",
                "clock_skew_p95_seconds": f"quantile(0.95)({skew})",
            },
            f"FROM events WHERE {where} AND {recent} GROUP BY tenant, source",
        ),
        _branch(
            {"failed": "uniqExact(record_id)"},
            f"FROM dead_letters WHERE {where} AND stage = 'normalizer' GROUP BY tenant, source",
        ),
    ]


def _learning_branch(where: _Where) -> str:
    minute = "toInt64(toUnixTimestamp(toStartOfMinute(received_at))) AS minute"
    active = (
        f"SELECT DISTINCT tenant, source, {minute} FROM raw_index "
        f"WHERE {where} AND received_at > {_instant('learn_since_ms')} AND {_UNTIL_NOW}"
    )
    gaps = "arrayPopFront(arrayDifference(arraySort(groupArray(minute))))"
    given = {
        "gaps": "count() - 1",
        "typical_gap_seconds": f"arrayReduce('quantileExact(0.5)', {gaps})",
    }
    return _branch(given, f"FROM ({active}) GROUP BY tenant, source")


def _per_source(where: _Where, branches: list[str], times: dict[str, int]) -> Query:
    combined = ", ".join(_combined(name, how) for name, (_, how) in SOURCE_STATS.items())
    sql = (
        f"SELECT tenant, source, {combined} FROM ({' UNION ALL '.join(branches)}) "
        "GROUP BY tenant, source ORDER BY tenant, source"
    )
    return Query(sql, {**where.parameters, **times})


def sources(
    scope: TenantScope, *, now: datetime, learning_seconds: int, skew_window_seconds: int
) -> Query:
    """Per tenant and source, every figure of ``quality.SourceStats`` (windows end at ``now``).

    ``received``, ``parsed``, ``failed`` and ``truncated`` count distinct raw records since the
    start (received; of them, those that gave an ECS event, that the normalizer dead-lettered,
    that were cut at the size limit); ``received_1m`` / ``received_15m`` those received in the
    last 60 / 900 s. ``clock_skew_*`` are the median and 95th percentile of ``timestamp -
    ingested`` (seconds, signed) over the events ingested in the last ``skew_window_seconds``.
    ``gaps`` and ``typical_gap_seconds`` are the number and the median (the upper one for an
    even number) of the intervals between consecutive minutes holding at least one record in
    the last ``learning_seconds``. Only narrow columns are read, never ``doc`` or a payload.
    """
    where = _Where(scope)
    now_ms = epoch_ms(now)
    times = {
        "now_ms": now_ms,
        "since_1m_ms": now_ms - 60_000,
        "since_15m_ms": now_ms - 900_000,
        "skew_since_ms": now_ms - skew_window_seconds * 1000,
        "learn_since_ms": now_ms - learning_seconds * 1000,
    }
    branches = [_raw_branch(where), *_event_branches(where), _learning_branch(where)]
    return _per_source(where, branches, times)


def source_activity(scope: TenantScope, *, now: datetime, learning_seconds: int) -> Query:
    """What the silence rule needs of each source: ``first_seen``, ``last_seen``, ``gaps`` and
    ``typical_gap_seconds`` as in ``sources``, the counts left at 0. It counts no distinct ids,
    so it stays cheap enough to run every minute over every tenant."""
    where = _Where(scope)
    now_ms = epoch_ms(now)
    times = {"now_ms": now_ms, "learn_since_ms": now_ms - learning_seconds * 1000}
    seen = {"first_seen": "min(received_at)", "last_seen": "max(received_at)"}
    branches = [
        _branch(seen, f"FROM raw_index WHERE {where} GROUP BY tenant, source"),
        _learning_branch(where),
    ]
    return _per_source(where, branches, times)


def latest_alerts(scope: TenantScope, rule_id: str) -> Query:
    """The alert of ``rule_id`` with the latest ``first_seen`` for each tenant and group."""
    where = _Where(scope)
    where.add("rule_id = {rule_id:String}", rule_id=rule_id)
    sql = (
        f"SELECT doc FROM alerts FINAL WHERE {where} "
        "ORDER BY first_seen DESC, id DESC LIMIT 1 BY tenant, group_json"
    )
    return Query(sql, where.parameters)
