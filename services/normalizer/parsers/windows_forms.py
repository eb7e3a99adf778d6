"""Windows event records in their wire forms → one shape: the document Winlogbeat writes.

Forms:

* Winlogbeat / Elastic Agent JSON, ``winlog`` already nested: ``winlog`` is kept (event and
  record ids and ``event_data`` values made strings) with what the agent observed (``@timestamp``,
  ``message``, ``event.outcome``, the ``agent``, ``cloud``, ``host``, ``log`` and ``observer``
  objects); the fields its ingest pipeline derives (``user``, ``source``, ``event.action``...) are
  derived again from ``winlog``.
* The evtx tree ``{"Event": {"System": ..., "EventData": ..., "UserData": ...}}``: the JSON of the
  ``evtx`` tool and library (attributes under ``#attributes``, EventData by name) and xmltodict's
  rendering of the XML (attributes as ``@Name``, ``EventData.Data`` as a list of items).
* NXLog ``im_msvistalog`` flat JSON: ``EventID``, ``Channel``, ``SourceName``, ``Hostname``...; every
  key not in ``NXLOG_SYSTEM`` is an EventData field. ``EventTime`` without an offset is local time.
* Event XML ``<Event xmlns=...>``, turned into the evtx tree by ``windows_xml``.

The shape out: ``winlog.{channel, event_id, provider_name, provider_guid, computer_name,
record_id, version, task, opcode, keywords, process.pid, process.thread.id, user.identifier,
activity_id, related_activity_id, time_created, event_data, user_data}``, ``@timestamp``
(= ``time_created``), ``log.level`` and ``message`` when rendered. EventData values become strings
(numbers in decimal, booleans ``true``/``false``, a bare GUID in braces and lower case as Windows
renders it); unnamed ``<Data>`` items are ``param1``, ``param2``... and UserData's element becomes
``user_data`` with its name in ``xml_name``, as Winlogbeat names them. Names lose their spaces
(Defender writes ``Threat Name``): Sigma's Windows taxonomy, which the correlator's field mapping
follows, names that field ``ThreatName``; Winlogbeat keeps the space.

``ParseError``: no event id or one that is not a number, a JSON object that is none of the forms.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, tzinfo
from typing import Any

import orjson

from schemas.ecs import set_field
from services.normalizer.parsers import timestamps
from services.normalizer.parsers.base import Doc, ParseError
from services.normalizer.parsers.windows_tables import KEYWORD_BITS, LEVELS, OPCODES, SECURITY_TASKS

NXLOG_SYSTEM = frozenset({
    "EventTime", "EventTimeWritten", "EventReceivedTime", "Hostname", "Keywords", "EventType",
    "SeverityValue", "Severity", "EventID", "SourceName", "ProviderGuid", "Version", "Task",
    "OpcodeValue", "RecordNumber", "ActivityID", "RelatedActivityID", "ExecutionProcessID",
    "ExecutionThreadID", "Channel", "Domain", "AccountName", "UserID", "AccountType", "Category",
    "Opcode", "Message", "SourceModuleName", "SourceModuleType", "Level",
})  # fmt: skip
_AGENT_OBJECTS = frozenset({"agent", "cloud", "host", "log", "observer"})
_WINLOG_TEXTS = ("channel", "provider_name", "provider_guid", "computer_name", "time_created")
_NXLOG_EVENT_TYPES = {"AUDIT_SUCCESS": "Audit Success", "AUDIT_FAILURE": "Audit Failure"}
_SECURITY_PROVIDER = "Microsoft-Windows-Security-Auditing"
_BARE_GUID = re.compile(r"[0-9A-Fa-f]{8}-(?:[0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12}")


def from_json(value: Any, zone: tzinfo) -> Doc:
    """One JSON object in any of the JSON forms."""
    if not isinstance(value, dict):
        raise ParseError(f"a Windows event is a JSON object, not a {type(value).__name__}")
    if isinstance(value.get("winlog"), dict):
        return _from_winlogbeat(value)
    if isinstance(value.get("Event"), dict):
        return from_tree(value["Event"])
    if "EventID" in value:
        return _from_nxlog(value, zone)
    raise ParseError("JSON object is no Windows event: no winlog, Event or EventID key")


def from_tree(event: Mapping[str, Any]) -> Doc:
    """The content of an evtx tree's ``Event`` object."""
    system = event.get("System")
    if not isinstance(system, dict):
        raise ParseError("Event without a System object")
    provider = _attrs(system.get("Provider"))
    doc: Doc = {}
    winlog: dict[str, Any] = {"event_id": event_id(_text(system.get("EventID")))}
    _put(winlog, "channel", text_value(_text(system.get("Channel"))))
    _put(winlog, "provider_name", text_value(provider.get("Name")))
    _put(winlog, "provider_guid", _guid(provider.get("Guid")))
    _put(winlog, "computer_name", text_value(_text(system.get("Computer"))))
    _put(winlog, "record_id", text_value(_text(system.get("EventRecordID"))))
    _put(winlog, "version", _int(_text(system.get("Version"))))
    if winlog.get("provider_name") == _SECURITY_PROVIDER:
        _put(winlog, "task", _lookup(SECURITY_TASKS, system.get("Task")))
    _put(winlog, "opcode", _lookup(OPCODES, system.get("Opcode")))
    _put(winlog, "keywords", keyword_names(_text(system.get("Keywords"))))
    execution = _attrs(system.get("Execution"))
    _set(winlog, "process.pid", _int(execution.get("ProcessID")))
    _set(winlog, "process.thread.id", _int(execution.get("ThreadID")))
    _set(winlog, "user.identifier", text_value(_attrs(system.get("Security")).get("UserID")))
    correlation = _attrs(system.get("Correlation"))
    _put(winlog, "activity_id", _guid(correlation.get("ActivityID")))
    _put(winlog, "related_activity_id", _guid(correlation.get("RelatedActivityID")))
    created = _attrs(system.get("TimeCreated")).get("SystemTime")
    if isinstance(created, str) and (moment := timestamps.parse_iso(created, UTC)):
        winlog["time_created"] = doc["@timestamp"] = moment
    _put(winlog, "event_data", _event_data(event.get("EventData")))
    _put(winlog, "user_data", _user_data(event.get("UserData")))
    if (level := _lookup(LEVELS, system.get("Level"))) is not None:
        doc["log"] = {"level": level}
    doc["winlog"] = winlog
    _rendering(doc, event.get("RenderingInfo"))
    return doc


