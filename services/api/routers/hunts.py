"""``POST /api/v1/hunts``: run a Sigma rule over the stored events of the caller's tenants.

Body ``{"rule": <Sigma YAML>, "since": ISO, "until": ISO | null, "limit": n}`` (``since``
inclusive, ``until`` exclusive, on the events' own ``@timestamp``). The answer is
``{"items": [event documents, oldest first], "count": n, "sql": {"text", "parameters"}}``: the
exact query that ran, for transparency. A tenant key hunts in its tenant; an analyst hunts in
``?tenant=`` or else in every configured tenant. A rule that does not load, a correlation
("hunts run single-event rules") or a rule the generator cannot translate exactly gets 400
``invalid_rule`` with the reason; an empty time range gets 400 ``bad_request``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from services.api import hunt
from services.api.deps import Scope, StoreDep
from services.api.errors import ApiError
from services.api.models import UtcDatetime

router = APIRouter(prefix="/api/v1", tags=["hunts"])

MAX_RULE_CHARS = 100_000


class HuntBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rule: str = Field(min_length=1, max_length=MAX_RULE_CHARS)
    since: UtcDatetime
    until: UtcDatetime | None = None
    limit: int = Field(default=hunt.DEFAULT_LIMIT, ge=1, le=hunt.MAX_LIMIT)


class HuntResult(BaseModel):
    items: list[dict[str, Any]]
    count: int
    sql: dict[str, Any]


@router.post("/hunts")
async def run_hunt(body: HuntBody, request: Request, scope: Scope, store: StoreDep) -> HuntResult:
    tenants = scope.tenants
    if tenants is None:  # an analyst without ?tenant=: every configured tenant
        tenants = frozenset(t.id for t in request.app.state.settings.tenants)
    try:
        query = hunt.plan(
            body.rule, tenants=tenants, since=body.since, until=body.until, limit=body.limit
        )
    except hunt.HuntRefused as exc:
        raise ApiError(400, exc.code, str(exc)) from exc
    items = await hunt.run(store, query)
    return HuntResult(items=items, count=len(items), sql=hunt.shown(query))
