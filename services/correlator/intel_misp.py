"""MISP events (JSON export) → indicators.

Accepted shapes: ``{"Event": {...}}``, ``{"response": [{"Event": {...}}, ...]}`` and a list of
``{"Event": {...}}``. The attributes of an event and of its objects are read, by type:
``ip-src``, ``ip-dst`` (address or CIDR), ``ip-src|port``, ``ip-dst|port``, ``domain``,
``hostname``, ``hostname|port``, ``domain|ip`` (two indicators), ``url``, ``md5``, ``sha1``,
``sha256``, ``filename|md5``, ``filename|sha1``, ``filename|sha256`` (the hash). Any other type,
an attribute with ``to_ids`` false (not meant for detection) or a bad value is listed as skipped
with its reason (entry ``attribute <uuid>``). A ``deleted`` attribute is published as revoked.

Context: provider from the event's ``Orgc`` (else ``Org``) name; TLP from ``tlp:*`` tags of the
attribute, else of the event; ATT&CK technique ids from MITRE ATT&CK galaxy tags of both;
``comment`` (else the event's ``info``) as description; ``first_seen`` (when set) as the start of
validity and first seen, ``last_seen`` as last seen. MISP carries no confidence: the file's
confidence option (or the default) applies.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, get_args

from schemas.indicator import Tlp
from services.correlator.intel import (
    IntelError,
    LoadOptions,
    LoadResult,
    Skipped,
    attack_tags,
    indicator,
    reason,
)

# MISP type → the feed type name of each "|"-separated part (None: a part that is not matched).
TYPES: dict[str, tuple[str | None, ...]] = {
    "ip-src": ("ip",), "ip-dst": ("ip",), "ip-src|port": ("ip", None), "ip-dst|port": ("ip", None),
    "domain": ("domain",), "hostname": ("hostname",), "hostname|port": ("hostname", None),
    "domain|ip": ("domain", "ip"), "url": ("url",),
    "md5": ("md5",), "sha1": ("sha1",), "sha256": ("sha256",),
    "filename|md5": (None, "md5"), "filename|sha1": (None, "sha1"),
    "filename|sha256": (None, "sha256"),
}  # fmt: skip
_TLP = {f"tlp:{t.lower()}": t for t in get_args(Tlp)}


def _events(doc: Any) -> list[dict[str, Any]]:
    items = doc.get("response", [doc]) if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        raise IntelError("not a MISP export: expected Event, response or a list of events")
    events = [i["Event"] for i in items if isinstance(i, dict) and isinstance(i.get("Event"), dict)]
    if len(events) != len(items):
        raise IntelError("not a MISP export: every item must hold an Event object")
    return events


def _tags(node: dict[str, Any]) -> list[str]:
    return [str(t.get("name", "")) for t in node.get("Tag") or [] if isinstance(t, dict)]


def _time(text: Any) -> datetime | None:
    if not text:
        return None
    moment = datetime.fromisoformat(str(text))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _attributes(event: dict[str, Any]) -> list[dict[str, Any]]:
    found = list(event.get("Attribute") or [])
    for obj in event.get("Object") or []:
        found += (obj.get("Attribute") or []) if isinstance(obj, dict) else []
    return found


def _context(attr: dict[str, Any], event: dict[str, Any]) -> dict[str, Any]:
    tags, event_tags = _tags(attr), _tags(event)
    tlp = [_TLP[t.lower()] for t in tags + event_tags if t.lower() in _TLP]
    org = event.get("Orgc") or event.get("Org") or {}
    first_seen = _time(attr.get("first_seen"))
    return {
        "provider": org.get("name"), "marking": tlp[0] if tlp else None,
        "tags": tuple(attack_tags(tags + event_tags)),
        "description": attr.get("comment") or event.get("info"),
        "valid_from": first_seen, "first_seen": first_seen,
        "last_seen": _time(attr.get("last_seen")), "source_id": attr.get("uuid"),
        "revoked": bool(attr.get("deleted")),
    }  # fmt: skip


def _attribute(
    attr: dict[str, Any], event: dict[str, Any], options: LoadOptions, result: LoadResult
) -> None:
    entry = f"attribute {attr.get('uuid') or attr.get('id') or '?'}"
    kinds = TYPES.get(str(attr.get("type")))
    if kinds is None:
        result.skipped.append(Skipped(entry, f"MISP type {attr.get('type')!r} is not matched"))
        return
    if str(attr.get("to_ids", True)).lower() in ("false", "0"):
        result.skipped.append(Skipped(entry, "to_ids is false: not meant for detection"))
        return
    parts = str(attr.get("value", "")).split("|")
    if len(parts) != len(kinds):
        result.skipped.append(
            Skipped(entry, f"value does not have the {len(kinds)} parts of its type")
        )
        return
    try:
        context = _context(attr, event)
        made = [indicator(kind, value, context, options)
                for kind, value in zip(kinds, parts, strict=True) if kind is not None]  # fmt: skip
    except ValueError as exc:  # all parts or none: the entry is either loaded or skipped
        result.skipped.append(Skipped(entry, reason(exc)))
        return
    result.indicators += made


def load_misp(doc: Any, options: LoadOptions) -> LoadResult:
    result = LoadResult()
    for event in _events(doc):
        for attr in _attributes(event):
            if isinstance(attr, dict):
                _attribute(attr, event, options, result)
            else:
                result.skipped.append(Skipped("attribute ?", "not a JSON object"))
    return result
