"""Sigma string tests over event values, in linear time.

``text_test(patterns, cased=...)`` returns one test for several ORed Sigma strings (each a tuple
of literal pieces and ``Wild.ANY``/``Wild.ONE`` wildcards). Plain equality, prefix, suffix and
substring patterns go through a set and ``str.startswith``/``endswith`` on tuples; any other
pattern is matched segment by segment (the pieces between ``*``), each segment found at its
leftmost place, which is exact for fixed-length segments and never backtracks. Event values
that are not strings are compared in their JSON text form (``4624``, ``true``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from .sigma_terms import Wild

Pattern = tuple[str | Wild, ...]
StringCheck = Callable[[str], bool]


def as_text(value: Any) -> str | None:
    """The text a Sigma string is compared with, or None for objects and lists."""
    kind = type(value)
    if kind is str:
        return value
    if kind is bool:
        return "true" if value else "false"
    if kind is int or kind is float:
        return str(value)
    return None


def as_number(value: Any) -> int | float | None:
    """The number in an int, float or numeric string (bools are not numbers here)."""
    kind = type(value)
    if kind is int or kind is float:
        return value
    if kind is not str:
        return None
    try:
        return int(value)
    except ValueError:
        pass
    try:
        return float(value)
    except ValueError:
        return None


def text_test(patterns: Sequence[Pattern], *, cased: bool) -> Callable[[Any], bool]:
    """One test answering whether a value matches any of the patterns."""
    fold: Callable[[str], str] = (lambda s: s) if cased else str.lower
    checks = _checks([tuple(fold(t) if isinstance(t, str) else t for t in p) for p in patterns])
    check = checks[0] if len(checks) == 1 else _first_of(checks)

    if cased:

        def test(value: Any) -> bool:
            text = value if type(value) is str else as_text(value)
            return text is not None and check(text)
    else:

        def test(value: Any) -> bool:
            text = value if type(value) is str else as_text(value)
            return text is not None and check(text.lower())

    return test


def _checks(patterns: list[Pattern]) -> list[StringCheck]:
    equal: set[str] = set()
    prefixes, suffixes, infixes = [], [], []
    checks: list[StringCheck] = []
    for pattern in patterns:
        kind, literal = _shape(pattern)
        if kind == "eq":
            equal.add(literal)
        elif kind == "prefix":
            prefixes.append(literal)
        elif kind == "suffix":
            suffixes.append(literal)
        elif kind == "contains":
            infixes.append(literal)
        else:
            checks.append(_glob(pattern))
    if equal:
        checks.append(frozenset(equal).__contains__)
    if prefixes:
        starts = tuple(prefixes)
        checks.append(lambda s: s.startswith(starts))
    if suffixes:
        ends = tuple(suffixes)
        checks.append(lambda s: s.endswith(ends))
    if len(infixes) == 1:
        infix = infixes[0]
        checks.append(lambda s: infix in s)
    elif infixes:
        checks.append(_contains_any(tuple(infixes)))
    return checks


# Plain loops: on CPython they beat any() over a generator by about two to one.
def _first_of(checks: list[StringCheck]) -> StringCheck:
    def check(s: str) -> bool:
        for c in checks:
            if c(s):
                return True
        return False

    return check


def _contains_any(infixes: tuple[str, ...]) -> StringCheck:
    def check(s: str) -> bool:
        for infix in infixes:
            if infix in s:
                return True
        return False

    return check


def _shape(pattern: Pattern) -> tuple[str, str]:
    """("eq" | "prefix" | "suffix" | "contains", literal), or ("glob", "") for anything else."""
    if all(isinstance(t, str) for t in pattern):
        return "eq", "".join(pattern)  # type: ignore[arg-type]
    literal = [t for t in pattern if isinstance(t, str)]
    shapes = {
        (Wild.ANY,): "prefix",
        (str, Wild.ANY): "prefix",
        (Wild.ANY, str): "suffix",
        (Wild.ANY, str, Wild.ANY): "contains",
    }
    key = tuple(str if isinstance(t, str) else t for t in pattern)
    return shapes.get(key, "glob"), "".join(literal)


class _Segment:
    """Pieces between two ``*``: fixed length, literal text or literal text with ``?``."""

    def __init__(self, tokens: Sequence[str | Wild]) -> None:
        self.length = sum(len(t) if isinstance(t, str) else 1 for t in tokens)
        if all(isinstance(t, str) for t in tokens):
            literal = "".join(tokens)  # type: ignore[arg-type]
            self.at: Callable[[str, int], bool] = lambda s, i: s.startswith(literal, i)
            self.find: Callable[[str, int, int], int] = lambda s, i, j: s.find(literal, i, j)
            return
        rx = re.compile(
            "".join(re.escape(t) if isinstance(t, str) else "." for t in tokens), re.DOTALL
        )
        self.at = lambda s, i: rx.match(s, i) is not None

        def find(s: str, i: int, j: int) -> int:
            m = rx.search(s, i, j)
            return -1 if m is None else m.start()

        self.find = find


def _glob(pattern: Pattern) -> StringCheck:
    segments: list[list[str | Wild]] = [[]]
    for token in pattern:
        if token is Wild.ANY:
            segments.append([])
        else:
            segments[-1].append(token)
    if len(segments) == 1:  # no '*': the whole value has the segment's fixed length
        whole = _Segment(segments[0])
        return lambda s: len(s) == whole.length and whole.at(s, 0)
    first, *middle, last = (_Segment(s) for s in segments)

    def check(s: str) -> bool:
        if not first.at(s, 0):
            return False
        start, end = first.length, len(s) - last.length
        if end < start or not last.at(s, end):
            return False
        for segment in middle:
            found = segment.find(s, start, end)
            if found < 0:
                return False
            start = found + segment.length
        return True

    return check
