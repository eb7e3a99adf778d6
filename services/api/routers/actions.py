"""``GET /api/v1/actions``: action requests and results of the caller's tenants, newest first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from services.api import queries
from services.api.deps import Cursors, PageLimit, Scope, StoreDep
from services.api.listing import fetch_page
from services.api.models import ActionPage
from services.api.queries import ActionFilter, Keyset
from services.api.rows import decode_action

router = APIRouter(prefix="/api/v1", tags=["actions"])

ENDPOINT = "actions"
Text = Annotated[str | None, Query(max_length=256)]


@router.get("/actions")
async def list_actions(
    scope: Scope,
    store: StoreDep,
    cursors: Cursors,
    limit: PageLimit,
    alert_id: Text = None,
    status: Text = None,
    cursor: str | None = None,
) -> ActionPage:
    filters = ActionFilter(alert_id=alert_id, status=status)

    def build(after: Keyset | None, count: int) -> queries.Query:
        return queries.list_actions(scope, filters, after=after, limit=count)

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
    items = [decode_action(r["doc"].encode()) for r in rows]
    return ActionPage(items=items, next_cursor=next_cursor)
