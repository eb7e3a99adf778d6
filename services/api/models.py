"""Response bodies of the API (pydantic): what portals and analysts receive."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from schemas.action import ActionRequest, ActionResult
from schemas.alert import Alert, Level
from services.api.utc import utc

UtcDatetime = Annotated[datetime, AfterValidator(utc)]
Action = Annotated[ActionRequest | ActionResult, Field(discriminator="kind")]


class RuleItem(BaseModel):
    id: str
    title: str
    level: Level
    tags: list[str]


class AlertItem(BaseModel):
    id: str
    tenant: str
    rule: RuleItem
    group: dict[str, str]
    first_seen: UtcDatetime
    last_seen: UtcDatetime
    count: int
    event_ids: list[str]
    risk_score: float
    threat: dict[str, Any]

    @classmethod
    def of(cls, alert: Alert) -> AlertItem:
        return cls.model_validate(alert.model_dump(exclude={"version"}))


class AlertPage(BaseModel):
    items: list[AlertItem]
    next_cursor: str | None


class ActionPage(BaseModel):
    items: list[Action]
    next_cursor: str | None


class SourceItem(BaseModel):
    """One source's log quality (figures and rules in ``services/api/quality.py``)."""

    model_config = ConfigDict(from_attributes=True)

    tenant: str
    source: str
    received: int
    parsed: int
    failed: int
    truncated: int
    first_seen: UtcDatetime | None
    last_seen: UtcDatetime | None
    eps_1m: float
    eps_15m: float
    parse_failure_rate: float | None
    clock_skew_seconds: float | None
    clock_skew_p95_seconds: float | None
    silent_for_seconds: float | None
    silence_threshold_seconds: float
    silence_threshold_basis: Literal["configured", "learned", "default"]
    status: Literal["ok", "silent", "never_seen"]


class SourceList(BaseModel):
    items: list[SourceItem]
