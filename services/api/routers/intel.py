"""``POST /api/v1/intel`` (analysts only): an intel file's text → indicators on ``ti.indicators``.

Body ``{"content": <file text>, "format": "auto"|"stix"|"misp"|"csv", "tenant": <id> | null,
"confidence": n | null, "valid_days": n | null, "feed": <name> | null}``. ``tenant`` must be
given: a configured tenant, or null for every tenant. The answer is ``{"published": n,
"skipped": [{"entry", "reason"}]}``. The indicators go to the process's bus, so this works in
both run modes: in embedded mode the correlator's feed reads them from the in-memory bus.
A tenant key gets 403; a content that is not of its format, or an unknown tenant, 400
``invalid_intel``. Options as ``vigie intel load`` (``services/correlator/intel.py``).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from services.api.deps import Principal, authenticate
from services.api.errors import ApiError
from services.correlator.intel import MAX_BYTES, IntelError, LoadOptions, load
from services.correlator.ti_store import publish

router = APIRouter(prefix="/api/v1", tags=["intel"])


class IntelBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content: str = Field(min_length=1, max_length=MAX_BYTES)
    format: Literal["auto", "stix", "misp", "csv"] = "auto"
    tenant: str | None  # required: null means every tenant
    confidence: int | None = Field(default=None, ge=0, le=100)
    valid_days: float | None = Field(default=None, gt=0)
    feed: str | None = Field(default=None, max_length=200)


class SkippedEntry(BaseModel):
    entry: str
    reason: str


class IntelResult(BaseModel):
    published: int
    skipped: list[SkippedEntry]


def analyst(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
    if principal.tenant is not None:
        raise ApiError(403, "forbidden", "loading threat intelligence is for analyst keys")
    return principal


@router.post("/intel")
async def load_intel(
    body: IntelBody, request: Request, _: Annotated[Principal, Depends(analyst)]
) -> IntelResult:
    settings = request.app.state.settings
    if body.tenant is not None and settings.tenants and settings.tenant(body.tenant) is None:
        raise ApiError(400, "invalid_intel", f"tenant {body.tenant!r} is not configured")
    options = LoadOptions(
        tenant=body.tenant, feed=body.feed or "api", confidence=body.confidence,
        valid_days=body.valid_days, now=datetime.now(UTC),
    )  # fmt: skip
    try:
        result = await asyncio.to_thread(load, body.content.encode(), body.format, options)
    except IntelError as exc:
        raise ApiError(400, "invalid_intel", str(exc)) from exc
    published = await publish(request.app.state.bus, result.indicators)
    skipped = [SkippedEntry(entry=s.entry, reason=s.reason) for s in result.skipped]
    return IntelResult(published=published, skipped=skipped)
