"""``GET /api/v1/events/{id}``: the stored ECS document of one event of the caller's tenants."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from services.api import queries
from services.api.deps import Scope, StoreDep
from services.api.errors import ApiError

router = APIRouter(prefix="/api/v1", tags=["events"])


@router.get("/events/{event_id}", response_class=Response)
async def get_event(
    event_id: Annotated[str, Path(max_length=256)], scope: Scope, store: StoreDep
) -> Response:
    query = queries.get_event(scope, event_id)
    rows = await store.query(query.sql, query.parameters)
    if not rows:
        raise ApiError(404, "not_found", "no such event")
    # The document was stored as JSON by the sink: served as is, not decoded and re-encoded.
    return Response(rows[0]["doc"], media_type="application/json")
