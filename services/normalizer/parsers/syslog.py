"""Syslog (RFC 5424 and RFC 3164/BSD, with or without PRI) → ECS ``log.syslog.*`` and friends.

Fields out: ``log.syslog.{priority, facility.code/name, severity.code/name, version, hostname,
appname, procid, msgid, structured_data}``, ``host.hostname``, ``process.name``, ``process.pid``
(int when numeric), ``message``, ``@timestamp`` (UTC, ``Z``; see ``timestamps`` for the zone and
year rules), ``event.module``/``event.dataset`` = ``syslog`` unless a program parser names its own.

* RFC 5424: NILVALUE ``-`` gives an absent field; structured data becomes a dict of dicts with the
  sec 6.3.3 escapes undone (only ``\\"``, ``\\\\`` and ``\\]``; any other backslash is kept); a
  leading BOM in MSG is dropped.
* RFC 3164 and its real-world variants: ISO timestamps, a year after the day (Cisco), no
  hostname, ``host program:`` without pid, ``host : %ASA-...``. A line the header rules do not
  fit keeps less structure (in the end just ``message``) and never fails.
* ``message repeated N times: [ ... ]`` (rsyslog) sets ``vigie.repeat_count`` = N and the inner
  message is what the program parser reads; ``last message repeated N times`` sets the count only.

After the header, ``parse`` hands ``(app, message)`` to the program parser registered for the
program (the tag up to any ``(``), else for the PAM module named in the tag (``login(pam_unix)``)
or at the start of the message (``pam_unix(cron:session): ...``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from services.normalizer.parsers import timestamps
from services.normalizer.parsers.base import Doc, ParseContext, ProgramParser

FACILITIES = (
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
    "authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
    "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
)  # fmt: skip
SEVERITIES = (
    "emergency", "alert", "critical", "error", "warning", "notice", "informational", "debug",
)  # fmt: skip

_RFC5424 = re.compile(r"<([0-9]{1,3})>([1-9][0-9]?) (\S++) (\S++) (\S++) (\S++) (\S++)(?: |$)")
_RFC3164 = re.compile(
    r"(?:<([0-9]{1,3})>)?"
    r"(?:([A-Za-z]{3}) {1,2}([0-9]{1,2})(?: ([0-9]{4}))?"  # Mmm dd [yyyy]
    r" ([0-9]{2}:[0-9]{2}:[0-9]{2})(?:\.([0-9]{1,9}))?"  # hh:mm:ss[.frac]
    r"|([0-9]{4}-[0-9]{2}-[0-9]{2}T\S+))"  # or an ISO 8601 date-time
    r":? "
)
_PRI_ONLY = re.compile(r"<([0-9]{1,3})>")
# program[pid]: / program: ; the colon must end the token so "2001:db8::1 host" is no tag.
_TAG = re.compile(r"([^\s\[\]:]{1,64})(?:\[([^\]\s]{0,32})\]:?|:)(?: +|$)")
_SD_ELEMENT = re.compile(r'\[([^ =\]"]++)((?: +[^ =\]"]++="(?:[^"\\]|\\.)*+")*+) *\]', re.S)
_SD_PARAM = re.compile(r'([^ =\]"]++)="((?:[^"\\]|\\.)*+)"', re.S)
_SD_ESCAPE = re.compile(r'\\(["\\\]])')
_REPEATED = re.compile(r"(?:last )?message repeated ([0-9]{1,9}) times(?:: \[ ?(.*)\])?", re.S)
_REPEAT_PREFIXES = ("message repeated ", "last message repeated ")


def parse(text: str, ctx: ParseContext, *, programs: Mapping[str, ProgramParser]) -> list[Doc]:
    """One syslog record → one ECS document (never raises on malformed input)."""
    header = _RFC5424.match(text)
    doc = _rfc5424(text, header, ctx) if header else _rfc3164(text, ctx)
    doc["event"] = {"module": "syslog", "dataset": "syslog"}
    app = doc.get("log", {}).get("syslog", {}).get("appname")
    if app is not None:
        _apply_program(doc, app, doc["message"], programs)
    return [doc]


def split_header(text: str, ctx: ParseContext) -> tuple[Doc, str]:
    """The header fields of ``text`` (no ``event``, no ``message``) and the message after them,
    for formats that arrive with or without a syslog header in front of their own payload."""
    doc = _rfc5424(text, header, ctx) if (header := _RFC5424.match(text)) else _rfc3164(text, ctx)
    return doc, doc.pop("message", "")


def unwrap_repeated(message: str) -> tuple[int | None, str]:
    """``(N, inner)`` for rsyslog's ``message repeated N times: [ inner ]``, else ``(None, it)``."""
    repeated = _REPEATED.fullmatch(message) if message.startswith(_REPEAT_PREFIXES) else None
    if repeated is None:
        return None, message
    return int(repeated.group(1)), repeated.group(2) or message


