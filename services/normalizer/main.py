"""Normalizer wiring: ``raw.events`` → ``Normalizer.handle`` → ``ecs.events`` | ``dlq.*``."""

from __future__ import annotations

from schemas import topics
from schemas.raw import RawEvent
from services.normalizer.core import STAGE, Normalizer
from services.runtime.bus import Bus
from services.runtime.settings import Settings
from services.runtime.worker import Worker


def source_timezones(settings: Settings) -> dict[str, str]:
    """Source name → timezone, for the syslog listeners whose timezone was set explicitly.

    A listener left at its default defers to ``normalizer.default_timezone``.
    """
    return {
        listener.source_name: listener.timezone
        for tenant in settings.tenants
        for listener in tenant.syslog
        if "timezone" in listener.model_fields_set
    }


def build(settings: Settings, bus: Bus) -> Worker:
    normalizer = Normalizer(
        default_timezone=settings.normalizer.default_timezone,
        timezones=source_timezones(settings),
    )
    return Worker(
        STAGE,
        bus,
        sources=[topics.RAW_EVENTS],
        decode_as=RawEvent,
        handle=normalizer.handle,
    )
