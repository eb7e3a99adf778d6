"""Retro-hunting: a loaded Sigma detection → one ClickHouse query over the stored ``events``.

``to_sql(rule, window)`` reads the plain terms the stream matcher compiles from
(``DetectionRule.detection``, ``sigma_terms``) and the logsource routing (``DetectionRule.route``)
and returns a ``HuntQuery``: SQL text plus parameters. Over the same stored events the query
selects exactly the documents for which ``rule.matches(doc)`` is true, because every test reads
``events.doc`` (the full ECS JSON) with the matcher's own semantics (``hunt_values.py``):
dotted paths or literal dotted keys, a list matching when any item does, JSON nulls as absent,
case-insensitive strings unless ``|cased``, ``*``/``?`` wildcards, ``re`` through RE2 (as the
matcher's default engine) with ``.`` kept off newlines unless ``s``, numbers against numbers and
numeric strings, ``cidr``, ``exists``, ``fieldref``, keywords over ``message`` and
``event.original``. Two known limits: case folding follows ClickHouse's ``lowerUTF8``, which
differs from Python's ``str.lower`` only on characters added to Unicode after version 14, and
``re`` runs on ClickHouse's build of RE2 rather than the Python binding's (same syntax; its
Unicode classes may be of another Unicode version).

Every value from the rule, field names included, is a query parameter (``{p0:String} AS _p0``
at the head of the query), never SQL text. The query is ``WITH <parameters>, <field readers>
SELECT doc FROM events FINAL WHERE tenant IN {tenants} AND <time range> AND (<rule>) ORDER BY
timestamp, id LIMIT {limit}``; ``since_ms`` is inclusive and ``until_ms`` exclusive. What cannot
be translated exactly (a field deeper than ``hunt_values.MAX_PARTS`` parts, a number beyond 256
bits, a rule without terms, a query too long for ClickHouse to parse) raises ``HuntError`` with
the reason; no approximate SQL is ever returned.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Address
from typing import Any

from .hunt_values import Fields, HuntError, Params, address_in
from .model import DetectionRule
from .sigma_terms import (
    AllOf,
    Boolean,
    Cidr,
    Compare,
    Exists,
    FieldRef,
    Match,
    Not,
    Number,
    Regex,
    Term,
    Text,
    Value,
    Wild,
)

__all__ = ["MAX_SQL_CHARS", "HuntError", "HuntQuery", "HuntWindow", "to_sql"]

MAX_SQL_CHARS = 200_000  # ClickHouse parses at most 256 KiB of query text by default
_INT256 = 2**255
_COMPARE = {"lt": "<", "lte": "<=", "gt": ">", "gte": ">=", "neq": "!="}
_FIELDREF = {
    "eq": "v = r",
    "prefix": "startsWith(v, r)",
    "suffix": "endsWith(v, r)",
    "contains": "position(v, r) > 0",
}
_FUNCTIONS = {
    "prefix": "startsWith(x, p)",
    "suffix": "endsWith(x, p)",
    "contains": "position(x, p) > 0",
}
_MAPPED = int(IPv6Address("::ffff:0.0.0.0"))
_FLAGS = {re.IGNORECASE: "i", re.MULTILINE: "m", re.DOTALL: "s"}  # as pySigma maps them


@dataclass(frozen=True, slots=True)
class HuntWindow:
    """Where to hunt: tenants, ``since_ms`` (inclusive) to ``until_ms`` (exclusive), max rows."""

    tenants: tuple[str, ...]
    since_ms: int
    until_ms: int | None = None
    limit: int = 100


@dataclass(frozen=True, slots=True)
class HuntQuery:
    sql: str
    parameters: dict[str, Any]


def to_sql(rule: DetectionRule, window: HuntWindow) -> HuntQuery:
    if rule.detection is None:
        raise HuntError("the rule carries no detection terms to translate")
    if not window.tenants:
        raise HuntError("no tenant to hunt in")
    sql = _Sql()
    condition = sql.rule(rule.route, rule.detection)
    where = [
        "tenant IN {tenants:Array(String)}",
        "timestamp >= fromUnixTimestamp64Milli({since_ms:Int64}, 'UTC')",
    ]
    parameters: dict[str, Any] = {
        "tenants": sorted(window.tenants), "since_ms": window.since_ms, "limit": window.limit,
    }  # fmt: skip
    if window.until_ms is not None:
        where.append("timestamp < fromUnixTimestamp64Milli({until_ms:Int64}, 'UTC')")
        parameters["until_ms"] = window.until_ms
    where.append(f"({condition})")
    definitions = sql.params.definitions + sql.fields.definitions
    head = "WITH\n    " + ",\n    ".join(definitions) + "\n" if definitions else ""
    text = (
        f"{head}SELECT doc FROM events FINAL\nWHERE " + "\n  AND ".join(where)
        + "\nORDER BY timestamp, id\nLIMIT {limit:UInt32}"
    )  # fmt: skip
    if len(text) > MAX_SQL_CHARS:
        raise HuntError(f"the query would be {len(text)} characters long; hunt with fewer fields")
    return HuntQuery(text, {**sql.params.values, **parameters})


class _Sql:
    """Builds the condition of a rule: its route and detection terms."""

    def __init__(self) -> None:
        self.params = Params()
        self.fields = Fields(self.params)

    def rule(self, route: Sequence[tuple[str, tuple[str, ...]]], detection: Term) -> str:
        checks = [self._route(field, values) for field, values in route]
        return " AND ".join(f"({c})" for c in [*checks, self.term(detection)])

    def term(self, term: Term) -> str:
        if isinstance(term, Match):
            return self._match(term.field, term.value)
        if isinstance(term, Not):
            return f"NOT ({self.term(term.term)})"
        if isinstance(term, AllOf):
            return " AND ".join(f"({self.term(t)})" for t in term.terms) or "1"
        return self._any(term.terms)

    def _any(self, terms: tuple[Term, ...]) -> str:
        """ORed terms; strings, numbers and networks ORed on one field become one test."""
        groups: dict[tuple[str | None, type, bool], list[Value]] = {}
        parts = []
        for term in terms:
            if isinstance(term, Match) and isinstance(term.value, (Text, Number, Cidr)):
                cased = isinstance(term.value, Text) and term.value.cased
                groups.setdefault((term.field, type(term.value), cased), []).append(term.value)
            else:
                parts.append(self.term(term))
        parts += [self._group(field, values) for (field, _, _), values in groups.items()]
        return " OR ".join(f"({p})" for p in parts) or "0"

    def _group(self, field: str | None, values: list[Value]) -> str:
        first = values[0]
        if isinstance(first, Text):
            return self._text(field, values, first.cased)  # type: ignore[arg-type]
        if field is None:
            raise HuntError(f"a keyword cannot test {type(first).__name__}")  # Sigma has none
        if isinstance(first, Number):
            return self._number(field, values)  # type: ignore[arg-type]
        return self._cidr(field, values)  # type: ignore[arg-type]

    def _match(self, field: str | None, value: Value) -> str:
        if isinstance(value, (Text, Number, Cidr)):
            return self._group(field, [value])
        if isinstance(value, Exists):
            return f"{self.fields.value(field)}.1 {'!=' if value.present else '='} 'Null'"
        if field is None:
            raise HuntError(f"a keyword cannot test {type(value).__name__}")  # Sigma has none
        tests: dict[type, Callable[[str, Any], str]] = {
            Compare: self._compare, Boolean: self._boolean, Regex: self._regex,
            FieldRef: self._fieldref,
        }  # fmt: skip
        if type(value) not in tests:
            raise HuntError(f"unsupported value {value!r}")
        return tests[type(value)](field, value)

    def _route(self, field: str, values: tuple[str, ...]) -> str:
        if not values:
            return f"{self.fields.value(field)}.1 != 'Null'"
        accepted = self.params.bind(sorted({v.lower() for v in values}), "Array(String)")
        return f"hasAny({self.fields.texts(field, folded=True)}, {accepted})"

    def _text(self, field: str | None, values: list[Text], cased: bool) -> str:
        shapes: dict[str, list[str]] = {}
        for value in values:
            tokens = value.tokens if cased else tuple(_fold(t) for t in value.tokens)
            kind, pattern = _shape(tokens)
            shapes.setdefault(kind, []).append(pattern)
        items = self.fields.texts(field, folded=not cased)
        tests = []
        for kind, patterns in shapes.items():
            if kind == "eq":
                tests.append(f"hasAny({items}, {self.params.bind(patterns, 'Array(String)')})")
            elif kind == "like":
                likes = " OR ".join(f"x LIKE {self.params.bind(p, 'String')}" for p in patterns)
                tests.append(f"arrayExists(x -> {likes}, {items})")
            else:
                needles = self.params.bind(patterns, "Array(String)")
                found = f"arrayExists(p -> {_FUNCTIONS[kind]}, {needles})"
                tests.append(f"arrayExists(x -> {found}, {items})")
        return " OR ".join(f"({t})" for t in tests)

    def _number(self, field: str, values: list[Number]) -> str:
        # The matcher also accepts a string spelled str(n); such a string always parses back to
        # n, since pySigma refuses nan and infinities, so the number test covers it.
        by_type: dict[str, list[int | float]] = {}
        for value in values:
            by_type.setdefault(_typed(value.value), []).append(value.value)
        accepted = [self.params.bind(v, f"Array({t})") for t, v in sorted(by_type.items())]
        exact, approximate = (
            " OR ".join(f"arrayExists(v -> v = n.{i}, {a})" for a in accepted) for i in (2, 3)
        )  # each branch keeps its own type: Int256 and Float64 compare exactly, never rounded
        return (
            f"arrayExists(n -> if(n.1 = 1, {exact}, {approximate}), {self.fields.numbers(field)})"
        )

    def _compare(self, field: str, value: Compare) -> str:
        bound = self.params.bind(value.value, _typed(value.value))
        op = _COMPARE[value.op]
        test = f"if(n.1 = 1, n.2 {op} {bound}, n.3 {op} {bound})"
        return f"arrayExists(n -> {test}, {self.fields.numbers(field)})"

    def _boolean(self, field: str, value: Boolean) -> str:
        word = "'true'" if value.value else "'false'"
        string = f"lowerUTF8(JSONExtractString(e.2)) = {word}"
        test = f"(e.1 = 'Bool' AND e.2 = {word}) OR (e.1 = 'String' AND {string})"
        return f"arrayExists(e -> {test}, {self.fields.value(field)}.2)"

    def _regex(self, field: str, value: Regex) -> str:
        flags = "".join(letter for bit, letter in _FLAGS.items() if value.flags & bit)
        # ClickHouse lets '.' match a newline by default; RE2 and the matcher do not.
        prefix = f"(?{flags}{'' if 's' in flags else '-s'})"
        pattern = self.params.bind(prefix + value.pattern, "String")
        return f"arrayExists(x -> match(x, {pattern}), {self.fields.texts(field, folded=False)})"

    def _cidr(self, field: str, values: list[Cidr]) -> str:
        bounds: dict[tuple[int, int], list[str]] = {(v, end): [] for v in (4, 6) for end in (0, 1)}
        for value in values:
            network = value.network
            offset = _MAPPED if isinstance(network, IPv4Network) else 0
            for end, address in enumerate((network.network_address, network.broadcast_address)):
                bounds[network.version, end].append(str(IPv6Address(offset + int(address))))
        bind = {k: self.params.bind(v, "Array(String)") for k, v in bounds.items()}
        lows, highs = (bind[4, 0], bind[6, 0]), (bind[4, 1], bind[6, 1])
        inside = address_in("JSONExtractString(e.2)", lows, highs, self.params)
        return f"arrayExists(e -> e.1 = 'String' AND {inside}, {self.fields.value(field)}.2)"

    def _fieldref(self, field: str, value: FieldRef) -> str:
        refs = self.fields.texts(value.field, folded=True)
        inner = f"arrayExists(r -> {_FIELDREF[value.kind]}, {refs})"
        return f"arrayExists(v -> {inner}, {self.fields.texts(field, folded=True)})"


def _fold(token: str | Wild) -> str | Wild:
    return token.lower() if isinstance(token, str) else token


def _shape(tokens: tuple[str | Wild, ...]) -> tuple[str, str]:
    """The test a Sigma string needs: eq, prefix, suffix, contains, or a LIKE pattern."""
    literal = "".join(t for t in tokens if isinstance(t, str))
    key = tuple(str if isinstance(t, str) else t for t in tokens)
    shapes = {
        (Wild.ANY,): "prefix",
        (str, Wild.ANY): "prefix",
        (Wild.ANY, str): "suffix",
        (Wild.ANY, str, Wild.ANY): "contains",
    }
    if all(k is str for k in key):
        return "eq", literal
    if key in shapes:
        return shapes[key], literal
    return "like", "".join(_like(t) for t in tokens)


def _like(token: str | Wild) -> str:
    if isinstance(token, Wild):
        return "%" if token is Wild.ANY else "_"
    return token.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _typed(number: float) -> str:
    if isinstance(number, float):
        return "Float64"
    if not -_INT256 <= number < _INT256:
        raise HuntError(f"the number {number} is beyond what a hunt compares (256-bit integers)")
    return "Int256"
