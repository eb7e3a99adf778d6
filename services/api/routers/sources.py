"""``GET /api/v1/sources``: per tenant and source, what arrived, what it became, and its health.

Every source of the caller's tenants that sent anything, plus every configured source (listener,
HTTP source or ``sources`` entry) that has not, with zero counts and status ``never_seen``.
``received`` counts distinct raw records, ``parsed`` those that gave at least one ECS event,
``failed`` those the normalizer dead-lettered and ``truncated`` those cut at the collector's size
limit; rates, clock skew, silence and status follow ``services/api/quality.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from services.api.deps import Scope, StoreDep
from services.api.models import SourceItem, SourceList
from services.api.quality import assess
from services.api.quality_worker import load_stats, quality_policy

router = APIRouter(prefix="/api/v1", tags=["sources"])


def now() -> datetime:
    """The time the figures are computed for (a dependency, so tests can fix it)."""
    return datetime.now(UTC)


@router.get("/sources")
async def list_sources(
    request: Request, scope: Scope, store: StoreDep, at: Annotated[datetime, Depends(now)]
) -> SourceList:
    settings = request.app.state.settings
    stats = await load_stats(store, scope, now=at, quality=settings.quality)
    policy = quality_policy(settings)
    health = assess(stats, now=at, policy=policy)
    # Configured sources of other tenants are added by ``assess``: the scope applies to them too.
    return SourceList(
        items=[SourceItem.model_validate(h) for h in health if scope.allows(h.tenant)]
    )
