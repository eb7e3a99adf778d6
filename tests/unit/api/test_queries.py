"""SQL builders: the tenant scope is always applied, user input only ever travels as a parameter."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest

from services.api import queries
from services.api.queries import ActionFilter, AlertFilter, Keyset, Query, TenantScope

HOSTILE = "x') OR 1=1 UNION SELECT doc FROM alerts --"
CLIENT = TenantScope(frozenset({"tenant-a"}))
ANALYST = TenantScope(None)

Builder = Callable[[TenantScope], Query]
BUILDERS: dict[str, Builder] = {
    "list_alerts": lambda s: queries.list_alerts(
        s, AlertFilter(rule=HOSTILE, level=HOSTILE), after=Keyset(1, HOSTILE), limit=10
    ),
    "list_actions": lambda s: queries.list_actions(
        s, ActionFilter(alert_id=HOSTILE, status=HOSTILE), after=Keyset(1, HOSTILE), limit=10
    ),
    "get_alert": lambda s: queries.get_alert(s, HOSTILE),
    "get_event": lambda s: queries.get_event(s, HOSTILE),
    "sources": lambda s: queries.sources(
        s, now=datetime(2026, 12, 1, tzinfo=UTC), learning_seconds=86400, skew_window_seconds=3600
    ),
    "source_activity": lambda s: queries.source_activity(
        s, now=datetime(2026, 12, 1, tzinfo=UTC), learning_seconds=86400
    ),
    "latest_alerts": lambda s: queries.latest_alerts(s, HOSTILE),
}


@pytest.mark.parametrize("name", BUILDERS)
def test_queries_filter_a_client_scope_by_tenant(name: str) -> None:
    query = BUILDERS[name](CLIENT)
    assert "tenant IN {tenants:Array(String)}" in query.sql
    assert query.parameters["tenants"] == ["tenant-a"]


@pytest.mark.parametrize("name", BUILDERS)
def test_queries_leave_an_analyst_scope_unfiltered(name: str) -> None:
    query = BUILDERS[name](ANALYST)
    assert "tenants" not in query.sql and "tenants" not in query.parameters


@pytest.mark.parametrize("name", BUILDERS)
def test_queries_never_put_user_input_in_the_sql_text(name: str) -> None:
    assert HOSTILE not in BUILDERS[name](CLIENT).sql


# Builders returning rows read FINAL; ``sources`` counts distinct ids, which duplicates cannot move.
@pytest.mark.parametrize(
    "name", ["list_alerts", "list_actions", "get_alert", "get_event", "latest_alerts"]
)
def test_queries_read_rows_final_and_bind_user_input(name: str) -> None:
    query = BUILDERS[name](CLIENT)
    assert " FINAL " in query.sql
    assert HOSTILE in query.parameters.values()


def test_queries_scope_with_several_tenants_is_sorted() -> None:
    scope = TenantScope(frozenset({"tenant-b", "tenant-a"}))
    assert queries.get_alert(scope, "a").parameters["tenants"] == ["tenant-a", "tenant-b"]


def test_queries_alert_filters_become_epoch_millisecond_bounds() -> None:
    paris = timezone(timedelta(hours=1))
    filters = AlertFilter(
        since=datetime(2026, 12, 1, 11, 0, tzinfo=paris), until=datetime(2026, 12, 1, 11, 0)
    )
    query = queries.list_alerts(CLIENT, filters, after=None, limit=5)
    assert "last_seen >= fromUnixTimestamp64Milli({since_ms:Int64}, 'UTC')" in query.sql
    assert "last_seen < fromUnixTimestamp64Milli({until_ms:Int64}, 'UTC')" in query.sql
    assert query.parameters["since_ms"] == 1796119200000  # 10:00 UTC
    assert query.parameters["until_ms"] == 1796122800000  # naive: 11:00 UTC
    assert query.parameters["limit"] == 5
    assert "after_ms" not in query.parameters and "rule" not in query.parameters


def test_queries_pages_are_newest_first_after_the_keyset() -> None:
    query = queries.list_alerts(CLIENT, AlertFilter(), after=Keyset(1700, "a-9"), limit=3)
    assert "ORDER BY last_seen DESC, id DESC" in query.sql
    anchor = "(fromUnixTimestamp64Milli({after_ms:Int64}, 'UTC'), {after_id:String})"
    assert f"(last_seen, id) < {anchor}" in query.sql
    assert (query.parameters["after_ms"], query.parameters["after_id"]) == (1700, "a-9")


def test_queries_filters_normalise_times_to_utc() -> None:
    paris = timezone(timedelta(hours=1))
    assert AlertFilter(since=datetime(2026, 12, 1, 11, tzinfo=paris)) == AlertFilter(
        since=datetime(2026, 12, 1, 10, tzinfo=UTC)
    )
    naive = AlertFilter(since=datetime(2026, 12, 1, 10))
    assert naive.since == datetime(2026, 12, 1, 10, tzinfo=UTC)


def test_queries_scope_allows_only_its_tenants() -> None:
    assert CLIENT.allows("tenant-a") and not CLIENT.allows("tenant-b")
    assert ANALYST.allows("tenant-b")


@pytest.mark.parametrize(
    ("name", "tables"),
    [
        ("sources", ["dead_letters", "events", "events", "raw_index", "raw_index"]),
        ("source_activity", ["raw_index", "raw_index"]),
    ],
)
def test_queries_source_figures_scope_every_table_read_and_skip_documents(
    name: str, tables: list[str]
) -> None:
    sql = BUILDERS[name](CLIENT).sql
    reads = re.findall(r"FROM (raw_index|events|dead_letters) WHERE (\S+ IN \{\w+)", sql)
    assert sorted(table for table, _ in reads) == tables
    assert {scope for _, scope in reads} == {"tenant IN {tenants"}
    assert not re.search(r"\b(doc|payload|data)\b", sql)


def test_queries_source_activity_counts_no_distinct_ids() -> None:
    assert "uniq" not in BUILDERS["source_activity"](CLIENT).sql


def test_queries_sources_windows_end_at_now() -> None:
    now = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    query = queries.sources(CLIENT, now=now, learning_seconds=7200, skew_window_seconds=600)
    ms = 1796119200000
    assert {k: v for k, v in query.parameters.items() if k.endswith("_ms")} == {
        "now_ms": ms,
        "since_1m_ms": ms - 60_000,
        "since_15m_ms": ms - 900_000,
        "skew_since_ms": ms - 600_000,
        "learn_since_ms": ms - 7_200_000,
    }
