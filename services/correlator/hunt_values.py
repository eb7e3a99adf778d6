"""ClickHouse SQL that reads a stored ECS document (``events.doc``) the way the stream matcher does.

``hunt_sql.py`` builds hunt queries from these fragments, through ``Fields`` (each field read
once per query) and ``Params`` (every value a query parameter). Each fragment reproduces one step
of ``field_access.getter``, ``text_match.as_text``/``as_number`` or the matcher's address test:

- a field is found like ``getter``: at each level the longest literal dotted key that holds a
  non-null value is taken, with no backtracking (``{"a.b": {...}}`` shadows ``{"a": {"b": ...}}``);
  an ``arrayFold`` walks the document to find those keys. A field reads as ``(type, elements)``:
  the JSON type of the value ('Null' when absent or null) and its elements, one per list item or
  the value itself, each ``(type, raw JSON)``, JSON nulls left out. Types are read from the
  document by those keys, since ClickHouse re-serialises raw values (``1.0`` becomes ``1``).
- the text of an element is Python's: strings as they are, ints and booleans as written, floats
  as ``repr`` writes them (``1.0``, ``1e+16``); lists and objects have none.
- numeric strings parse like Python's ``int()`` then ``float()``: Unicode whitespace stripped,
  Unicode decimal digits, ``_`` between digits, ``inf``/``nan``; integers of up to 70 digits are
  exact (Int256), longer ones are compared as Float64.
- addresses parse like ``ipaddress.ip_address`` (strict IPv4 octets, IPv6 with an optional scope,
  IPv4-mapped IPv6 read as IPv4).

Constants (``hunt_patterns``) travel as query parameters like user values, so no SQL text here
needs quoting. Fragments name their lambda variables apart (``e`` element, ``x`` text, ``n``
number, ...), so they nest without shadowing one another.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .field_access import KEYWORD_FIELDS
from .hunt_patterns import CONSTANTS

MAX_PARTS = 32  # the reader grows with the square of the parts; no ECS field comes close
ABSENT = "('Null', CAST([], 'Array(Tuple(String, String))'))"
_NO_NUMBER = "(0, toInt256(0), 0.)"
_IPV4_LOW, _IPV4_HIGH = "toIPv6('::ffff:0.0.0.0')", "toIPv6('::ffff:255.255.255.255')"


class HuntError(ValueError):
    """The rule cannot be translated exactly; the message says why."""


class Params:
    """Query parameters: every value is bound as ``{name:Type}``, never written into the SQL.

    Each parameter appears once, in ``definitions`` (``{p0:String} AS _p0``); the SQL uses the
    alias. ClickHouse spends milliseconds on each parameter occurrence while analysing a query,
    and a field path's keys occur dozens of times.
    """

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.definitions: list[str] = []
        self._named: dict[tuple[str, str], str] = {}

    def bind(self, value: Any, kind: str) -> str:
        key = (kind, repr(value))
        if key not in self._named:
            self._named[key] = self._define(f"p{len(self._named)}", value, kind)
        return self._named[key]

    def constant(self, name: str) -> str:
        """A pattern or table of ``hunt_patterns``, bound once under its own name."""
        key = ("constant", name)
        if key not in self._named:
            self._named[key] = self._define(name, CONSTANTS[name](), "String")
        return self._named[key]

    def _define(self, name: str, value: Any, kind: str) -> str:
        self.values[name] = value
        self.definitions.append(f"{{{name}:{kind}}} AS _{name}")
        return f"_{name}"


class Fields:
    """Each field read once per query, as ``WITH`` definitions: ``_fN`` its ``(type,
    elements)``, ``_tN`` their texts, ``_lN`` those in lower case, ``_nN`` their numbers.
    Field ``None`` is the keyword search (``message`` and ``event.original``)."""

    def __init__(self, params: Params) -> None:
        self.params = params
        self.definitions: list[str] = []
        self._aliases: dict[tuple[str, str | None], str] = {}

    def value(self, field: str | None) -> str:
        if ("f", field) not in self._aliases:
            if field is None:
                message, original = (self.value(f) for f in KEYWORD_FIELDS)
                reader = keyword_value(message, original)
            else:
                parts = field.split(".")
                if len(parts) > MAX_PARTS:
                    raise HuntError(
                        f"field '{field}' has {len(parts)} parts; hunts follow at most {MAX_PARTS}"
                    )
                reader = field_value(parts, self.params)
            index = sum(kind == "f" for kind, _ in self._aliases)
            self._add("f", field, f"_f{index}", reader)
        return self._aliases["f", field]

    def texts(self, field: str | None, *, folded: bool) -> str:
        source = self.value(field)
        plain = self._derive("t", field, lambda: texts(f"{source}.2", self.params))
        if not folded:
            return plain
        return self._derive("l", field, lambda: f"arrayMap(x -> lowerUTF8(x), {plain})")

    def numbers(self, field: str) -> str:
        source = self.value(field)
        return self._derive("n", field, lambda: numbers(f"{source}.2", self.params))

    def _derive(self, kind: str, field: str | None, build: Callable[[], str]) -> str:
        if (kind, field) not in self._aliases:
            self._add(kind, field, self._aliases["f", field].replace("_f", f"_{kind}"), build())
        return self._aliases[kind, field]

    def _add(self, kind: str, field: str | None, alias: str, expression: str) -> None:
        self._aliases[kind, field] = alias
        self.definitions.append(f"{expression} AS {alias}")


def field_value(parts: list[str], params: Params) -> str:
    """``(type, elements)`` of the field whose dotted path is split into ``parts``."""
    if len(parts) == 1:
        return _value((params.bind(parts[0], "String"),))
    return f"arrayMap(k -> {_by_length(len(parts))}, [{_keys(parts, params)}])[1]"


def _keys(parts: list[str], params: Params) -> str:
    """The keys the getter walks through (``[]`` when it finds nothing), found by a fold.

    The state is (JSON of the current node, index of the next part, keys so far); index 255
    marks a dead end. Each step takes the longest key of the remaining parts that holds a
    non-null value in the node, as ``field_access.getter`` does.
    """
    n = len(parts)
    table = params.bind(
        [[".".join(parts[i:j]) for j in range(n, i, -1)] for i in range(n)], "Array(Array(String))"
    )
    candidates = f"{table}[s.2 + 1]"
    found = f"arrayFirstIndex(c -> JSONType(s.1, c) != 'Null', {candidates})"
    taken = (
        f"(JSONExtractRaw(s.1, {candidates}[p]), toUInt8({n + 1} - p), "
        f"arrayPushBack(s.3, {candidates}[p]))"
    )
    chosen = f"arrayMap(p -> if(p = 0, (s.1, toUInt8(255), s.3), {taken}), [{found}])[1]"
    step = f"if(s.2 >= {n}, s, {chosen})"
    walk = f"arrayFold((s, _) -> {step}, range({n}), (doc, toUInt8(0), CAST([], 'Array(String)')))"
    return f"arrayMap(w -> if(w.2 = {n}, w.3, CAST([], 'Array(String)')), [{walk}])[1]"


def _by_length(n: int) -> str:
    """The value at keys ``k`` (1 to n of them); JSON functions take the keys as arguments."""
    branches = [
        f"length(k) = {m}, {_value(tuple(f'k[{i}]' for i in range(1, m + 1)))}"
        for m in range(1, n + 1)
    ]
    return f"multiIf({', '.join(branches)}, {ABSENT})"


def _value(path: tuple[str, ...]) -> str:
    at = ", ".join(path)
    kind = f"toString(JSONType(doc, {at}))"
    items = (
        f"arrayMap(i -> (toString(JSONType(doc, {at}, i)), JSONExtractRaw(doc, {at}, i)), "
        f"range(1, JSONLength(doc, {at}) + 1))"
    )
    whole = f"[({kind}, JSONExtractRaw(doc, {at}))]"
    return f"({kind}, arrayFilter(e -> e.1 != 'Null', if({kind} = 'Array', {items}, {whole})))"


def keyword_value(message: str, original: str) -> str:
    """The keyword search's elements: ``message`` and ``event.original``, a list as one item."""
    items = [f"if({v}.1 = 'Array', [('Array', '')], {v}.2)" for v in (message, original)]
    joined = f"arrayConcat({', '.join(items)})"
    return f"(if(length({joined}) > 0, 'Keywords', 'Null'), {joined})"


