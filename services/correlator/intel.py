"""Threat-intelligence files → ``Indicator`` messages: STIX 2.1 bundles, MISP events, CSV feeds.

``load(data, fmt, options, name=)`` reads one file's bytes (UTF-8, a BOM accepted, at most
``MAX_BYTES``). ``fmt`` is ``stix`` (``intel_stix``), ``misp`` (``intel_misp``), ``csv``
(``intel_csv``) or ``auto``: a name ending in ``.csv`` is CSV; JSON with ``"type": "bundle"`` is
STIX; JSON with ``Event`` or ``response`` (or a list of events) is MISP; other text is CSV.
A file that cannot be read as its format at all raises ``IntelError``; within a readable file,
every entry that does not become an indicator is listed in ``LoadResult.skipped`` with its
reason (an unsupported type, a bad value, an AND pattern...): nothing is dropped silently.

``LoadOptions`` apply to every indicator of the file: ``tenant`` (None: global), ``feed``
(``threat.feed.name``), ``confidence`` for entries that carry none (else ``DEFAULT_CONFIDENCE``),
and ``valid_days``: entries without an end of validity get ``valid_until = (valid_from or now) +
valid_days``. ``now`` is used for that only; loaders never read the clock. Pure: no I/O.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import orjson
from pydantic import ValidationError

from schemas.indicator import Indicator, canonical_ip

Format = Literal["auto", "stix", "misp", "csv"]
MAX_BYTES = 64 * 1024 * 1024
DEFAULT_CONFIDENCE = 50

# Lazy "module:function" (as runtime.bus.BUSES): the STIX loader pulls in an ANTLR parser that
# a correlator without STIX files never needs. Each takes the text or the parsed JSON.
LOADERS: dict[str, str] = {
    "stix": "services.correlator.intel_stix:load_stix",
    "misp": "services.correlator.intel_misp:load_misp",
    "csv": "services.correlator.intel_csv:load_csv",
}

# Type names of feeds (CSV columns, MISP attribute types) → an address, a domain, a URL or a hash.
KINDS: dict[str, str] = {
    "ip": "ip", "ipv4": "ip", "ipv6": "ip", "ipv4-addr": "ip", "ipv6-addr": "ip", "cidr": "ip",
    "ip-src": "ip", "ip-dst": "ip",
    "domain": "domain-name", "domain-name": "domain-name", "hostname": "domain-name",
    "url": "url",
    "md5": "md5", "sha1": "sha1", "sha256": "sha256", "sha-1": "sha1", "sha-256": "sha256",
}  # fmt: skip

_TECHNIQUE = re.compile(r"\b(T\d{4}(?:\.\d{3})?)\b")


class IntelError(ValueError):
    """The file cannot be read as the format asked for (or any, with ``auto``)."""


@dataclass(frozen=True, slots=True)
class LoadOptions:
    tenant: str | None = None
    feed: str | None = None
    confidence: int | None = None
    valid_days: float | None = None
    now: datetime = datetime(1970, 1, 1, tzinfo=UTC)  # only read with valid_days


@dataclass(frozen=True, slots=True)
class Skipped:
    entry: str  # where in the file: "line 4", "indicator--…", "attribute <uuid>"
    reason: str


@dataclass(slots=True)
class LoadResult:
    indicators: list[Indicator] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def reason(exc: Exception) -> str:
    """A one-line reason for a refused value (pydantic's errors without their boilerplate)."""
    if isinstance(exc, ValidationError):
        messages = (str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        return "; ".join(messages)
    return str(exc) or type(exc).__name__


def attack_tags(texts: Iterable[str]) -> list[str]:
    """ATT&CK technique ids in tags such as ``misp-galaxy:mitre-attack-pattern="… - T1566"``."""
    found = (m.lower() for t in texts if "attack" in t.lower() for m in _TECHNIQUE.findall(t))
    return [f"attack.{m}" for m in dict.fromkeys(found)]


def indicator(
    kind_name: str, value: str, context: dict[str, Any], options: LoadOptions
) -> Indicator:
    """One indicator of a feed type name (``KINDS``) and value, with the file's options applied.

    Raises ValueError (with a reason) for an unknown type or a bad value."""
    kind = KINDS.get(kind_name.strip().lower())
    if kind is None:
        raise ValueError(f"type {kind_name!r} is not supported")
    if kind == "ip":
        type_, _ = canonical_ip(value)
        fields: dict[str, Any] = {"type": type_}
    elif kind in ("md5", "sha1", "sha256"):
        fields = {"type": "file", "hash": kind}
    else:
        fields = {"type": kind}
    fields |= {k: v for k, v in context.items() if v is not None}
    fields.setdefault("confidence", options.confidence)
    if fields["confidence"] is None:
        fields["confidence"] = DEFAULT_CONFIDENCE
    if options.valid_days is not None and fields.get("valid_until") is None:
        start = fields.get("valid_from") or options.now
        fields["valid_until"] = start + timedelta(days=options.valid_days)
    return Indicator(value=value, tenant=options.tenant, feed=options.feed, **fields)


def detect(text: str, name: str = "") -> tuple[str, Any]:
    """The format of a file and what its loader takes (the parsed JSON, or the text for CSV)."""
    if name.lower().endswith(".csv") or text.lstrip()[:1] not in ("{", "["):
        return "csv", text
    doc = _json(text)
    if isinstance(doc, dict) and doc.get("type") == "bundle":
        return "stix", doc
    if isinstance(doc, list) or (isinstance(doc, dict) and ("Event" in doc or "response" in doc)):
        return "misp", doc
    raise IntelError("JSON that is neither a STIX bundle nor a MISP event: pass the format")


def load(data: bytes, fmt: Format, options: LoadOptions, *, name: str = "") -> LoadResult:
    if len(data) > MAX_BYTES:
        raise IntelError(f"file of {len(data)} bytes is over the {MAX_BYTES}-byte limit")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IntelError(f"not UTF-8 text: {exc}") from exc
    if fmt == "auto":
        fmt_found, content = detect(text, name)
    else:
        fmt_found, content = fmt, (text if fmt == "csv" else _json(text))
    module, _, function = LOADERS[fmt_found].partition(":")
    loader: Callable[[Any, LoadOptions], LoadResult] = getattr(
        importlib.import_module(module), function
    )
    return loader(content, options)


def _json(text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise IntelError(f"not valid JSON: {exc}") from exc
