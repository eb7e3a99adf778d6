"""Candidate rules for an event, so that a rule is evaluated only on events it may match.

``RuleIndex(rules).candidates(doc)`` returns, in load order, the positions in ``rules`` of every
rule whose ``matches(doc)`` can be true: a superset of the matching rules, never missing one.

A rule offers *anchors*: sets of keys one of which an event must hold for the rule to match,
read from its routing conditions (``DetectionRule.route``) and its detection terms
(``DetectionRule.detection``), both ANDed into ``matches``. A key is ``(field, kind, literal)``:
"text" (the field's text, folded as the matcher folds it, equals the literal: a route value or a
Sigma string without wildcards), "number" (the field holds the number or a numeric string of
it), "prefix"/"suffix" (the folded text starts/ends with the literal start/end of a Sigma
string, cut to one of ``TIERS``), "infix" (holds the longest literal part of any other Sigma
string, found for all of them in one pass by an Aho-Corasick automaton). A keyword gives its key
on both keyword fields. An AND offers each child's anchors; an OR one anchor joining one of every
child's. NOT, regular expressions, CIDRs, comparisons, field references, exists, booleans, cased
strings and literal parts under three characters offer none.

Two levels: rules are grouped by their cheapest route anchor (the logsource, e.g.
``winlog.channel: Security``), and within a group filed under their cheapest other anchor (e.g.
``event.code: 4625``), so an event reads the detection fields of its own logsources only. A rule
without an anchor at a level is a candidate at that level for every event. An anchor's cost
estimates the events it lets through: per key, the rules sharing it over the distinct keys of its
field (a field of many values tells events apart), weighted up for short partial literals.

Field values are read the matcher's way (``field_access.getter``; a list matches by any item;
``as_text`` and ``str.lower``; ``as_number``), so a key the matcher accepts is always found.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from math import isfinite
from typing import Any

import ahocorasick  # type: ignore[import-not-found]  # pyahocorasick ships no stubs

from .field_access import KEYWORD_FIELDS, getter
from .model import DetectionRule
from .sigma_terms import AllOf, AnyOf, Match, Number, Term, Text, Wild
from .text_match import as_number, as_text

Key = tuple[str, str, Any]  # field, kind, literal
Anchor = frozenset[Key]
Cost = Callable[[Anchor], float]
TIERS = (3, 4, 5, 6, 7, 8, 10, 12, 16)  # prefix/suffix lengths; a shorter literal gives no key
_PARTIAL = ("prefix", "suffix", "infix")
_DIGIT = re.compile(r"\d")  # what int() and float() need in a finite number, in any script
_PARTIAL_WEIGHT = {3: 16.0, 4: 8.0, 5: 4.0, 6: 2.0, 7: 1.5}  # ".exe" ends half of all images


def route_anchors(rule: DetectionRule) -> list[Anchor]:
    return [
        frozenset((name, "text", v.lower()) for v in values)
        for name, values in rule.route
        if values
    ]


def detection_anchors(rule: DetectionRule, cost: Cost = len) -> list[Anchor]:
    return [] if rule.detection is None else _anchors(rule.detection, cost)


def _anchors(term: Term, cost: Cost) -> list[Anchor]:
    if isinstance(term, Match):
        keys = _match_keys(term)
        return [] if keys is None else [keys]
    if isinstance(term, AllOf):
        return [anchor for child in term.terms for anchor in _anchors(child, cost)]
    if isinstance(term, AnyOf):
        joined: set[Key] = set()
        for child in term.terms:
            anchors = _anchors(child, cost)
            if not anchors:
                return []
            cheapest: Anchor = min(anchors, key=cost)
            joined |= cheapest
        return [frozenset(joined)]
    return []  # Not: what an event must hold is unknown


def _keys(term: Term) -> Iterable[Key]:
    """Every key the term mentions, whether or not an anchor uses it."""
    if isinstance(term, Match):
        yield from _match_keys(term) or ()
    elif isinstance(term, (AllOf, AnyOf)):
        for child in term.terms:
            yield from _keys(child)


def _match_keys(match: Match) -> Anchor | None:
    """The keys one of which an event holds when ``match`` is true, or None when unknown."""
    value = match.value
    if isinstance(value, Number):
        if match.field is None or not isfinite(value.value):
            return None
        return frozenset({(match.field, "number", value.value)})
    if not isinstance(value, Text) or value.cased:
        return None
    key = _text_key(value.tokens)
    if key is None:
        return None
    fields = KEYWORD_FIELDS if match.field is None else (match.field,)
    return frozenset((name, *key) for name in fields)


def _text_key(tokens: tuple[str | Wild, ...]) -> tuple[str, str] | None:
    """(kind, literal) of a Sigma string's best literal part, folded as the matcher folds it."""
    literals = [t.lower() for t in tokens if isinstance(t, str)]
    if not literals:
        return None
    if len(literals) == len(tokens):
        return "text", "".join(literals)
    first, last = tokens[0], tokens[-1]
    if isinstance(first, str) and (tier := _tier(literals[0])):
        return "prefix", literals[0][:tier]
    if isinstance(last, str) and (tier := _tier(literals[-1])):
        return "suffix", literals[-1][-tier:]
    longest = max(literals, key=len)
    return ("infix", longest) if len(longest) >= TIERS[0] else None


