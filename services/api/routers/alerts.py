"""``GET /api/v1/alerts`` (newest ``last_seen`` first) and ``GET /api/v1/alerts/{id}``.

Only the caller's tenants are ever read; an alert of another tenant answers 404 exactly like an
alert that does not exist, so its existence is not revealed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query

from schemas.alert import Alert, Level
from schemas.codec import decode
from services.api import queries
from services.api.deps import Cursors, PageLimit, Scope, StoreDep
from services.api.errors import ApiError
from services.api.listing import fetch_page
from services.api.models import AlertItem, AlertPage
from services.api.queries import AlertFilter, Keyset

router = APIRouter(prefix="/api/v1", tags=["alerts"])

ENDPOINT = "alerts"
Text = Annotated[str | None, Query(max_length=256)]


def _item(doc: str) -> AlertItem:
    return AlertItem.of(decode(doc.encode(), Alert))


@router.get("/alerts")
async def list_alerts(
    scope: Scope,
    store: StoreDep,
    cursors: Cursors,
    limit: PageLimit,
    since: datetime | None = None,
    until: datetime | None = None,
    rule: Text = None,
    level: Level | None = None,
    cursor: str | None = None,
) -> AlertPage:
    filters = AlertFilter(since=since, until=until, rule=rule, level=level)

    def build(after: Keyset | None, count: int) -> queries.Query:
        return queries.list_alerts(scope, filters, after=after, limit=count)

    rows, next_cursor = await fetch_page(
        store,
        cursors,
        build,
        endpoint=ENDPOINT,
        scope=scope,
        filters=filters,
        cursor=cursor,
        limit=limit,
    )
    return AlertPage(items=[_item(r["doc"]) for r in rows], next_cursor=next_cursor)


@router.get("/alerts/{alert_id}")
async def get_alert(
    alert_id: Annotated[str, Path(max_length=256)], scope: Scope, store: StoreDep
) -> AlertItem:
    query = queries.get_alert(scope, alert_id)
    rows = await store.query(query.sql, query.parameters)
    if not rows:
        raise ApiError(404, "not_found", "no such alert")
    return _item(rows[0]["doc"])