def texts(elements: str, params: Params) -> str:
    """``Array(String)``: the Python text of every element that has one."""
    text = (
        f"multiIf(e.1 = 'String', JSONExtractString(e.2), e.1 IN ('Int64', 'UInt64', 'Bool'), e.2,"
        f" e.1 = 'Double', {_float_text('e.2', params)}, NULL)"
    )
    found = f"arrayFilter(x -> isNotNull(x), arrayMap(e -> {text}, {elements}))"
    return f"arrayMap(x -> assumeNotNull(x), {found})"


def _float_text(raw: str, params: Params) -> str:
    """Python's ``repr`` of a float from ClickHouse's shortest round-trip digits."""
    # g: sign, integer digits, fraction digits, exponent; d: significant digits; k: decimal point
    # position relative to d (Python's decpt), so the value is 0.d * 10**k.
    formatted = (
        "if(d = '', concat(g[1], '0.0'), concat(g[1], multiIf("
        "k <= -4 OR k > 16, concat(substring(d, 1, 1), if(length(d) > 1, "
        "concat('.', substring(d, 2)), ''), 'e', if(k < 1, '-', '+'), "
        "if(abs(k - 1) < 10, '0', ''), toString(abs(k - 1))), "
        "k <= 0, concat('0.', repeat('0', toUInt32(greatest(-k, 0))), d), "
        "k < length(d), concat(substring(d, 1, k), '.', substring(d, k + 1)), "
        "concat(d, repeat('0', toUInt32(greatest(k - length(d), 0))), '.0'))))"
    )
    digits = "concat(g[2], g[3])"
    leading = f"toInt32(length({digits})) - toInt32(length(trim(LEADING '0' FROM {digits})))"
    point = f"toInt32(length(g[2])) + toInt32OrZero(g[4]) - ({leading})"
    inner = f"arrayMap((d, k) -> {formatted}, [trim(BOTH '0' FROM {digits})], [{point}])[1]"
    return f"arrayMap(g -> {inner}, [extractGroups({raw}, {params.constant('c_float_text')})])[1]"


