"""Response actions (topic ``actions``): what a playbook asked for and what an adapter did."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

RequestStatus = Literal["pending", "approved", "awaiting_approval"]
ResultStatus = Literal["succeeded", "failed", "dry_run", "expired", "duplicate"]


class ActionRequest(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: Literal["request"] = "request"
    id: str
    tenant: str
    alert_id: str
    playbook: str
    step: int
    adapter: str
    action: str
    target: dict[str, Any] = Field(default_factory=dict)
    status: RequestStatus = "pending"
    approver: str | None = None
    requested_at: datetime
    expires_at: datetime | None = None


class ActionResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: Literal["result"] = "result"
    id: str
    request_id: str
    tenant: str
    alert_id: str
    playbook: str
    step: int
    adapter: str
    action: str
    target: dict[str, Any] = Field(default_factory=dict)
    status: ResultStatus
    detail: str = ""
    finished_at: datetime
