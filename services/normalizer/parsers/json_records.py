"""JSON records of cloud and identity APIs: batch unwrapping and the helpers their parsers share.

``load_records`` accepts what a collector may hand over for one RawEvent: one JSON object, a JSON
array of objects, an object whose ``wrapper`` key holds the array (CloudTrail files ``Records``,
Azure diagnostic exports ``records``), or NDJSON (one of those per line). It returns the record
objects in order and raises ``ParseError`` for text that is not JSON, a record that is not an
object, an empty batch, or nesting deeper than ``MAX_DEPTH`` (the other helpers recurse, and a
record that deep is no API record).

``documents_of(text, build)`` is what the batch parsers return: ``build(n, record)`` for each of
those records, and, when the text holds more than one, each document's ``event.original`` set to
its own record's text — its NDJSON line, or its compact JSON (orjson, keys in their order) when it
came out of an array — so the normalizer does not copy the whole batch into every document.

The other helpers reproduce the small transformations Elastic's ingest pipelines apply to these
sources, so each parser states its mapping and not the mechanics.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import orjson

from schemas.ecs import set_field
from services.normalizer.parsers.base import Doc, ParseError

MAX_DEPTH = 64
_JSON_TYPES: dict[type, str] = {
    list: "array",
    str: "string",
    int: "number",
    float: "number",
    bool: "boolean",
    type(None): "null",
}
_HOST_PORT = re.compile(r"\[([^\]]{1,64})\](?::([0-9]{1,5}))?|([0-9.]{7,15}):([0-9]{1,5})")


def load_records(text: str, *, wrapper: str | None = None) -> list[dict[str, Any]]:
    """The record objects in ``text`` (see the module docstring for the accepted shapes)."""
    return [record for record, _ in _load(text, wrapper)]


def documents_of(
    text: str, build: Callable[[int, dict[str, Any]], Doc], *, wrapper: str | None = None
) -> list[Doc]:
    """``build(n, record)`` for every record in ``text``, each with its own ``event.original``
    when the text is a batch (see the module docstring)."""
    records = _load(text, wrapper)
    if len(records) == 1:  # the record is the whole text, which the normalizer keeps
        return [build(0, records[0][0])]
    # Encoded before build(), which may take keys out of the record as it maps them.
    originals = [line or orjson.dumps(record).decode() for record, line in records]
    docs = [build(n, record) for n, (record, _) in enumerate(records)]
    for doc, original in zip(docs, originals, strict=True):
        doc.setdefault("event", {})["original"] = original
    return docs


def _load(text: str, wrapper: str | None) -> list[tuple[dict[str, Any], str | None]]:
    """The records with their NDJSON line, when a line holds exactly that record."""
    try:
        values: list[tuple[Any, str | None]] = [(orjson.loads(text), None)]
    except orjson.JSONDecodeError as whole_error:
        lines = [line for line in text.splitlines() if line.strip()]
        if len(lines) < 2:
            raise ParseError(f"not JSON: {whole_error}") from None
        values = [(_load_line(n, line), line.strip()) for n, line in enumerate(lines, 1)]
    records: list[tuple[Any, str | None]] = []
    for value, line in values:
        if isinstance(value, dict) and wrapper and isinstance(value.get(wrapper), list):
            value = value[wrapper]
        if isinstance(value, list):
            records.extend((item, None) for item in value)
        else:
            records.append((value, line))
    if not records:
        raise ParseError("empty batch: no record in the JSON array")
    for n, (record, _) in enumerate(records, 1):
        if not isinstance(record, dict):
            kind = _JSON_TYPES.get(type(record), "value")
            raise ParseError(f"record {n} is a JSON {kind}, not an object")
        if _deeper_than(record, MAX_DEPTH):
            raise ParseError(f"record {n} nests deeper than {MAX_DEPTH} levels")
    return records


def _load_line(n: int, line: str) -> Any:
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise ParseError(f"line {n} is not JSON: {exc}") from None


def _deeper_than(value: Any, limit: int) -> bool:
    # Level by level, without recursion: this is the guard that keeps the recursive helpers safe.
    level, depth = [value], 1
    while level:
        if depth > limit:
            return True
        below = []
        for node in level:
            for child in node.values() if type(node) is dict else node:
                if type(child) is dict or type(child) is list:
                    below.append(child)
        level, depth = below, depth + 1
    return False


def prune(value: Any, *, blank: bool = False) -> Any:
    """``value`` without nulls (and ``""`` when ``blank``) at any depth; containers left empty
    go too, and None means nothing was left (Elastic's "drop null/empty values" script)."""
    return _prune(value, (None, "") if blank else (None,))


def _prune(value: Any, empty: tuple[Any, ...]) -> Any:
    kind = type(value)
    if kind is dict:
        kept = {}
        for key, item in value.items():
            if type(item) is dict or type(item) is list:
                item = _prune(item, empty)
                if item is not None:
                    kept[key] = item
            elif not (item is None or (type(item) is str and item in empty)):
                kept[key] = item
        return kept or None
    if kind is list:
        items = [p for item in value if (p := _prune(item, empty)) is not None]
        return items or None
    return None if value is None or (kind is str and value in empty) else value


def nest_dotted(record: dict[str, Any]) -> dict[str, Any]:
    """A record exported with flat dotted keys (``"actor.alternateId"``) as nested objects."""
    if not any("." in key for key in record):
        return record
    nested: dict[str, Any] = {}
    for key, value in record.items():
        set_field(nested, key, value)
    return nested


@lru_cache(maxsize=4096)  # client addresses repeat heavily within a tenant's stream
def as_ip(value: str) -> str | None:
    """``value`` when it is an IPv4 or IPv6 address (Okta writes the text "null" for none)."""
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return None
    return value


def ip_of(value: Any) -> str | None:
    return as_ip(value) if isinstance(value, str) and len(value) <= 64 else None


def address_port(value: Any) -> tuple[str | None, int | None]:
    """``(ip, port)`` from ``ip``, ``v4:port``, ``[ip]`` or ``[ip]:port``; ``(None, None)`` when the
    text names no address (a host name, "null", "Unknown" ...)."""
    if not isinstance(value, str) or len(value) > 80:
        return None, None
    text = value.strip()
    port = None
    if m := _HOST_PORT.fullmatch(text):
        bracketed, bracket_port, v4, v4_port = m.groups()
        text, digits = (bracketed, bracket_port) if bracketed else (v4, v4_port)
        port = int(digits) if digits and int(digits) < 65536 else None
    ip = ip_of(text)
    return (ip, port) if ip else (None, None)


def string(value: Any) -> str | None:
    """``value`` when it is a non-empty string: ECS keyword fields take nothing else."""
    return value if isinstance(value, str) and value else None


def text_of(value: Any) -> str | None:
    """A scalar as ECS keyword text (Elastic's ``convert`` to string), None for anything else."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return None


def split_account(name: Any) -> tuple[str, str] | None:
    """``(local part, domain)`` of ``user@domain`` with exactly one ``@``, else None."""
    if not isinstance(name, str):
        return None
    parts = name.split("@")
    return (parts[0], parts[1]) if len(parts) == 2 and all(parts) else None


def unique(*values: Any) -> list[Any] | None:
    """The non-empty values in first-seen order, or None (for ``related.*`` lists)."""
    out: list[Any] = []
    for value in values:
        if value not in (None, "") and value not in out:
            out.append(value)
    return out or None


def dig(record: Any, *path: str) -> Any:
    """``record[path[0]][path[1]]...`` or None where a step is missing or not an object."""
    for key in path:
        if not isinstance(record, dict):
            return None
        record = record.get(key)
    return record
