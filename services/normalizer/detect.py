"""Format detection: the ``PARSERS`` hint for a record whose source declares none (or ``auto``).

``detect(text) -> str`` is pure, never raises, and always returns a registered hint. It reads
cheap signatures, in order, and returns the format of the first that fits:

* text that starts as JSON (``{`` or ``[``) is decoded once and its first record's top-level keys
  are tested against ``JSON_SIGNATURES`` (the first record of an array, of NDJSON, or of a
  ``Records``/``records`` wrapper, as the JSON parsers unwrap them);
* any other text is tested against ``TEXT_SIGNATURES``, literal markers then a test, in its
  first ``HEAD_CHARS`` characters (where a syslog header and a format's markers sit, so the cost
  per record is bounded whatever its length);
* nothing fits: ``syslog``, whose parser accepts any text.

Zeek JSON without ``_path`` gets the log type of the first key that names it (``conn_state`` →
``zeek.conn`` ...; ``ZEEK_LOG_KEYS``), as the Zeek parser needs one.

Signatures are data: adding a format is one row. A row's format must be a ``PARSERS`` key (a test
checks it). Detection is a guess from markers, not validation: the chosen parser still rejects a
record that only looks like its format, and the record is then dead-lettered with its reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import orjson

FALLBACK = "syslog"
HEAD_CHARS = 2048
Record = dict[str, Any]

_PANOS_TYPES = (
    "TRAFFIC THREAT SYSTEM CONFIG HIPMATCH GLOBALPROTECT USERID AUTHENTICATION DECRYPTION TUNNEL "
    "CORRELATION IPTAG GTP SCTP"
).split()
# (format, markers, test): the test runs only on a head holding one of the literal markers, because
# a substring search is much faster than a regex that cannot start from a literal. No test scans
# the head once per marker occurrence (``.*`` after a marker): a hostile record full of markers
# would cost quadratic time.
TEXT_SIGNATURES: list[tuple[str, tuple[str, ...], Callable[[str], object]]] = [
    ("cef", ("CEF:",), re.compile(r"(?:^|[\s>:])CEF:[0-9]{1,2}\|").search),
    ("leef", ("LEEF:",), re.compile(r"(?:^|[\s>:])LEEF:[12]\.0\|").search),
    ("cisco_asa", ("%ASA-", "%FTD-", "%FWSM-", "%PIX-"),
     re.compile(r"%(?:ASA|FTD|FWSM|PIX)-(?:[A-Za-z_]+-)?[0-7]-[0-9]{6}\b").search),
    ("pfsense", ("filterlog",), re.compile(r"\bfilterlog(?:\[[0-9]+\])?: ").search),
    # Log Exporter: its syslog program name or its [key:"value"; ...] body; generic: both keys.
    ("checkpoint", ("CheckPoint", 'loguid:"', 'origin:"'),
     re.compile(r'\bCheckPoint [0-9]+ |[\[;] ?(?:loguid|origin):"').search),
    ("checkpoint", ('origin="',), lambda head: 'product="' in head),
    # PAN-OS CSV: FUTURE_USE, receive time, serial, then the log type as the fourth field.
    ("paloalto", tuple(f",{kind}," for kind in _PANOS_TYPES), re.compile(
        r"(?:^|\s)[^,\s]*,[0-9]{4}/[0-9]{2}/[0-9]{2} [0-9:]{8},[^,]*,(?:"
        + "|".join(_PANOS_TYPES) + "),"
    ).search),
    ("sophos", ("SFW", "log_type="),
     re.compile(r'\bdevice(?:_name)?="?SFW\b|\blog_type="?[A-Za-z]').search),
    # date= time= (Sophos writes them too, without devname) with devname, or a 10-digit logid.
    ("fortigate", ("devname=", "logid="),
     re.compile(r'\bdate=\S+ time=\S+ |\blogid="?[0-9]{10}\b').search),
    ("auditd", ("audit(",), re.compile(r"\btype=\S+ (?:msg=)?audit\([0-9]").search),
    ("zeek", ("#separator", "#fields"),
     re.compile(r"\A(?:#[^\n]*\n){0,16}#(?:separator|fields)[ \t]").search),
    ("windows", ("<Event",), re.compile(r"\A(?:<\?xml[^>]*>\s*)?<Event[\s>]").search),
    # Windows JSON after a syslog header (NXLog, Winlogbeat over syslog).
    ("windows", ('"EventID"',), lambda head: '"Channel"' in head),
]  # fmt: skip


def _zeek(record: Record) -> bool:
    return "_path" in record or ("uid" in record and "id.orig_h" in record)


def _okta(record: Record) -> bool:
    actor = "actor" in record or any(key.startswith("actor.") for key in record)
    return actor and "eventType" in record and "published" in record


def _zeek_log(key: str) -> Callable[[Record], bool]:
    return lambda record: _zeek(record) and key in record


def _entra_sign_in(record: Record) -> bool:
    category = record.get("category")
    if isinstance(category, str) and category.endswith("SignInLogs"):
        return True
    properties = record.get("properties")
    has_upn = isinstance(properties, dict) and "userPrincipalName" in properties
    return has_upn and "operationName" in record


ZEEK_LOG_KEYS: list[tuple[str, str]] = [  # a key only that Zeek log writes → its log type
    ("fuid", "zeek.files"), ("note", "zeek.notice"), ("conn_state", "zeek.conn"),
    ("qtype", "zeek.dns"), ("method", "zeek.http"), ("cipher", "zeek.ssl"),
    ("auth_attempts", "zeek.ssh"), ("addl", "zeek.weird"),
]  # fmt: skip

JSON_SIGNATURES: list[tuple[str, Callable[[Record], bool]]] = [
    ("suricata", lambda r: isinstance(r.get("event_type"), str) and "timestamp" in r),
    ("zeek", lambda r: "_path" in r),
    *[(log, _zeek_log(key)) for key, log in ZEEK_LOG_KEYS],
    ("zeek", _zeek),
    ("windows", lambda r: isinstance(r.get("winlog"), dict) or isinstance(r.get("Event"), dict)),
    ("windows", lambda r: "EventID" in r and "Channel" in r),
    ("cloudtrail", lambda r: "eventVersion" in r and "eventSource" in r),
    ("okta", _okta),
    ("azure_signin", _entra_sign_in),
    ("m365_audit", lambda r: "Workload" in r and "Operation" in r and "CreationTime" in r),
]
_WRAPPERS = ("Records", "records")  # CloudTrail log files, Azure diagnostic exports


def detect(text: str) -> str:
    """The format hint for ``text`` (see the module docstring); ``syslog`` when nothing fits."""
    body = text.lstrip("\ufeff \t\r\n")
    if body[:1] in ("{", "["):
        record = _first_record(body)
        if record is not None:
            return next((fmt for fmt, fits in JSON_SIGNATURES if fits(record)), FALLBACK)
    head = body[:HEAD_CHARS]
    for fmt, markers, test in TEXT_SIGNATURES:
        if any(marker in head for marker in markers) and test(head):
            return fmt
    return FALLBACK


def _first_record(body: str) -> Record | None:
    """The first JSON object of a record, an array, NDJSON or a wrapper; None if there is none."""
    first_line, newline, _ = body.partition("\n")
    for candidate in (first_line, body) if newline else (body,):
        try:
            value = orjson.loads(candidate)
        except ValueError:  # orjson.JSONDecodeError, also for text with lone surrogates
            continue
        if isinstance(value, dict):
            wrapped = next((value[k] for k in _WRAPPERS if isinstance(value.get(k), list)), None)
            value = value if wrapped is None else wrapped
        if isinstance(value, list):
            value = value[0] if value else None
        return value if isinstance(value, dict) else None
    return None
