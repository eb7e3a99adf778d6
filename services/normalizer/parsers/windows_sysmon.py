"""Sysmon (Microsoft-Windows-Sysmon/Operational) events → ECS, as Elastic's
``windows.sysmon_operational`` pipeline maps them.

Input: the Winlogbeat-shaped document of ``windows_forms``. Fields out:

* ``@timestamp`` from ``UtcTime`` (UTC), ``event.created`` from ``winlog.time_created``,
  ``event.category/type/action`` per event id (``SYSMON_EVENTS``), ``rule.name``, ``error.code``;
* ``process.*``: entity_id, pid, thread.id, executable, name, command_line, args, args_count,
  working_directory, ``parent.*``, ``pe.*`` (events other than 7), ``hash.*`` (1, 23, 24, 25);
* ``file.*``: path (TargetFilename, Device or ImageLoaded), name, directory, extension,
  ``hash.*`` (6, 7, 15, 26, 29), ``pe.*`` and ``code_signature.*``; event 7 copies them to
  ``dll.*`` (``dll.path`` is what Sigma's ``ImageLoaded`` means);
* ``source.*``/``destination.*`` (ip, domain, port), ``network.transport/protocol/direction/type
  /community_id``, ``dns.question.name``, ``dns.answers``, ``dns.resolved_ip``,
  ``sysmon.dns.status``, ``sysmon.file.archived/is_executable``;
* ``registry.path/hive/key/value/data.strings/data.type`` (12, 13, 14): DWORD and QWORD data
  as decimal strings, as Elastic writes them (the raw ``Details`` stays in
  ``winlog.event_data``); a QWORD is high * 2^32 + low (Elastic's pipeline shifts by 8 bits);
* ``user.id`` (the event's Security UserID), ``user.name/domain`` from ``DOMAIN\\name``,
  ``related.user/ip/hosts/hash``.

Empty, ``-`` and the all-zero GUID are no values. Every EventData field stays in
``winlog.event_data`` (Elastic moves the mapped ones out).
"""

from __future__ import annotations

import copy
import re
from datetime import UTC
from typing import Any

from schemas.ecs import get_field
from services.normalizer.parsers import timestamps
from services.normalizer.parsers.base import Doc
from services.normalizer.parsers.community_id import community_id
from services.normalizer.parsers.network import port
from services.normalizer.parsers.windows_fields import (
    add_related,
    address,
    basename,
    categorize,
    command_line,
    executable,
    number,
    put,
    usable,
)
from services.normalizer.parsers.windows_tables import (
    DNS_STATUS,
    DNS_TYPES,
    REGISTRY_HIVES,
    SYSMON_EVENTS,
)

_NO_VALUE = frozenset({"", "-", "{00000000-0000-0000-0000-000000000000}"})
_PROCESS_HASHES = frozenset({"1", "23", "24", "25"})
_FILE_HASHES = frozenset({"6", "7", "15", "26", "29"})
_PE_FIELDS = (("OriginalFileName", "original_file_name"), ("Company", "company"),
              ("Description", "description"), ("FileVersion", "file_version"),
              ("Product", "product"))  # fmt: skip
_QWORD = re.compile(r"QWORD \((0x[0-9A-F]{8})-(0x[0-9A-F]{8})\)", re.IGNORECASE)
_DWORD = re.compile(r"DWORD \((0x[0-9A-F]{8})\)", re.IGNORECASE)
_BOOLEANS = {"true": True, "false": False}