def _apply_program(doc: Doc, app: str, message: str, programs: Mapping[str, ProgramParser]) -> None:
    count, message = unwrap_repeated(message)
    if count is not None:
        doc["vigie"] = {"repeat_count": count}
    program = _program(app, message, programs)
    if program is not None:
        for key, value in program(app, message).items():
            current = doc.get(key)
            if isinstance(current, dict) and isinstance(value, dict):
                current.update(value)
            else:
                doc[key] = value


def _program(app: str, message: str, programs: Mapping[str, ProgramParser]) -> ProgramParser | None:
    """The parser of the program, else of the PAM module: ``login(pam_unix)``, ``pam_unix(...)``."""
    name, _, module = app.partition("(")
    program = programs.get(name)
    if program is None and module:
        program = programs.get(module.rstrip(")"))
    if program is None and message.startswith("pam_"):
        program = programs.get(message.partition("(")[0])
    return program


def _rfc5424(text: str, header: re.Match[str], ctx: ParseContext) -> Doc:
    pri, version, stamp, host, app, procid, msgid = header.groups()
    syslog: dict[str, Any] = {"version": version}
    doc: Doc = {"log": {"syslog": syslog}}
    _set_priority(syslog, int(pri))
    if stamp != "-":
        moment = timestamps.parse_iso(stamp, ctx.timezone)
        if moment is not None:
            doc["@timestamp"] = moment
    if host != "-":
        syslog["hostname"] = host
        doc["host"] = {"hostname": host}
    _set_process(doc, syslog, None if app == "-" else app, None if procid == "-" else procid)
    if msgid != "-":
        syslog["msgid"] = msgid
    rest = text[header.end() :]
    if rest.startswith("-"):
        rest = rest[1:]
    elif rest.startswith("["):
        structured, end = _structured_data(rest)
        if structured is not None:
            syslog["structured_data"] = structured
            rest = rest[end:]
    rest = rest[1:] if rest.startswith(" ") else rest
    doc["message"] = rest[1:] if rest.startswith("\ufeff") else rest
    return doc


def _structured_data(text: str) -> tuple[dict[str, dict[str, str]] | None, int]:
    """SD-ELEMENTs at the start of ``text`` and where they end; ``None`` when malformed."""
    elements: dict[str, dict[str, str]] = {}
    pos = 0
    while pos < len(text) and text[pos] == "[":
        element = _SD_ELEMENT.match(text, pos)
        if element is None:
            return None, 0
        params = elements.setdefault(element.group(1), {})
        for name, value in _SD_PARAM.findall(element.group(2)):
            params[name] = _SD_ESCAPE.sub(r"\1", value) if "\\" in value else value
        pos = element.end()
    return elements, pos


def _rfc3164(text: str, ctx: ParseContext) -> Doc:
    header = _RFC3164.match(text)
    if header is None:
        return _pri_only(text)
    pri, month, day, year, hms, frac, iso = header.groups()
    syslog: dict[str, Any] = {}
    doc: Doc = {"log": {"syslog": syslog}}
    if pri is not None and not _set_priority(syslog, int(pri)):
        return {"message": text}
    if iso is not None:
        moment = timestamps.parse_iso(iso, ctx.timezone)
    else:
        moment = timestamps.parse_bsd(
            month, day, hms, frac, year, zone=ctx.timezone, received_at=ctx.received_at
        )
    if moment is not None:
        doc["@timestamp"] = moment
    _host_and_tag(doc, syslog, text[header.end() :])
    return doc


def _host_and_tag(doc: Doc, syslog: dict[str, Any], rest: str) -> None:
    tag = _TAG.match(rest)
    if tag is None:
        host, _, rest = rest.partition(" ")
        if host:
            syslog["hostname"] = host
            doc["host"] = {"hostname": host}
        if rest.startswith(": "):  # "host : %ASA-6-...": a device that sends no tag
            doc["message"] = rest[2:]
            return
        tag = _TAG.match(rest)
    if tag is None:
        doc["message"] = rest
        return
    _set_process(doc, syslog, tag.group(1), tag.group(2) or None)
    doc["message"] = rest[tag.end() :]


def _pri_only(text: str) -> Doc:
    pri = _PRI_ONLY.match(text)
    if pri is None:
        return {"message": text}
    syslog: dict[str, Any] = {}
    if not _set_priority(syslog, int(pri.group(1))):
        return {"message": text}
    return {"log": {"syslog": syslog}, "message": text[pri.end() :]}


def _set_priority(syslog: dict[str, Any], priority: int) -> bool:
    if priority > 191:
        return False
    facility, severity = divmod(priority, 8)
    syslog["priority"] = priority
    syslog["facility"] = {"code": facility, "name": FACILITIES[facility]}
    syslog["severity"] = {"code": severity, "name": SEVERITIES[severity]}
    return True


def _set_process(doc: Doc, syslog: dict[str, Any], app: str | None, procid: str | None) -> None:
    process: dict[str, Any] = {}
    if app is not None:
        syslog["appname"] = app
        process["name"] = app
    if procid is not None:
        syslog["procid"] = procid
        if procid.isdigit() and procid.isascii() and len(procid) <= 10:
            process["pid"] = int(procid)
    if process:
        doc["process"] = process
