"""STIX 2.1 bundles → indicators, with the ``stix2`` library (objects and pattern parser).

Each ``indicator`` object with ``pattern_type: stix`` is read; other objects give context only:
``identity`` (``created_by_ref`` → provider), ``marking-definition`` (TLP, also the four TLP 1
markings stix2 defines), ``attack-pattern`` with a ``mitre-attack`` external id reached by an
``indicates`` relationship (→ ``attack.t…`` tags, beside ``mitre-attack`` kill-chain phases).

Patterns: comparisons ``=`` (and ``IN``) on ``ipv4-addr:value``, ``ipv6-addr:value``,
``domain-name:value``, ``url:value`` and ``file:hashes.'MD5'|'SHA-1'|'SHA-256'``, and
``ISSUBSET`` on address values (a CIDR network). OR (between comparisons or observations)
splits into one indicator per operand. AND, FOLLOWEDBY, qualifiers (WITHIN, REPEATS, START/STOP),
negations and other operators or paths cannot be matched one field at a time: such an operand is
refused with its reason, and the other operands of an OR are kept. An object stix2 refuses, an
indicator without a usable operand, or another pattern type is listed with its reason.

Taken from the indicator: ``confidence``, ``valid_from``/``valid_until``, ``revoked`` (its
indicators are published as revoked), ``created``/``modified`` (first/last seen), ``description``
(else ``name``), the first external reference URL, and ``labels`` that are ATT&CK tags.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, get_args

import stix2  # type: ignore[import-untyped]
from stix2 import patterns as p  # type: ignore[import-untyped]
from stix2.pattern_visitor import create_pattern_object  # type: ignore[import-untyped]

from schemas.indicator import Tlp
from services.correlator.intel import (
    IntelError,
    LoadOptions,
    LoadResult,
    Skipped,
    indicator,
    reason,
)

_TLP1 = {m.id: m.definition.tlp.upper() for m in (stix2.TLP_WHITE, stix2.TLP_GREEN,
                                                   stix2.TLP_AMBER, stix2.TLP_RED)}  # fmt: skip
_KINDS = {"ipv4-addr": "ip", "ipv6-addr": "ip", "domain-name": "domain-name", "url": "url"}
_HASHES = {"MD5": "md5", "SHA1": "sha1", "SHA256": "sha256"}
_SPLIT = (p.OrObservationExpression, p.OrBooleanExpression)
_JOINT = (p.AndObservationExpression, p.AndBooleanExpression, p.FollowedByObservationExpression)
Atom = tuple[str, str]  # (intel.KINDS name, value)


def _kind(path: p.ObjectPath) -> str | None:
    names = [getattr(c, "property_name", None) for c in path.property_path]
    if names == ["value"] and path.object_type_name in _KINDS:
        return _KINDS[path.object_type_name]
    if path.object_type_name == "file" and len(names) == 2 and names[0] == "hashes":
        return _HASHES.get(str(names[1]).upper().replace("-", ""))
    return None


def _comparison(expr: Any) -> list[Atom]:
    """The atoms of one comparison; ValueError with the reason when it is not matchable."""
    supported = (p.EqualityComparisonExpression, p.InComparisonExpression,
                 p.IsSubsetComparisonExpression)  # fmt: skip
    if not isinstance(expr, supported) or expr.negated:
        raise ValueError(f"{expr}: only =, IN and ISSUBSET comparisons can be matched")
    kind = _kind(expr.lhs)
    if kind is None:
        raise ValueError(f"{expr}: object path {expr.lhs} is not matched by Vigie")
    if isinstance(expr, p.IsSubsetComparisonExpression) and kind != "ip":
        raise ValueError(f"{expr}: ISSUBSET applies to addresses only")
    values = expr.rhs.value if isinstance(expr.rhs, p.ListConstant) else [expr.rhs]
    return [(kind, str(v.value)) for v in values]


def atoms(expr: Any, refused: list[str]) -> list[Atom]:
    """What a pattern (or part of one) matches; the parts it cannot match go to ``refused``."""
    if isinstance(expr, _SPLIT):
        return [atom for operand in expr.operands for atom in atoms(operand, refused)]
    if isinstance(expr, p.ObservationExpression):
        return atoms(expr.operand, refused)
    if isinstance(expr, p.ParentheticalExpression):
        return atoms(expr.expression, refused)
    if isinstance(expr, _JOINT):
        refused.append(f"{expr}: {expr.operator} needs several values at once; not matched")
        return []
    if isinstance(expr, p.QualifiedObservationExpression):
        refused.append(f"{expr}: qualified observations (WITHIN, REPEATS, START) are not matched")
        return []
    try:
        return _comparison(expr)
    except ValueError as exc:
        refused.append(str(exc))
        return []


def _tlp(obj: Any) -> str | None:
    """The TLP level a marking definition states (None: not TLP, or a level TLP does not have)."""
    definition = obj.get("definition") or {}
    name = str(obj.get("name", "")).upper()
    if obj.get("definition_type") == "tlp" and "tlp" in definition:
        name = f"TLP:{definition['tlp']}".upper()
    level = name.removeprefix("TLP:")
    return level if name.startswith("TLP:") and level in get_args(Tlp) else None


class _Context:
    """What the bundle's other objects tell about its indicators."""

    def __init__(self, objects: list[Any]) -> None:
        self.provider = {o.id: o.name for o in objects if o.type == "identity"}
        self.tlp = _TLP1 | {o.id: t for o in objects if o.type == "marking-definition"
                            if (t := _tlp(o))}  # fmt: skip
        techniques = {
            o.id: ref.external_id
            for o in objects
            if o.type == "attack-pattern"
            for ref in o.get("external_references", [])
            if ref.get("source_name") == "mitre-attack" and ref.get("external_id")
        }
        self.attack: dict[str, list[str]] = {}
        for o in objects:
            if o.type == "relationship" and o.relationship_type == "indicates":
                technique = techniques.get(o.target_ref)
                if technique:
                    self.attack.setdefault(o.source_ref, []).append(f"attack.{technique.lower()}")

    def of(self, ind: Any) -> dict[str, Any]:
        phases = [f"attack.{k.phase_name}" for k in ind.get("kill_chain_phases", [])
                  if k.kill_chain_name == "mitre-attack"]  # fmt: skip
        labels = [label for label in ind.get("labels", []) if label.lower().startswith("attack.")]
        refs = [r.url for r in ind.get("external_references", []) if r.get("url")]
        markings = [self.tlp[m] for m in ind.get("object_marking_refs", []) if m in self.tlp]
        return {
            "confidence": ind.get("confidence"), "valid_from": _utc(ind.valid_from),
            "valid_until": _utc(ind.get("valid_until")), "revoked": bool(ind.get("revoked")),
            "first_seen": _utc(ind.created), "last_seen": _utc(ind.modified),
            "description": ind.get("description") or ind.get("name"),
            "reference": refs[0] if refs else None, "marking": markings[0] if markings else None,
            "provider": self.provider.get(ind.get("created_by_ref")), "source_id": ind.id,
            "tags": tuple(dict.fromkeys([*phases, *self.attack.get(ind.id, []), *labels])),
        }  # fmt: skip


