"""Response adapters by the name playbooks use; adding one is one file and one line here."""

from __future__ import annotations

from services.responder.port import ResponseAdapter
from services.responder.adapters.dry_run import DryRun
from services.responder.adapters.webhook import Webhook

ADAPTERS: dict[str, type[ResponseAdapter]] = {
    "dry_run": DryRun,
    "webhook": Webhook,
}