def _tier(folded: str) -> int:
    return max((t for t in TIERS if t <= len(folded)), default=0)


def _costing(rules: Sequence[DetectionRule]) -> Cost:
    """Estimated share of events an anchor lets through, from the keys of the whole rule set."""
    shared: Counter[Key] = Counter()
    for rule in rules:
        mentioned = set().union(*route_anchors(rule))
        if rule.detection is not None:
            mentioned.update(_keys(rule.detection))
        shared.update(mentioned)
    distinct = Counter(name for name, _, _ in shared)

    def key_cost(key: Key) -> float:
        name, kind, literal = key
        weight = _PARTIAL_WEIGHT.get(len(literal), 1.0) if kind in _PARTIAL else 1.0
        if kind == "infix":  # text holds a piece anywhere more often than at one end
            weight *= 2
        return shared[key] * weight / distinct[name]

    return lambda anchor: sum(key_cost(k) for k in anchor)


class _Field:
    """The keys of one field, each leading to the targets filed under it (rules or groups)."""

    def __init__(self, name: str) -> None:
        self.read = getter(name)
        head, _, tail = name.partition(".")
        # "a.b" in a document without dotted top-level keys is doc["a"]["b"]: read it inline
        self.head, self.tail = (head, tail) if tail and "." not in tail else ("", "")
        self.text: dict[str, list[int]] = {}
        self.number: dict[float, list[int]] = {}
        self.prefix: dict[int, dict[str, list[int]]] = {}
        self.suffix: dict[int, dict[str, list[int]]] = {}
        self.infix: dict[str, list[int]] = {}
        self.scan: Callable[[str, set[int]], None] = self._scan_text
        self.plain = True  # text keys only

    def add(self, kind: str, literal: Any, target: int) -> None:
        if kind in ("prefix", "suffix"):
            by_tier = self.prefix if kind == "prefix" else self.suffix
            by_tier.setdefault(len(literal), {}).setdefault(literal, []).append(target)
        else:
            keys: dict[Any, list[int]] = getattr(self, kind)
            keys.setdefault(literal, []).append(target)

    def seal(self) -> None:
        """Fix the lookups once every key is added (most fields only need the text one)."""
        if self.prefix or self.suffix or self.infix:
            self.scan = _affix_scan(self.text, self.prefix, self.suffix, self.infix)
        self.plain = not (self.number or self.prefix or self.suffix or self.infix)

    def collect(self, value: Any, found: set[int]) -> None:
        """Add the targets of the keys that ``value`` (the field's value, not None) holds."""
        for item in value if type(value) is list else (value,):
            kind = type(item)
            # a text without a digit is no finite number: spare as_number its exceptions
            if self.number and (
                kind is int or kind is float or kind is str and _DIGIT.search(item)
            ):
                number = as_number(item) if kind is str else item
                if number in self.number:
                    found.update(self.number[number])
            text = item if kind is str else as_text(item)
            if text is not None:
                self.scan(text.lower(), found)

    def _scan_text(self, text: str, found: set[int]) -> None:
        hit = self.text.get(text)
        if hit:
            found.update(hit)