def _utc(moment: datetime | None) -> datetime | None:
    # stix2's STIXdatetime subclass carries a precision; a plain datetime is what we store.
    return None if moment is None else datetime.fromisoformat(moment.isoformat())


def _parsed(doc: dict[str, Any], result: LoadResult) -> list[Any]:
    objects = []
    for number, raw in enumerate(doc.get("objects") or [], 1):
        entry = raw.get("id", f"object {number}") if isinstance(raw, dict) else f"object {number}"
        try:
            objects.append(stix2.parse(raw, allow_custom=True))
        except Exception as exc:  # stix2 raises many kinds for an invalid object
            result.skipped.append(Skipped(str(entry), f"not a valid STIX object: {reason(exc)}"))
    return objects


def _indicators(ind: Any, context: _Context, options: LoadOptions, result: LoadResult) -> None:
    if ind.pattern_type != "stix":
        result.skipped.append(Skipped(ind.id, f"pattern_type {ind.pattern_type!r} is not stix"))
        return
    try:
        pattern = create_pattern_object(ind.pattern, version="2.1")
    except Exception as exc:  # the ANTLR parser and stix2's checks raise many kinds
        result.skipped.append(Skipped(ind.id, f"pattern not understood: {reason(exc)}"))
        return
    refused: list[str] = []
    fields = context.of(ind)
    for kind, value in atoms(pattern, refused):
        try:
            result.indicators.append(indicator(kind, value, fields, options))
        except ValueError as exc:
            refused.append(f"{value!r}: {reason(exc)}")
    result.skipped += [Skipped(ind.id, why) for why in refused]


def load_stix(doc: Any, options: LoadOptions) -> LoadResult:
    if not isinstance(doc, dict) or doc.get("type") != "bundle":
        raise IntelError("not a STIX bundle (a JSON object with type: bundle)")
    result = LoadResult()
    objects = _parsed(doc, result)
    context = _Context(objects)
    for obj in objects:
        if obj.type == "indicator":
            _indicators(obj, context, options, result)
    return result
