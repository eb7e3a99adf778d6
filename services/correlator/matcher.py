"""Sigma detections → plain predicates over a nested ECS document.

``compile_rule(detections)`` turns a pySigma ``SigmaDetections`` (after the processing pipeline)
into ``predicate(doc) -> bool``; nothing from pySigma is touched at match time. Semantics:

- fields are read like ``schemas.ecs.get_field`` (dotted path into nested dicts, or a literal
  dotted key); a JSON null counts as absent; when the value is a list, any element may match;
- strings match case-insensitively unless ``cased``; ``*``/``?`` wildcards are matched by a
  linear-time segment search, never by a backtracking regex, so hostile event text costs
  at most a few passes over the value; numbers match numbers and numeric strings ("4624");
- keywords (no field) are searched in ``message`` and ``event.original``;
- an item on an absent field is false, so its negation is true (no hidden ``exists``);
- ``re`` values use the regex engine of the pySigma policy (RE2 by default, which is linear and
  accepts exactly what pySigma validated).

Siblings of AND/OR are evaluated cheapest first; ORed string tests on one field share one read
and one case fold, and compare through a set or ``str.startswith(tuple)``.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from functools import lru_cache
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address
from typing import Any

from sigma.policy import default_policy
from sigma.policy.regex_engine import RegexEngine
from sigma.rule import SigmaDetections

from .field_access import KEYWORD_FIELDS, Getter, getter
from .model import Predicate
from .sigma_terms import (
    AllOf,
    AnyOf,
    Boolean,
    Cidr,
    Compare,
    CompileError,
    Exists,
    FieldRef,
    Match,
    Not,
    Number,
    Regex,
    Term,
    Text,
    Value,
    translate,
)
from .text_match import as_number, as_text, text_test

__all__ = ["CompileError", "all_of", "any_of", "compile_rule", "compile_term"]

ScalarTest = Callable[[Any], bool]
Compiled = tuple[Predicate, int]  # predicate and a rough cost, to run cheap siblings first

_COMPARE = {
    "lt": operator.lt,
    "lte": operator.le,
    "gt": operator.gt,
    "gte": operator.ge,
    "neq": operator.ne,
}
_FIELDREF: dict[str, Callable[[str, str], bool]] = {
    "eq": operator.eq,
    "prefix": str.startswith,
    "suffix": str.endswith,
    "contains": lambda value, ref: ref in value,
}


def compile_rule(
    detections: SigmaDetections, *, regex_engine: RegexEngine | None = None
) -> Predicate:
    """Predicate of a rule's detection; raises ``CompileError`` with the reason it cannot."""
    return compile_term(translate(detections), regex_engine=regex_engine)


def compile_term(term: Term, *, regex_engine: RegexEngine | None = None) -> Predicate:
    return _Compiler(regex_engine or default_policy.regex_engine).compile(term)[0]


class _Compiler:
    def __init__(self, regex_engine: RegexEngine) -> None:
        self.regex_engine = regex_engine

    def compile(self, term: Term) -> Compiled:
        if isinstance(term, Match):
            return self._match(term.field, [term.value])
        if isinstance(term, Not):
            inner, cost = self.compile(term.term)
            return (lambda doc: not inner(doc)), cost
        if isinstance(term, AllOf):
            parts = sorted((self.compile(t) for t in _flat(term, AllOf)), key=_cost)
            return all_of([p for p, _ in parts]), sum(c for _, c in parts)
        parts = sorted(self._any_parts(_flat(term, AnyOf)), key=_cost)
        return any_of([p for p, _ in parts]), sum(c for _, c in parts)

    def _any_parts(self, terms: list[Term]) -> list[Compiled]:
        """Compile ORed terms; strings, numbers and networks ORed on one field become one test."""
        groups: dict[tuple[str | None, type, bool], list[Value]] = {}
        parts = []
        for term in terms:
            if isinstance(term, Match) and isinstance(term.value, (Text, Number, Cidr)):
                cased = isinstance(term.value, Text) and term.value.cased
                groups.setdefault((term.field, type(term.value), cased), []).append(term.value)
            else:
                parts.append(self.compile(term))
        parts.extend(self._match(field, values) for (field, _, _), values in groups.items())
        return parts

    def _match(self, field: str | None, values: list[Value]) -> Compiled:
        first = values[0]
        if isinstance(first, Exists):
            return _exists(_read(field), first.present), 1
        if isinstance(first, FieldRef):
            return _fieldref(_read(field), getter(first.field), first.kind), 4
        test, cost = self._scalar_test(values)
        return _on_field(_read(field), test), cost + (3 if field is None else 0)

    def _scalar_test(self, values: list[Value]) -> tuple[ScalarTest, int]:
        first = values[0]
        if isinstance(first, Text):
            texts = [v for v in values if isinstance(v, Text)]
            return text_test([t.tokens for t in texts], cased=first.cased), 2
        if isinstance(first, Number):
            return _number_test({v.value for v in values if isinstance(v, Number)}), 1
        if isinstance(first, Boolean):
            return _boolean_test(first.value), 1
        if isinstance(first, Regex):
            return self._regex_test(first), 8
        if isinstance(first, Cidr):
            return _cidr_test([v.network for v in values if isinstance(v, Cidr)]), 4
        if isinstance(first, Compare):
            return _compare_test(first), 2
        raise CompileError(f"unsupported value {first!r}")  # pragma: no cover - Value is closed

    def _regex_test(self, regex: Regex) -> ScalarTest:
        try:
            search = self.regex_engine.compile(regex.pattern, regex.flags).search
        except self.regex_engine.error as e:
            raise CompileError(f"regular expression '{regex.pattern}' is invalid: {e}") from e

        def test(value: Any) -> bool:
            text = as_text(value)
            if text is None:
                return False
            try:
                return search(text) is not None
            except UnicodeEncodeError:  # RE2 reads UTF-8; a lone surrogate cannot be matched
                return False

        return test