def apply(doc: Doc) -> None:
    winlog = doc["winlog"]
    code = winlog["event_id"]
    data = {
        key: value
        for key, value in (winlog.get("event_data") or {}).items()
        if isinstance(value, str) and value not in _NO_VALUE
    }
    utc = data.get("UtcTime")
    put(doc, "@timestamp", timestamps.parse_iso(utc, UTC) if utc else None)
    put(doc, "event.created", winlog.get("time_created"))
    categorize(doc, SYSMON_EVENTS.get(code))
    if code == "255":
        put(doc, "error.code", data.get("ID"))
    if code == "25":
        put(doc, "message", data.get("Type"))
    put(doc, "rule.name", data.get("RuleName"))
    hashes = _hashes(doc, data.get("Hashes") or data.get("Hash"))
    _process(doc, code, data, hashes)
    _file(doc, code, data, hashes)
    _network(doc, code, data)
    _dns(doc, data)
    _user(doc, data)
    if code in ("12", "13", "14") and "TargetObject" in data:
        _registry(doc, data["TargetObject"], data.get("Details"))
    for key, field in (("Archived", "archived"), ("IsExecutable", "is_executable")):
        put(doc, f"sysmon.file.{field}", _BOOLEANS.get(data.get(key, "").lower()))
    add_related(doc, "ip", get_field(doc, "source.ip"), get_field(doc, "destination.ip"))


def _first(data: dict[str, str], *keys: str) -> str | None:
    return next((data[key] for key in keys if key in data), None)


def _hashes(doc: Doc, text: str | None) -> dict[str, str]:
    """``SHA1=..,MD5=..,IMPHASH=..`` → ``{"sha1": .., ...}`` (lower case; all-zero hashes left out)."""
    hashes: dict[str, str] = {}
    for part in (text or "").split(","):
        name, _, value = part.partition("=")
        value = value.strip().lower()
        if name.strip() and value.strip("0"):
            hashes[name.strip().lower()] = value
            add_related(doc, "hash", value)
    return hashes


def _process(doc: Doc, code: str, data: dict[str, str], hashes: dict[str, str]) -> None:
    put(
        doc,
        "process.entity_id",
        _first(data, "ProcessGuid", "SourceProcessGuid", "SourceProcessGUID"),
    )
    put(doc, "process.pid", number(_first(data, "ProcessId", "SourceProcessId")))
    put(doc, "process.thread.id", number(data.get("SourceThreadId")))
    put(doc, "process.working_directory", data.get("CurrentDirectory"))
    put(doc, "process.parent.entity_id", data.get("ParentProcessGuid"))
    put(doc, "process.parent.pid", number(data.get("ParentProcessId")))
    executable(doc, "process", _first(data, "Image", "SourceImage", "Destination"))
    executable(doc, "process.parent", data.get("ParentImage"))
    command_line(doc, "process", data.get("CommandLine"))
    command_line(doc, "process.parent", data.get("ParentCommandLine"))
    if code != "7":
        for key, field in _PE_FIELDS:
            put(doc, f"process.pe.{field}", data.get(key))
    if code in _PROCESS_HASHES:
        _put_hashes(doc, "process", hashes)


def _file(doc: Doc, code: str, data: dict[str, str], hashes: dict[str, str]) -> None:
    path = _first(data, "TargetFilename", "Device", "ImageLoaded")
    put(doc, "file.path", path)
    put(doc, "file.name", data.get("PipeName"))
    if path and (name := basename(path)):
        put(doc, "file.name", name)
        put(doc, "file.directory", path[: -len(name) - 1])
        if "." in name:
            put(doc, "file.extension", name.rpartition(".")[2])
    put(doc, "file.code_signature", _code_signature(data) or None)
    if code in _FILE_HASHES:
        _put_hashes(doc, "file", hashes)
    if code == "7":
        for key, field in _PE_FIELDS:
            put(doc, f"file.pe.{field}", data.get(key))
        if isinstance(doc.get("file"), dict):
            doc["dll"] = copy.deepcopy(doc["file"])


def _code_signature(data: dict[str, str]) -> dict[str, Any]:
    signature: dict[str, Any] = {}
    signed, status = data.get("Signed"), data.get("SignatureStatus")
    if "Signature" in data:
        signature["subject_name"] = data["Signature"]
    if status is not None or (signed is not None and signed.lower() not in _BOOLEANS):
        signature["status"] = status or signed  # Signed holds the failure, "failed: ..."
    if signed is not None and signed.lower() in _BOOLEANS:
        signature["signed"] = _BOOLEANS[signed.lower()]
    if signed is not None or status is not None:
        signature["trusted"] = status == "Valid"
    if status == "Valid":
        signature["valid"] = True
    return signature


