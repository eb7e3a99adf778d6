"""Alert (topic ``alerts``): a rule firing for one tenant and one group of values.

An alert is updated in place while its rule keeps firing for the same group: the same ``id``
is published again with a higher ``version``; stores keep the highest version.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Level = Literal["informational", "low", "medium", "high", "critical"]


class RuleRef(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    title: str
    level: Level = "medium"
    tags: list[str] = Field(default_factory=list)
    author: str | None = None


class Alert(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    tenant: str
    rule: RuleRef
    threat: dict[str, Any] = Field(default_factory=dict)
    group: dict[str, str] = Field(default_factory=dict)
    first_seen: datetime
    last_seen: datetime
    count: int = 1
    event_ids: list[str] = Field(default_factory=list)
    risk_score: float = 0.0
    version: int = 1
    # the inventory entry of the asset the alert is about (``services/correlator/assets.py``)
    asset: dict[str, Any] = Field(default_factory=dict)
