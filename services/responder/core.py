"""Responder: alert → triggered playbook steps → adapter calls → requests and results.

``handle`` returns, for every step of every triggered playbook run, its request and (unless the
request waits for approval) its one result, decided in this order:

1. target not rendered (the alert lacks a field) → ``failed``, naming the field;
2. an earlier step of the same run failed or expired → ``failed``, detail ``skipped: ...``
   (the schema has no "skipped" status; later steps assume the earlier effect is in place);
3. ``expires_at`` reached → ``expired``, not executed;
4. an active action with the same ``dedup_key`` (claimed within its step's ``dedup_window``) →
   ``duplicate``, not executed; the first action's request id is in the detail;
5. approval required → the request alone, status ``awaiting_approval``; it claims the key;
6. otherwise the adapter runs; any exception it raises becomes a ``failed`` result, and a failed
   action releases its key so a later alert may try again.

Only ``failed`` and ``expired`` stop the later steps. A ``duplicate`` does not (the effect is
already in place) and neither does a step awaiting approval (approval gates that step alone).

Request ids already handled produce nothing, so a republished alert (same id, higher version) or
a redelivered one does not act twice. That memory and the dedup claims are bounded (oldest
forgotten first) and per process: they do not survive a restart.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from schemas.action import ActionRequest, ActionResult, ResultStatus
from schemas.alert import Alert
from services.responder.port import AdapterError, ResponseAdapter, result_for
from services.responder.playbooks import Planned, PlaybookSet, dedup_key

log = logging.getLogger(__name__)

Output = ActionRequest | ActionResult
STOPPING: frozenset[ResultStatus] = frozenset({"failed", "expired"})


@dataclass(frozen=True, slots=True)
class _Claim:
    request_id: str
    until: datetime


class Responder:
    def __init__(
        self,
        playbooks: PlaybookSet,
        adapters: Mapping[str, ResponseAdapter],
        *,
        now: Callable[[], datetime],
        memory: int = 100_000,
    ) -> None:
        problems = unrunnable_steps(playbooks, adapters)
        if problems:
            raise ValueError("playbook steps no configured adapter can run: " + "; ".join(problems))
        self._playbooks = playbooks
        self._adapters = dict(adapters)
        self._now = now
        self._memory = memory
        self._handled: OrderedDict[str, None] = OrderedDict()
        self._claims: OrderedDict[tuple[str, str, int, str], _Claim] = OrderedDict()

    async def handle(self, alert: Alert) -> list[Output]:
        out: list[Output] = []
        stopped: dict[str, str] = {}  # playbook id → why its later steps are skipped
        for planned in self._playbooks.plan(alert, now=self._now()):
            request = planned.request
            if request.id in self._handled:
                continue
            self._remember(request.id)
            out.append(request)
            result = await self._decide(planned, stopped.get(request.playbook))
            if result is not None:
                out.append(result)
                if result.status in STOPPING:
                    stopped.setdefault(request.playbook, f"step {request.step} {result.status}")
        return out

    async def _decide(self, planned: Planned, stopped: str | None) -> ActionResult | None:
        request = planned.request
        if planned.error:
            return self._result(request, "failed", planned.error)
        if stopped:
            return self._result(request, "failed", f"skipped: {stopped}")
        now = self._now()
        if request.expires_at is not None and now >= request.expires_at:
            return self._result(request, "expired", f"expired at {request.expires_at.isoformat()}")
        key = dedup_key(request)
        claim = self._claims.get(key)
        if claim is not None and now < claim.until:
            detail = f"duplicate of request {claim.request_id} (active until "
            return self._result(request, "duplicate", f"{detail}{claim.until.isoformat()}): {key}")
        if planned.step.dedup_window is not None:
            self._claim(key, _Claim(request.id, now + planned.step.dedup_window))
        if request.status == "awaiting_approval":
            return None
        result = await self._execute(request)
        if result.status == "failed":
            self._release(key, request.id)
        return result

    async def _execute(self, request: ActionRequest) -> ActionResult:
        try:
            return await self._adapters[request.adapter].execute(request)
        except AdapterError as exc:
            return self._result(request, "failed", str(exc))
        except Exception as exc:  # an adapter bug must not lose the run: it is a failed action
            log.exception("adapter raised", extra={"adapter": request.adapter})
            return self._result(request, "failed", f"{type(exc).__name__}: {exc}")

    def _result(self, request: ActionRequest, status: ResultStatus, detail: str) -> ActionResult:
        return result_for(request, status, detail, at=self._now())

    def _remember(self, request_id: str) -> None:
        self._handled[request_id] = None
        while len(self._handled) > self._memory:
            self._handled.popitem(last=False)

    def _claim(self, key: tuple[str, str, int, str], claim: _Claim) -> None:
        self._claims.pop(key, None)  # re-inserted last: the order is the eviction order
        self._claims[key] = claim
        while len(self._claims) > self._memory:
            self._claims.popitem(last=False)

    def _release(self, key: tuple[str, str, int, str], request_id: str) -> None:
        claim = self._claims.get(key)
        if claim is not None and claim.request_id == request_id:
            del self._claims[key]


def unrunnable_steps(playbooks: PlaybookSet, adapters: Mapping[str, ResponseAdapter]) -> list[str]:
    """Every step naming an adapter that is not configured or an action it cannot carry out."""
    problems = []
    for playbook in playbooks.playbooks:
        for index, step in enumerate(playbook.steps):
            adapter = adapters.get(step.adapter)
            where = f"{playbook.id} step {index}"
            if adapter is None:
                problems.append(f"{where}: adapter {step.adapter!r} is not configured")
            elif step.action not in adapter.actions:
                problems.append(f"{where}: {step.adapter} cannot {step.action!r}")
    return problems
