"""Responder service wiring: topic ``alerts`` → Responder → topic ``actions``.

``build`` loads the playbooks (the shipped ``default_playbooks/`` when ``responder.playbooks`` is
empty) and validates every ``responder.adapters`` block with its adapter's ``Config``. Any error
fails start-up with the full list, so a broken playbook or credential block is found before the
first incident rather than during it. ``dry_run`` is always available.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from pydantic import ValidationError

from schemas import topics
from schemas.action import ActionResult
from schemas.alert import Alert
from services.responder.adapters import ADAPTERS
from services.responder.port import ResponseAdapter
from services.responder.core import Output, Responder
from services.responder.playbooks import PlaybookSet, explain, load_playbooks
from services.runtime import metrics
from services.runtime.bus import Bus
from services.runtime.settings import Settings
from services.runtime.worker import Worker

DEFAULT_PLAYBOOKS = Path(__file__).resolve().parent / "default_playbooks"
Handle = Callable[[Alert], Awaitable[list[Output]]]


class ConfigError(ValueError):
    """The responder configuration cannot run; the message lists every problem."""


def build(settings: Settings, bus: Bus, *, client: httpx.AsyncClient | None = None) -> Worker:
    playbooks = playbooks_of(settings.responder.playbooks or [str(DEFAULT_PLAYBOOKS)])
    adapters = adapters_of(settings.responder.adapters, client)
    try:
        responder = Responder(playbooks, adapters, now=lambda: datetime.now(UTC))
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    return Worker(
        "responder",
        bus,
        sources=[topics.ALERTS],
        decode_as=Alert,
        handle=_counted(responder.handle),
    )


def playbooks_of(paths: list[str]) -> PlaybookSet:
    playbooks = load_playbooks(paths)
    if playbooks.errors:
        lines = [f"  {error.path}: {error.reason}" for error in playbooks.errors]
        raise ConfigError("responder playbooks have errors:\n" + "\n".join(lines))
    return playbooks


def adapters_of(
    blocks: Mapping[str, Mapping[str, Any]], client: httpx.AsyncClient | None
) -> dict[str, ResponseAdapter]:
    """One adapter per configured block, plus ``dry_run``; ConfigError lists every bad block."""
    adapters: dict[str, ResponseAdapter] = {}
    problems: list[str] = []
    for name, block in {"dry_run": {}, **blocks}.items():
        where = f"responder.adapters.{name}"
        adapter_class = ADAPTERS.get(name)
        if adapter_class is None:
            problems.append(f"{where}: unknown adapter; known: {', '.join(sorted(ADAPTERS))}")
            continue
        try:
            config = adapter_class.Config.model_validate(block)
        except ValidationError as exc:
            problems.append(f"{where}: {explain(exc)}")
            continue
        if client is None and name != "dry_run":  # dry_run alone does no I/O
            problems.append(f"{where}: needs an HTTP client and build() was given none")
            continue
        adapters[name] = adapter_class(config, client)
    if problems:
        raise ConfigError("responder adapters are misconfigured:\n  " + "\n  ".join(problems))
    return adapters


def _counted(handle: Handle) -> Handle:
    outcomes = metrics.counter(
        "vigie_responder_actions_total",
        "Action results by adapter and status",
        ["adapter", "status"],
    )

    async def counted(alert: Alert) -> list[Output]:
        out = await handle(alert)
        for item in out:
            if isinstance(item, ActionResult):
                outcomes.labels(item.adapter, item.status).inc()
        return out

    return counted
