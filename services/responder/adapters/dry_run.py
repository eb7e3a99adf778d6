"""Dry run: acts on nothing; each request becomes a ``dry_run`` result saying what it would do.

Always available, needs no configuration; the default playbooks use it so a first run shows
actions without touching any system.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar

import orjson
from pydantic import BaseModel, ConfigDict

from schemas.action import ActionRequest, ActionResult
from services.responder.port import STANDARD_ACTIONS, result_for


class DryRun:
    name: ClassVar[str] = "dry_run"
    actions: ClassVar[frozenset[str]] = STANDARD_ACTIONS

    class Config(BaseModel):
        model_config = ConfigDict(frozen=True, extra="forbid")

    def __init__(self, config: Config, client: object | None = None) -> None:
        # client is accepted, unused, so every adapter is built the same way.
        self.config = config

    async def execute(self, req: ActionRequest) -> ActionResult:
        target = orjson.dumps(req.target, option=orjson.OPT_SORT_KEYS).decode()
        return result_for(req, "dry_run", f"would {req.action} {target}", at=datetime.now(UTC))