def event_id(value: Any) -> str:
    text = text_value(value)
    if (
        text is None
        or not (len(text) <= 5 and text.isdigit() and text.isascii())
        or int(text) > 65535
    ):
        raise ParseError(f"event id {value!r} is not a number from 0 to 65535")
    return str(int(text))


def keyword_names(value: Any) -> list[str] | None:
    """The standard keyword names of a keyword mask (``0x8020000000000000`` → Audit Success)."""
    if isinstance(value, str):
        try:
            value = int(value, 0)
        except ValueError:
            return None
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    mask = value & 0xFFFFFFFFFFFFFFFF  # NXLog writes the mask as a signed 64-bit number
    return [name for bit, name in KEYWORD_BITS if mask & bit] or None


def text_value(value: Any) -> str | None:
    """A scalar as the text Winlogbeat writes for it; None for nothing or a container."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return None


def _from_winlogbeat(record: dict[str, Any]) -> Doc:
    # Only what the agent observed is kept: the ECS fields its pipeline derives are derived again.
    doc: Doc = {key: value for key, value in record.items() if isinstance(value, dict)
                and key in _AGENT_OBJECTS}  # fmt: skip
    _put(doc, "message", text_value(record.get("message")))
    winlog = doc["winlog"] = dict(record["winlog"])
    winlog["event_id"] = event_id(winlog.get("event_id"))
    for key in _WINLOG_TEXTS:  # the routing keys: text or nothing
        if key in winlog and not isinstance(winlog[key], str):
            del winlog[key]
    if (record_id := text_value(winlog.get("record_id"))) is not None:
        winlog["record_id"] = record_id
    for section in ("event_data", "user_data"):
        if section not in winlog:
            continue
        if not isinstance(winlog[section], dict):
            raise ParseError(
                f"winlog.{section} is a {type(winlog[section]).__name__}, not an object"
            )
        if fields := _event_data(winlog[section]):
            winlog[section] = fields
        else:
            del winlog[section]
    stamp = record.get("@timestamp", winlog.get("time_created"))
    _put(doc, "@timestamp", timestamps.parse_iso(stamp, UTC) if isinstance(stamp, str) else None)
    event = record.get("event")
    outcome = event.get("outcome") if isinstance(event, dict) else None
    doc["event"] = {"outcome": outcome} if outcome in ("success", "failure", "unknown") else {}
    if isinstance(level := winlog.get("level"), str) and not isinstance(doc.get("log"), dict):
        doc["log"] = {"level": level}
    return doc


def _from_nxlog(record: dict[str, Any], zone: tzinfo) -> Doc:
    winlog: dict[str, Any] = {"event_id": event_id(record.get("EventID"))}
    for key, field in (("Channel", "channel"), ("SourceName", "provider_name"),
                       ("Hostname", "computer_name"), ("RecordNumber", "record_id"),
                       ("Category", "task"), ("Opcode", "opcode"), ("ActivityID", "activity_id"),
                       ("RelatedActivityID", "related_activity_id")):  # fmt: skip
        _put(winlog, field, text_value(record.get(key)))
    _put(winlog, "provider_guid", _guid(record.get("ProviderGuid")))
    _put(winlog, "version", _int(record.get("Version")))
    keywords = keyword_names(record.get("Keywords"))
    if keywords is None and (kind := _NXLOG_EVENT_TYPES.get(str(record.get("EventType")))):
        keywords = [kind]
    _put(winlog, "keywords", keywords)
    _set(winlog, "process.pid", _int(record.get("ExecutionProcessID")))
    _set(winlog, "process.thread.id", _int(record.get("ExecutionThreadID")))
    for key, field in (("UserID", "identifier"), ("AccountName", "name"), ("Domain", "domain"),
                       ("AccountType", "type")):  # fmt: skip
        _set(winlog, f"user.{field}", text_value(record.get(key)))
    data = {key: value for key, value in record.items() if key not in NXLOG_SYSTEM}
    _put(winlog, "event_data", _event_data(data))
    doc: Doc = {"winlog": winlog}
    if isinstance(stamp := record.get("EventTime"), str):
        _put(winlog, "time_created", timestamps.parse_iso(stamp, zone))
        _put(doc, "@timestamp", winlog.get("time_created"))
    if isinstance(severity := record.get("Severity"), str) and severity:
        doc["log"] = {"level": "information" if severity == "INFO" else severity.lower()}
    _put(doc, "message", text_value(record.get("Message")))
    return doc


def _event_data(node: Any) -> dict[str, Any] | None:
    """EventData (or a flat mapping) as ``{name: text}``; unnamed ``Data`` items as ``paramN``."""
    if not isinstance(node, dict):
        return {"param1": node} if isinstance(node, str) and node else None
    data: dict[str, Any] = {}
    unnamed: list[Any] = []
    for key, value in node.items():
        if key == "Data":
            for item in value if isinstance(value, list) else [value]:
                name, text = _attrs(item).get("Name"), _value(_text(item))
                if isinstance(name, str) and name and text is not None:
                    data[name.replace(" ", "")] = text
                elif not (isinstance(name, str) and name) and text is not None:
                    unnamed.extend(text if isinstance(text, list) else [text])
        elif not key.startswith(("#", "@")) and (text := _value(value)) is not None:
            data[key.replace(" ", "")] = text
    for n, text in enumerate(unnamed, 1):
        data.setdefault(f"param{n}", text)
    return data or None


def _user_data(node: Any) -> dict[str, Any] | None:
    if not isinstance(node, dict):
        return None
    for name, element in node.items():
        if not name.startswith(("#", "@")):
            fields = _event_data(element) if isinstance(element, dict) else None
            return {"xml_name": name, **(fields or {})}
    return None


def _value(value: Any) -> Any:
    """An EventData value as text, a list of texts, or None when absent."""
    if isinstance(value, list):
        texts = [t for item in value if (t := _value(item)) is not None and not isinstance(t, list)]
        return texts or None
    if isinstance(value, dict):
        if "#text" in value:
            return _value(value["#text"])
        return orjson.dumps(value).decode() if value else ""  # a nested element: kept, as JSON
    if isinstance(value, str) and len(value) == 36 and _BARE_GUID.fullmatch(value):
        return _guid(value)
    return text_value(value)


def _rendering(doc: Doc, info: Any) -> None:
    """Winlogbeat's fields from the rendered ``RenderingInfo`` of forwarded events."""
    if not isinstance(info, dict):
        return
    _put(doc, "message", text_value(_text(info.get("Message"))))
    if isinstance(level := text_value(_text(info.get("Level"))), str) and level:
        doc["log"] = {"level": level.lower()}
    winlog = doc["winlog"]
    _put(winlog, "task", text_value(_text(info.get("Task"))))
    _put(winlog, "opcode", text_value(_text(info.get("Opcode"))))
    keywords = info.get("Keywords")
    if isinstance(keywords, dict):
        keywords = keywords.get("Keyword")
    names = [k for k in (keywords if isinstance(keywords, list) else [keywords]) if text_value(k)]
    _put(winlog, "keywords", [str(k) for k in names] or None)


def _attrs(node: Any) -> dict[str, Any]:
    """The attributes of a tree node: ``#attributes`` (evtx) or ``@name`` keys (xmltodict)."""
    if not isinstance(node, dict):
        return {}
    attrs = node.get("#attributes")
    if isinstance(attrs, dict):
        return attrs
    return {key[1:]: value for key, value in node.items() if key.startswith("@")}


def _text(node: Any) -> Any:
    return node.get("#text") if isinstance(node, dict) else node


def _lookup(table: Mapping[int, str], node: Any) -> str | None:
    number = _int(_text(node))
    return None if number is None else table.get(number)


def _int(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit() and value.isascii() and len(value) <= 18:
        return int(value)
    return None


def _guid(value: Any) -> str | None:
    """A GUID as Winlogbeat writes it: in braces (the evtx library writes none), lower case."""
    if not isinstance(value, str) or not value:
        return None
    return value.lower() if value.startswith("{") else "{" + value.lower() + "}"


def _put(target: dict[str, Any], key: str, value: Any) -> None:
    if value is not None and value != "":
        target[key] = value


def _set(target: dict[str, Any], path: str, value: Any) -> None:
    if value is not None and value != "":
        set_field(target, path, value)