def _flat(term: AllOf | AnyOf, kind: type[AllOf | AnyOf]) -> list[Term]:
    """Children of nested ANDs (or ORs) in one list, so more tests can be merged and sorted."""
    out: list[Term] = []
    for child in term.terms:
        if isinstance(child, kind):
            out.extend(_flat(child, kind))
        else:
            out.append(child)
    return out


def _cost(compiled: Compiled) -> int:
    return compiled[1]


def all_of(preds: list[Predicate]) -> Predicate:
    """AND of predicates, first to last (unrolled for the common small cases)."""
    if not preds:
        return lambda doc: True
    if len(preds) == 1:
        return preds[0]
    if len(preds) == 2:
        a, b = preds
        return lambda doc: a(doc) and b(doc)

    def all_(doc: Mapping[str, Any]) -> bool:
        for pred in preds:
            if not pred(doc):
                return False
        return True

    return all_


def any_of(preds: list[Predicate]) -> Predicate:
    """OR of predicates, first to last."""
    if len(preds) == 1:
        return preds[0]
    if len(preds) == 2:
        a, b = preds
        return lambda doc: a(doc) or b(doc)

    def any_(doc: Mapping[str, Any]) -> bool:
        for pred in preds:
            if pred(doc):
                return True
        return False

    return any_


def _read(field: str | None) -> Getter:
    return getter(field) if field is not None else _keyword_text


_MESSAGE, _ORIGINAL = (getter(f) for f in KEYWORD_FIELDS)


def _keyword_text(doc: Mapping[str, Any]) -> list[Any] | None:
    message, original = _MESSAGE(doc), _ORIGINAL(doc)
    if original is None:
        return None if message is None else [message]
    return [original] if message is None else [message, original]


def _on_field(get: Getter, test: ScalarTest) -> Predicate:
    def pred(doc: Mapping[str, Any]) -> bool:
        value = get(doc)
        if value is None:
            return False
        if type(value) is list:
            for item in value:
                if item is not None and test(item):
                    return True
            return False
        return test(value)

    return pred


def _exists(get: Getter, present: bool) -> Predicate:
    if present:
        return lambda doc: get(doc) is not None
    return lambda doc: get(doc) is None


def _fieldref(get: Getter, get_ref: Getter, kind: str) -> Predicate:
    compare = _FIELDREF[kind]

    def pred(doc: Mapping[str, Any]) -> bool:
        values, refs = _folded(get(doc)), _folded(get_ref(doc))
        return any(compare(v, r) for v in values for r in refs)

    return pred


def _folded(value: Any) -> list[str]:
    values = value if type(value) is list else [value]
    return [t.lower() for t in map(as_text, values) if t is not None]


def _number_test(numbers: set[int | float]) -> ScalarTest:
    accepted = frozenset(numbers)
    texts = frozenset(str(n) for n in numbers)

    def test(value: Any) -> bool:
        kind = type(value)
        if kind is int or kind is float:
            return value in accepted
        return kind is str and (value in texts or as_number(value) in accepted)

    return test


def _boolean_test(expected: bool) -> ScalarTest:
    text = "true" if expected else "false"
    return lambda value: value is expected or (type(value) is str and value.lower() == text)


def _compare_test(compare: Compare) -> ScalarTest:
    op, bound = _COMPARE[compare.op], compare.value

    def test(value: Any) -> bool:
        number = as_number(value)
        return number is not None and op(number, bound)

    return test


_MAX_ADDRESS = 64  # longer text is no address, and must not fill the parse cache


def _cidr_test(networks: list[IPv4Network | IPv6Network]) -> ScalarTest:
    by_version = {v: tuple(n for n in networks if n.version == v) for v in (4, 6)}

    def test(value: Any) -> bool:
        address = _address(value) if type(value) is str and len(value) <= _MAX_ADDRESS else None
        if address is None:
            return False
        for network in by_version[address.version]:
            if address in network:
                return True
        return False

    return test


@lru_cache(maxsize=8192)  # addresses repeat heavily in a stream; parsing is the cost
def _address(text: str) -> IPv4Address | IPv6Address | None:
    try:
        address = ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address
