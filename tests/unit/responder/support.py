"""Test helpers for the responder: alerts, a settable clock, a scripted adapter, playbook files."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel

from schemas.action import ActionRequest, ActionResult, ResultStatus
from schemas.alert import Alert, Level, RuleRef
from services.responder.port import STANDARD_ACTIONS, result_for
from services.responder.playbooks import PlaybookSet, load_playbooks

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def make_alert(
    alert_id: str = "alert-1",
    *,
    tenant: str = "acme",
    rule_id: str = "ssh-bruteforce",
    level: Level = "high",
    tags: tuple[str, ...] = (),
    group: Mapping[str, str] | None = None,
    version: int = 1,
    at: datetime = T0,
) -> Alert:
    return Alert(
        id=alert_id,
        tenant=tenant,
        rule=RuleRef(id=rule_id, title="SSH brute force", level=level, tags=list(tags)),
        group=dict(group if group is not None else {"source.ip": "203.0.113.5"}),
        first_seen=at,
        last_seen=at,
        count=version * 5,
        version=version,
    )


class Clock:
    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


class Scripted:
    """A ResponseAdapter that records its calls and answers per action: a status or an exception.

    ``takes`` advances the clock during each call, as a slow vendor API would.
    """

    name: ClassVar[str] = "scripted"
    actions: ClassVar[frozenset[str]] = STANDARD_ACTIONS

    class Config(BaseModel):
        pass

    def __init__(
        self,
        config: object = None,
        client: object = None,
        *,
        clock: Clock | None = None,
        outcomes: Mapping[str, ResultStatus | Exception] | None = None,
        takes: timedelta = timedelta(0),
    ) -> None:
        self.calls: list[ActionRequest] = []
        self._clock = clock or Clock()
        self._outcomes = dict(outcomes or {})
        self._takes = takes

    async def execute(self, req: ActionRequest) -> ActionResult:
        self.calls.append(req)
        self._clock.advance(self._takes)
        outcome = self._outcomes.get(req.action, "succeeded")
        if isinstance(outcome, Exception):
            raise outcome
        return result_for(req, outcome, f"scripted {outcome}", at=self._clock())


def playbooks_from(tmp_path: Path, text: str, name: str = "playbooks.yml") -> PlaybookSet:
    """Write one playbook file and load it, failing the test on any load error."""
    (tmp_path / name).write_text(text)
    loaded = load_playbooks([tmp_path])
    assert loaded.errors == (), loaded.errors
    return loaded
