"""One Sigma YAML document → a pySigma rule and its ``RuleMeta``, with the loader's leniencies.

``parse_document`` raises (``SigmaError`` or whatever pySigma raises on odd input) with a
readable reason; the loader turns that into a ``RuleError``. Leniencies, each because real rule
sets need it: a rule without ``title`` gets ``"<file> #<n>"``, without ``id`` a deterministic id
from path, title and content, without ``logsource`` it is accepted (and sees every event);
``references``/``falsepositives`` given as one string are read as a one-item list (Hayabusa writes
them so); ``utf16le`` is read as its spec alias ``wide``; a correlation ``condition`` with several
bounds (a range, allowed by the spec) is kept whole in ``ParsedDocument.bounds``. Sigma v1
collection actions and filter documents are refused.

``parse_documents`` is what the loader calls: a Sigma v1 aggregation (``condition: sel | count()
by X > N`` with ``timeframe``) becomes two documents, its base rule and an ``event_count`` /
``value_count`` correlation (``legacy.py``), before pySigma, which refuses the pipe syntax.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sigma.correlations import SigmaCorrelationRule
from sigma.exceptions import SigmaCollectionError, SigmaError, SigmaLogsourceError
from sigma.policy import SigmaPolicy
from sigma.rule import SigmaRule
from sigma.rule.base import check_alias_expansion

from schemas.ids import derived_id

from .correlation_rules import bounds_of
from .legacy import convert as convert_legacy
from .model import RuleMeta

_MODIFIER_ALIASES = {"utf16le": "wide"}


@dataclass(slots=True)
class ParsedDocument:
    path: str
    rule: SigmaRule | SigmaCorrelationRule
    meta: RuleMeta
    bounds: dict[str, float] | None = None  # a correlation's condition bounds as written
    failed: bool = False  # set by the loader when a later step fails


def parse_documents(
    document: Any, path: str, file: Path | None, index: int, policy: SigmaPolicy | None
) -> list[ParsedDocument]:
    """The parsed document; for a legacy aggregation, its base rule then its correlation."""
    legacy = convert_legacy(document) if isinstance(document, dict) else None
    parts = legacy if legacy is not None else (document,)
    return [parse_document(part, path, file, index, policy) for part in parts]


def parse_document(
    document: Any, path: str, file: Path | None, index: int, policy: SigmaPolicy | None
) -> ParsedDocument:
    """Parse with pySigma under the pipeline's policy (its regex engine validates ``re``)."""
    if not isinstance(document, dict):
        raise SigmaError("a rule document must be a YAML mapping")
    if "action" in document:
        raise SigmaError("Sigma collection actions (global, reset, repeat) are not supported")
    if "filter" in document and "correlation" not in document:
        raise SigmaError("Sigma filter documents are not supported")
    check_alias_expansion(document, SigmaCollectionError)
    doc = _lenient(document, f"{Path(path).name} #{index}")
    bounds = None
    if "correlation" in doc:
        doc, bounds = bounds_of(doc)
        rule: SigmaRule | SigmaCorrelationRule = SigmaCorrelationRule.from_dict(doc, policy=policy)
    else:
        rule = SigmaRule.from_dict(doc, collect_errors=True, policy=policy)
        no_logsource = "logsource" not in doc
        errors = [
            e for e in rule.errors if not (no_logsource and isinstance(e, SigmaLogsourceError))
        ]
        if errors:
            raise errors[0]
    return ParsedDocument(path, rule, _meta(rule, doc, path, file), bounds)


def _lenient(document: dict[str, Any], title: str) -> dict[str, Any]:
    doc = dict(document)
    doc.setdefault("title", title)
    for key in ("references", "falsepositives"):
        if isinstance(doc.get(key), str):
            doc[key] = [doc[key]]
    if isinstance(doc.get("detection"), dict):
        doc["detection"] = _modifier_aliases(doc["detection"])
    return doc


def _modifier_aliases(node: Any) -> Any:
    if isinstance(node, list):
        return [_modifier_aliases(item) for item in node]
    if not isinstance(node, dict):
        return node
    renamed = {}
    for key, value in node.items():
        if isinstance(key, str) and "|" in key:
            field, *modifiers = key.split("|")
            key = "|".join([field, *(_MODIFIER_ALIASES.get(m, m) for m in modifiers)])
        renamed[key] = _modifier_aliases(value)
    return renamed


def _meta(
    rule: SigmaRule | SigmaCorrelationRule, doc: dict[str, Any], path: str, file: Path | None
) -> RuleMeta:
    rule_id = (
        str(rule.id)
        if rule.id is not None
        else derived_id(path, rule.title, json.dumps(doc, sort_keys=True, default=str))
    )
    return RuleMeta(
        id=rule_id,
        title=rule.title,
        name=rule.name,
        level=rule.level.name.lower() if rule.level is not None else "medium",
        tags=tuple(str(tag) for tag in rule.tags),
        author=rule.author,
        path=file,
    )