def numbers(elements: str, params: Params) -> str:
    """``Array(Tuple(kind, Int256, Float64))``: each element's number, as ``as_number`` reads it.

    Kind 1 is an exact integer (JSON integers, integer strings of up to 70 characters), kind 2 a
    float (JSON floats, float strings, longer integer strings); elements without one are left out.
    """
    parsed = (
        f"multiIf(match(t, {params.constant('c_int')}) AND length(t) <= 70, "
        f"(1, toInt256OrZero(replaceAll(t, '_', '')), 0.), "
        f"match(t, {params.constant('c_int')}) OR match(t, {params.constant('c_float')}), "
        f"(2, toInt256(0), toFloat64OrZero(lower(replaceAll(t, '_', '')))), {_NO_NUMBER})"
    )
    digits = (
        f"translateUTF8(JSONExtractString(e.2), {params.constant('c_nd_from')}, "
        f"{params.constant('c_nd_to')})"
    )
    number = (
        f"multiIf(e.1 IN ('Int64', 'UInt64'), (1, toInt256OrZero(e.2), 0.), "
        f"e.1 = 'Double', (2, toInt256(0), toFloat64OrZero(e.2)), "
        f"e.1 = 'String', arrayMap(t -> {parsed}, [{strip(digits, params)}])[1], {_NO_NUMBER})"
    )
    return f"arrayFilter(n -> n.1 > 0, arrayMap(e -> {number}, {elements}))"


def strip(text: str, params: Params) -> str:
    """``str.strip()``: Unicode whitespace removed from both ends."""
    return f"replaceRegexpAll({text}, {params.constant('c_space')}, '')"


def address_in(text: str, lows: tuple[str, str], highs: tuple[str, str], params: Params) -> str:
    """Whether the string is an address in one of the ranges (``lows``/``highs``: v4, v6 arrays).

    IPv4 ranges are given as IPv4-mapped IPv6 bounds; an address only meets ranges of its own
    version, as ``ip_address(x) in network`` does.
    """
    address = (
        f"multiIf(match(a, {params.constant('c_ipv4')}), toIPv6OrNull(a), "
        f"match(a, {params.constant('c_ipv6')}), toIPv6OrNull(splitByChar('%', a)[1]), NULL)"
    )
    inside = "arrayExists((lo, hi) -> ip BETWEEN toIPv6(lo) AND toIPv6(hi), {}, {})"
    version = f"ip BETWEEN {_IPV4_LOW} AND {_IPV4_HIGH}"
    check = (
        f"coalesce(if({version}, {inside.format(lows[0], highs[0])}, "
        f"{inside.format(lows[1], highs[1])}), 0)"
    )
    parsed = f"arrayMap(a -> {address}, [{strip(text, params)}])"
    return f"(lengthUTF8({text}) <= 64 AND arrayMap(ip -> {check}, {parsed})[1])"
