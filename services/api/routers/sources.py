"""``GET /api/v1/sources``: per tenant and source, how many raw records arrived and became what.

``received`` counts distinct raw records, ``parsed`` the distinct raw records that gave at least
one ECS event, ``failed`` those the normalizer dead-lettered and ``truncated`` those cut at the
collector's size limit; ``last_seen`` is when the latest raw record arrived.
"""

from __future__ import annotations

from fastapi import APIRouter

from services.api import queries
from services.api.deps import Scope, StoreDep
from services.api.models import SourceItem, SourceList

router = APIRouter(prefix="/api/v1", tags=["sources"])


@router.get("/sources")
async def list_sources(scope: Scope, store: StoreDep) -> SourceList:
    query = queries.sources(scope)
    rows = await store.query(query.sql, query.parameters)
    return SourceList(items=[SourceItem.model_validate(r) for r in rows])
