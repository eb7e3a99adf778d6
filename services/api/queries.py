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


def sources(scope: TenantScope) -> Query:
    """Per tenant and source: raw records received, of them parsed, failed and truncated."""
    where = _Where(scope)
    sql = f"""
        SELECT tenant, source, sum(received) AS received, sum(parsed) AS parsed,
               sum(failed) AS failed, sum(truncated) AS truncated, max(last_seen) AS last_seen
        FROM (
            SELECT tenant, source, toUInt64(uniqExact(id)) AS received, toUInt64(0) AS parsed,
                   toUInt64(0) AS failed, toUInt64(uniqExactIf(id, truncated = 1)) AS truncated,
                   CAST(max(received_at) AS Nullable(DateTime64(3, 'UTC'))) AS last_seen
            FROM raw_index WHERE {where} GROUP BY tenant, source
            UNION ALL
            SELECT tenant, source, 0, toUInt64(uniqExact(raw_id)), 0, 0, NULL
            FROM events WHERE {where} AND raw_id != '' GROUP BY tenant, source
            UNION ALL
            SELECT tenant, source, 0, 0, toUInt64(uniqExact(record_id)), 0, NULL
            FROM dead_letters WHERE {where} AND stage = 'normalizer' GROUP BY tenant, source
        )
        GROUP BY tenant, source ORDER BY tenant, source
    """
    return Query(sql, where.parameters)
