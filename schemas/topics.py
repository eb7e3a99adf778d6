"""Topic names and the routing of models to topics (routing is data, not code in services)."""

from __future__ import annotations

from pydantic import BaseModel

from schemas.action import ActionRequest, ActionResult
from schemas.alert import Alert
from schemas.dlq import DeadLetter
from schemas.ecs import EcsEvent
from schemas.indicator import Indicator
from schemas.raw import RawEvent

RAW_EVENTS = "raw.events"
ECS_EVENTS = "ecs.events"
ALERTS = "alerts"
ACTIONS = "actions"
TI_INDICATORS = "ti.indicators"
ASSETS = "assets"
DLQ_PREFIX = "dlq."

STAGES = ("collector", "normalizer", "correlator", "responder", "sink")

TOPIC_OF: dict[type[BaseModel], str] = {
    RawEvent: RAW_EVENTS,
    EcsEvent: ECS_EVENTS,
    Alert: ALERTS,
    ActionRequest: ACTIONS,
    ActionResult: ACTIONS,
    Indicator: TI_INDICATORS,  # keyed by Indicator.key, not by tenant
}


def dlq(stage: str) -> str:
    return f"{DLQ_PREFIX}{stage}"


def topic_of(model: BaseModel) -> str:
    if isinstance(model, DeadLetter):
        return dlq(model.stage)
    return TOPIC_OF[type(model)]


def all_topics() -> list[str]:
    """Every topic Vigie uses, for creating them up front."""
    return [RAW_EVENTS, ECS_EVENTS, ALERTS, ACTIONS, TI_INDICATORS, ASSETS] + [
        dlq(s) for s in STAGES
    ]
