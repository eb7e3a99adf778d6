"""Builders of Windows event records in each wire form, shared by the Windows parser tests."""

from __future__ import annotations

import json
from typing import Any

from services.normalizer.parsers import PARSERS
from services.normalizer.parsers.base import Doc
from tests.unit.normalizer.json_sources import CONTEXT

SECURITY = "Microsoft-Windows-Security-Auditing"
SYSMON = "Microsoft-Windows-Sysmon"
SYSMON_CHANNEL = "Microsoft-Windows-Sysmon/Operational"
HOST = "host-a.example.com"
AUDIT_SUCCESS = "0x8020000000000000"
AUDIT_FAILURE = "0x8010000000000000"


def parse(text: str) -> Doc:
    """The only document ``text`` gives under the ``windows`` hint."""
    (doc,) = PARSERS["windows"](text, CONTEXT)
    return doc


def winlogbeat(
    code: int,
    data: dict[str, str] | None = None,
    *,
    channel: str = "Security",
    provider: str = SECURITY,
    keywords: list[str] | None = None,
    **winlog: Any,
) -> str:
    """A Winlogbeat document: ``winlog.*`` nested, event data as strings."""
    fields: dict[str, Any] = {
        "channel": channel, "provider_name": provider, "event_id": str(code),
        "computer_name": HOST, "record_id": 1001, **winlog,
    }  # fmt: skip
    if data is not None:
        fields["event_data"] = data
    if keywords is not None:
        fields["keywords"] = keywords
    return json.dumps({"winlog": fields})


def evtx_tree(
    code: int,
    data: dict[str, Any],
    *,
    channel: str = "Security",
    provider: str = SECURITY,
    keywords: str = AUDIT_SUCCESS,
    time: str = "2026-03-01T10:00:00.123456Z",
    user_sid: str | None = None,
) -> str:
    """The JSON the ``evtx`` library writes for one record (attributes under ``#attributes``)."""
    system: dict[str, Any] = {
        "Provider": {"#attributes": {"Name": provider, "Guid": "54849625-5478-4994-A5BA-3E3B0328C30D"}},
        "EventID": code, "Version": 2, "Level": 0, "Task": 12544, "Opcode": 0,
        "Keywords": keywords, "TimeCreated": {"#attributes": {"SystemTime": time}},
        "EventRecordID": 1001, "Correlation": None,
        "Execution": {"#attributes": {"ProcessID": 636, "ThreadID": 4120}},
        "Channel": channel, "Computer": HOST,
        "Security": {"#attributes": {"UserID": user_sid}} if user_sid else None,
    }  # fmt: skip
    return json.dumps(
        {"Event": {"#attributes": {"xmlns": "x"}, "System": system, "EventData": data}}
    )


def sysmon(code: int, data: dict[str, Any], **system: Any) -> Doc:
    """A Sysmon record in the evtx tree form, parsed."""
    text = evtx_tree(
        code, data, channel=SYSMON_CHANNEL, provider=SYSMON, keywords="0x8000000000000000",
        user_sid="S-1-5-18", **system,
    )  # fmt: skip
    return parse(text)
