"""DeadLetter (topics ``dlq.<stage>``): an input a stage could not handle, kept with the reason."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class DeadLetter(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    tenant: str
    stage: str
    source_topic: str
    record_id: str | None = None
    source: str | None = None
    error: str
    payload: str
    at: datetime