def _network(doc: Doc, code: str, data: dict[str, str]) -> None:
    put(doc, "network.transport", data.get("Protocol"))
    protocol = "dns" if code == "22" else _first(data, "DestinationPortName", "SourcePortName")
    put(doc, "network.protocol", protocol)
    for side, prefix in (("source", "Source"), ("destination", "Destination")):
        put(doc, f"{side}.ip", address(data.get(f"{prefix}Ip")))
        put(doc, f"{side}.domain", data.get(f"{prefix}Hostname"))
        put(doc, f"{side}.port", port(data.get(f"{prefix}Port", "")))
    put(
        doc,
        "network.direction",
        {"true": "egress", "false": "ingress"}.get(data.get("Initiated", "")),
    )
    put(doc, "network.type", {"true": "ipv6", "false": "ipv4"}.get(data.get("SourceIsIpv6", "")))
    flow = community_id(
        data.get("Protocol"), get_field(doc, "source.ip"), get_field(doc, "source.port"),
        get_field(doc, "destination.ip"), get_field(doc, "destination.port"),
    )  # fmt: skip
    put(doc, "network.community_id", flow)


def _dns(doc: Doc, data: dict[str, str]) -> None:
    if name := data.get("QueryName"):
        put(doc, "dns.question.name", name)
        add_related(doc, "hosts", name)
    status = data.get("QueryStatus")
    put(doc, "sysmon.dns.status", status and DNS_STATUS.get(status, status))
    answers: list[dict[str, str]] = []
    resolved: list[str] = []
    for answer in (data.get("QueryResults") or "").split(";"):
        parts = answer.split()
        if answer.startswith("type:") and len(parts) >= 2:
            record = {"type": DNS_TYPES.get(parts[1], parts[1])}
            if len(parts) == 3:
                record["data"] = parts[2]
                add_related(doc, "hosts", parts[2])
            answers.append(record)
        elif ip := address(answer.strip()):
            resolved.append(ip)
            answers.append({"type": "AAAA" if ":" in ip else "A", "data": ip})
            add_related(doc, "ip", ip)
    put(doc, "dns.answers", answers or None)
    put(doc, "dns.resolved_ip", resolved or None)


def _user(doc: Doc, data: dict[str, str]) -> None:
    put(doc, "user.id", usable(get_field(doc, "winlog.user.identifier")))
    parts = data.get("User", "").split("\\")
    if len(parts) == 2:
        put(doc, "user.domain", parts[0])
        put(doc, "user.name", parts[1])
        add_related(doc, "user", usable(parts[1]))


def _registry(doc: Doc, path: str, details: str | None) -> None:
    tokens = path.split("\\")
    registry: dict[str, Any] = {"path": path, "value": tokens[-1]}
    if hive := REGISTRY_HIVES.get(tokens[0]):
        registry["hive"] = hive
        if len(tokens) > 1:
            registry["key"] = "\\".join(tokens[1:])
    if details:
        registry["data"] = _registry_data(details)
    doc["registry"] = registry


def _registry_data(details: str) -> dict[str, Any]:
    if qword := _QWORD.fullmatch(details):
        value = (int(qword.group(1), 16) << 32) + int(qword.group(2), 16)
        return {"strings": [str(value)], "type": "SZ_QWORD"}
    if dword := _DWORD.fullmatch(details):
        return {"strings": [str(int(dword.group(1), 16))], "type": "SZ_DWORD"}
    kind = "REG_BINARY" if details == "Binary Data" else "REG_SZ"
    return {"strings": [details], "type": kind}


def _put_hashes(doc: Doc, prefix: str, hashes: dict[str, str]) -> None:
    for name, value in hashes.items():
        put(doc, f"{prefix}.pe.imphash" if name == "imphash" else f"{prefix}.hash.{name}", value)
