"""The ResponseAdapter port: one class per vendor or mechanism, registered in ``ADAPTERS``.

An adapter is built once at start-up as ``Adapter(Adapter.Config.model_validate(block), client)``
(``client`` is the process's shared ``httpx.AsyncClient``, or None where no adapter needs one) and
then runs ``execute`` for every request naming it. ``execute`` returns a result: ``succeeded``,
``failed`` with the vendor's reason, or ``dry_run``. It raises ``AdapterError`` when it cannot
reach a verdict (e.g. no answer after its retries); the Responder records that as ``failed``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Protocol

from pydantic import BaseModel

from schemas.action import ActionRequest, ActionResult, ResultStatus
from schemas.ids import derived_id

# The actions playbooks may name; an adapter declares the subset it can carry out.
STANDARD_ACTIONS = frozenset(
    {"notify", "block_ip", "unblock_ip", "isolate_host", "release_host", "create_ticket",
     "disable_user"}
)
MAX_DETAIL = 2000


class AdapterError(Exception):
    """The adapter could not reach a verdict on a request; the message says why."""


class ResponseAdapter(Protocol):
    name: ClassVar[str]
    actions: ClassVar[frozenset[str]]
    Config: ClassVar[type[BaseModel]]

    def __init__(self, config: Any, client: Any) -> None: ...

    async def execute(self, req: ActionRequest) -> ActionResult: ...


def result_for(
    req: ActionRequest, status: ResultStatus, detail: str = "", *, at: datetime
) -> ActionResult:
    """The one result of a request; its id derives from the request id, so redelivery dedups."""
    return ActionResult(
        id=derived_id(req.id, "result"),
        request_id=req.id,
        tenant=req.tenant,
        alert_id=req.alert_id,
        playbook=req.playbook,
        step=req.step,
        adapter=req.adapter,
        action=req.action,
        target=req.target,
        status=status,
        detail=detail[:MAX_DETAIL],
        finished_at=at,
    )