def _affix_scan(
    text: dict[str, list[int]],
    prefix: dict[int, dict[str, list[int]]],
    suffix: dict[int, dict[str, list[int]]],
    infix: dict[str, list[int]],
) -> Callable[[str, set[int]], None]:
    starts, ends = tuple(prefix.items()), tuple(suffix.items())
    automaton = None
    if infix:  # every substring key found in one pass over the text
        automaton = ahocorasick.Automaton()
        for literal, targets in infix.items():
            automaton.add_word(literal, tuple(targets))
        automaton.make_automaton()

    def scan(folded: str, found: set[int]) -> None:
        if hit := text.get(folded):
            found.update(hit)
        for tier, keys in starts:
            if hit := keys.get(folded[:tier]):  # a shorter text is no key of this tier
                found.update(hit)
        for tier, keys in ends:
            if hit := keys.get(folded[-tier:]):
                found.update(hit)
        if automaton is not None:
            for _, targets in automaton.iter(folded):
                found.update(targets)

    return scan


def _file(fields: dict[str, _Field], anchor: Anchor, target: int) -> None:
    for name, kind, literal in anchor:
        fields.setdefault(name, _Field(name)).add(kind, literal, target)


def _probe(
    doc: Mapping[str, Any], fields: Iterable[_Field], found: set[int], *, dotted: bool
) -> None:
    """Collect the targets of every field's keys in ``doc`` (``dotted``: it has dotted top-level
    keys). The usual case, a string under a two-part name, is read inline: this loop runs a dozen
    times per event."""
    for index in fields:
        if dotted or not index.head:
            value = index.read(doc)
        else:
            node = doc.get(index.head)
            value = node.get(index.tail) if type(node) is dict else None
        if value is None:
            continue
        if index.plain and type(value) is str:
            hit = index.text.get(value.lower())
            if hit:
                found.update(hit)
        else:
            index.collect(value, found)


def _choose(rule: DetectionRule, cost: Cost) -> tuple[Anchor | None, Anchor | None]:
    """The rule's cheapest route anchor (its group) and its cheapest other anchor."""
    routes = route_anchors(rule)
    route = min(routes, key=cost) if routes else None
    others = [a for a in routes if a != route] + detection_anchors(rule, cost)
    return route, min(others, key=cost, default=None)


class RuleIndex:
    def __init__(self, rules: Sequence[DetectionRule]) -> None:
        cost = _costing(rules)
        groups: dict[Anchor | None, int] = {}
        self._group_of: list[int] = []
        details: dict[str, _Field] = {}
        uses: dict[int, set[str]] = {}  # group -> the detail fields its rules are filed under
        always: dict[int, list[int]] = {}  # group -> its rules without a detail anchor
        for position, rule in enumerate(rules):
            route, detail = _choose(rule, cost)
            group = groups.setdefault(route, len(groups))
            self._group_of.append(group)
            if detail is None:
                always.setdefault(group, []).append(position)
            else:
                _file(details, detail, position)
                uses.setdefault(group, set()).update(name for name, _, _ in detail)
        routes: dict[str, _Field] = {}
        for anchor, group in groups.items():
            if anchor is not None:
                _file(routes, anchor, group)
        for index in (*routes.values(), *details.values()):
            index.seal()
        self._routes = tuple(routes.values())
        self._everywhere = groups.get(None)
        self._fields = [tuple(details[n] for n in sorted(uses.get(g, ()))) for g in groups.values()]
        self._always = [tuple(always.get(g, ())) for g in groups.values()]

    def candidates(self, doc: Mapping[str, Any]) -> list[int]:
        """Ascending positions of the rules that may match ``doc``."""
        dotted = any("." in key for key in doc)
        groups: set[int] = set()
        _probe(doc, self._routes, groups, dotted=dotted)
        if self._everywhere is not None:
            groups.add(self._everywhere)
        found: set[int] = set()
        fields: set[_Field] = set()
        for group in groups:
            found.update(self._always[group])
            fields.update(self._fields[group])
        hits: set[int] = set()
        _probe(doc, fields, hits, dotted=dotted)
        group_of = self._group_of
        found.update(p for p in hits if group_of[p] in groups)
        return sorted(found)

    def unanchored(self) -> int:
        """How many rules are evaluated on every event (no anchor at either level)."""
        return 0 if self._everywhere is None else len(self._always[self._everywhere])
