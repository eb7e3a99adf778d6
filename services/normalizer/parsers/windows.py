"""Windows event log records → ECS, as Elastic's ``system`` and ``windows`` integrations map them.

Input (format hint ``windows``; the form is recognised from the text, see ``windows_forms``):
Winlogbeat JSON (``winlog.*`` nested), the evtx tree ``{"Event": {"System": ...}}`` (the JSON of
the ``evtx`` tool and library, and of python-evtx's XML through xmltodict), NXLog's flat JSON, and
the ``<Event xmlns=...>`` XML; a JSON array or NDJSON batch gives one document per event; any of
them may follow a syslog header (``<14>Mar  1 10:00:00 host NXLOG: {...}``).

Fields out, for every channel: the ``winlog.*`` object as Winlogbeat writes it (every EventData
field kept in ``winlog.event_data``, event id and record id as strings), ``event.code`` (the event
id as a string), ``event.provider``, ``event.kind`` = ``event``, ``event.outcome`` from the audit
keywords, ``event.dataset``/``event.module`` by channel (``system.security``,
``windows.sysmon_operational``, ``system.system``, ... else ``windows.forwarded``), ``host.name`` =
the computer name, ``@timestamp`` = the time the event was created, ``log.level``. Then the
provider's mapper adds its fields: ``windows_security`` (Security-Auditing and Eventlog providers),
``windows_sysmon`` (Sysmon), ``windows_security.apply_service_control`` (7045).

``document(value)`` maps one already-decoded event (a JSON value), for file readers (``evtx``).

Errors (``ParseError``): text that is none of the forms, JSON that is not an event object, no
event id or a non-numeric one, XML that is malformed, not an ``<Event>`` or declares a DTD.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC
from typing import Any

from schemas.ecs import get_field
from services.normalizer.parsers import (
    windows_forms,
    windows_security,
    windows_sysmon,
    windows_xml,
)
from services.normalizer.parsers.base import Doc, ParseContext, ParseError
from services.normalizer.parsers.json_records import documents_of
from services.normalizer.parsers.syslog import split_header
from services.normalizer.parsers.windows_tables import CHANNEL_DATASETS, DEFAULT_DATASET, OUTCOMES

MAPPERS: dict[str, Callable[[Doc], None]] = {
    "Microsoft-Windows-Security-Auditing": windows_security.apply,
    "Microsoft-Windows-Eventlog": windows_security.apply,
    "Microsoft-Windows-Sysmon": windows_sysmon.apply,
    "Service Control Manager": windows_security.apply_service_control,
}
_SECURITY_PROVIDERS = ("Microsoft-Windows-Security-Auditing", "Microsoft-Windows-Eventlog")
_SYSLOG_PRI = re.compile(r"<[0-9]{1,3}>")


def parse(text: str, ctx: ParseContext) -> list[Doc]:
    body = text.lstrip("\ufeff \t\r\n")
    docs = _events(body, ctx)
    if docs is not None:
        return docs
    header, message = split_header(body, ctx)
    docs = _events(message.lstrip(), ctx)
    if docs is None:
        raise ParseError(
            "not a Windows event: no JSON object or <Event> XML, with or without syslog"
        )
    if isinstance(syslog := get_field(header, "log.syslog"), dict):
        for doc in docs:
            _object(doc, "log")["syslog"] = syslog
    return docs


def document(value: Any) -> Doc:
    """One decoded event (a Winlogbeat, evtx tree or NXLog JSON object) → its ECS document."""
    return _finish(windows_forms.from_json(value, UTC))


def _events(body: str, ctx: ParseContext) -> list[Doc] | None:
    """The documents of ``body`` when it starts as one of the forms, None when it does not."""
    if body.startswith(("{", "[")):
        zone = ctx.timezone
        return documents_of(body, lambda _, record: _finish(windows_forms.from_json(record, zone)))
    if body.startswith("<") and not _SYSLOG_PRI.match(body):
        return [_finish(windows_forms.from_tree(windows_xml.to_tree(body)))]
    return None


def _finish(doc: Doc) -> Doc:
    winlog = doc["winlog"]
    code, provider = winlog["event_id"], winlog.get("provider_name")
    channel = winlog.get("channel", "")
    event = _object(doc, "event")
    event.update(kind="event", code=code)
    if provider:
        event["provider"] = provider
    event["dataset"], event["module"] = CHANNEL_DATASETS.get(channel.lower(), DEFAULT_DATASET)
    if computer := winlog.get("computer_name"):
        _object(doc, "host").setdefault("name", computer)
    outcome = _audit_outcome(winlog.get("keywords"))
    if outcome is None and "outcome" not in event and provider in _SECURITY_PROVIDERS:
        outcome = windows_security.default_outcome(code, winlog.get("event_data") or {})
    if outcome is not None:
        event["outcome"] = outcome
    mapper = MAPPERS.get(provider or "")
    if mapper is not None:
        mapper(doc)
    return doc


def _audit_outcome(keywords: Any) -> str | None:
    """``success``/``failure`` from the Audit Success/Failure keyword, as Winlogbeat sets it."""
    for keyword in keywords if isinstance(keywords, list) else ():
        if isinstance(keyword, str) and keyword in OUTCOMES:
            return OUTCOMES[keyword]
    return None


def _object(doc: Doc, key: str) -> dict[str, Any]:
    """``doc[key]``, made an (empty) object when it is anything else."""
    value = doc.get(key)
    if not isinstance(value, dict):
        value = doc[key] = {}
    return value
