"""pySigma correlation rules → ``CorrelationRule`` (after references are resolved).

``CorrelationRule.rules`` holds the ``RuleMeta.id`` of each referenced rule or correlation, in
the written order (temporal_ordered depends on it), whether the rule named it by id or by name.
``aliases`` maps each alias to ``{rule: field}`` where the rule appears under its id and, when it
has one, under its name too. ``condition.bounds`` keeps every bound written (a range such as
``gt: 100, lte: 200`` is allowed by the spec; pySigma 2.0.1 accepts one bound, so the loader hands
it a single bound and keeps the rest here). Extended boolean conditions, ``value_median`` and a
condition over several fields are refused with a reason.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, get_args

from sigma.collection import SigmaCollection
from sigma.correlations import SigmaCorrelationCondition, SigmaCorrelationRule
from sigma.exceptions import SigmaError, SigmaRuleNotFoundError
from sigma.rule import SigmaRule

from .model import CorrelationCondition, CorrelationRule, CorrelationType, RuleMeta

MetaOf = Callable[[SigmaRule | SigmaCorrelationRule], RuleMeta]

_OPERATORS = ("gt", "gte", "lt", "lte", "eq", "neq")
_TYPES = frozenset(get_args(CorrelationType))


def bounds_of(doc: dict[str, Any]) -> tuple[dict[str, Any], dict[str, float] | None]:
    """The document as pySigma accepts it, and the condition bounds as written."""
    correlation = doc.get("correlation")
    if not isinstance(correlation, dict):
        return doc, None
    condition = correlation.get("condition")
    if not isinstance(condition, dict):
        return doc, None
    bounds = {op: condition[op] for op in _OPERATORS if op in condition}
    for op, bound in bounds.items():
        if isinstance(bound, bool) or not isinstance(bound, (int, float)):
            raise SigmaError(f"correlation condition {op}: {bound!r} is not a number")
    if len(bounds) <= 1:
        return doc, bounds or None
    first = next(iter(bounds))
    single = {k: v for k, v in condition.items() if k not in bounds or k == first}
    return {**doc, "correlation": {**correlation, "condition": single}}, bounds


def resolve(
    rule: SigmaCorrelationRule, collection: SigmaCollection, failed: frozenset[str]
) -> None:
    """Link the referenced rules (logsource conditions of the pipeline need them, too).

    ``failed`` holds the ids and names of documents that did not parse, for a clearer reason;
    a reference to nothing loaded fails with "references unknown rule <reference>".
    """
    broken = [r.reference for r in rule.rules or () if r.reference in failed]
    if broken:
        raise SigmaError(f"uses a rule that failed to load: {broken[0]}")
    for ref in rule.rules or ():
        try:
            collection[ref.reference]
        except SigmaRuleNotFoundError as e:
            raise SigmaError(f"references unknown rule {ref.reference}") from e
    rule.resolve_rule_references(collection)


def convert_correlation(
    rule: SigmaCorrelationRule,
    meta: RuleMeta,
    bounds: dict[str, float] | None,
    *,
    collection: SigmaCollection,
    meta_of: MetaOf,
    generate: bool,
) -> CorrelationRule:
    kind = rule.type.name.lower()
    if kind not in _TYPES:
        raise SigmaError(f"correlation type {kind} is not supported")
    condition = rule.condition
    if not isinstance(condition, SigmaCorrelationCondition):
        raise SigmaError("extended (boolean expression) correlation conditions are not supported")
    return CorrelationRule(
        meta=meta,
        type=kind,  # type: ignore[arg-type]
        rules=tuple(meta_of(ref.rule).id for ref in rule.referenced_rules),
        group_by=tuple(rule.group_by or ()),
        timespan=timedelta(seconds=rule.timespan.seconds),
        condition=CorrelationCondition(
            bounds or {condition.op.name.lower(): condition.count},
            _single_field(condition.fieldref),
            condition.percentile,
        ),
        aliases=_aliases(rule, collection, meta_of),
        generate=generate,
    )


def _single_field(fieldref: str | list[str] | None) -> str | None:
    if isinstance(fieldref, list):
        if len(fieldref) != 1:
            raise SigmaError("a correlation condition over several fields is not supported")
        return fieldref[0]
    return fieldref


def _aliases(
    rule: SigmaCorrelationRule, collection: SigmaCollection, meta_of: MetaOf
) -> dict[str, dict[str, str]]:
    aliases: dict[str, dict[str, str]] = {}
    for alias in rule.aliases:
        fields = aliases.setdefault(alias.alias, {})
        for reference, field in alias.mapping.items():
            try:
                meta = meta_of(collection[reference.reference])
            except SigmaRuleNotFoundError as e:
                raise SigmaError(
                    f"alias {alias.alias} refers to an unknown rule: {reference.reference}"
                ) from e
            fields.update(dict.fromkeys(filter(None, (meta.id, meta.name)), field))
    return aliases
