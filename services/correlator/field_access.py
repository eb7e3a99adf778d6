"""Precompiled field readers over nested ECS documents.

``getter(path)`` reads like ``schemas.ecs.get_field`` (a literal dotted key first, then the
longest dotted key at each level of nesting) but with the key splits computed once, and returns
None both for an absent field and for a JSON null: Sigma treats a null as not existing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

Getter = Callable[[Mapping[str, Any]], Any]

# Where a Sigma keyword (a value with no field) is searched: the parsed message and, when the
# normalizer keeps it, the original log line.
KEYWORD_FIELDS = ("message", "event.original")


@cache  # rules share field names; one reader per path is enough
def getter(path: str) -> Getter:
    parts = path.split(".")
    if len(parts) == 1:
        return lambda doc: doc.get(path)
    if len(parts) == 2:  # the usual ECS depth, unrolled: the literal key, then one level down
        head, tail = parts

        def get2(doc: Mapping[str, Any]) -> Any:
            value = doc.get(path)
            if value is None:
                node = doc.get(head)
                value = node.get(tail) if type(node) is dict else None
            return value

        return get2
    if len(parts) == 3:  # winlog.event_data.X and friends, unrolled the same way
        return _getter3(*parts)
    n = len(parts)
    # keys[i]: candidate keys starting at part i, longest first, with the part index after each
    keys = tuple(tuple((".".join(parts[i:j]), j) for j in range(n, i, -1)) for i in range(n))

    def get(doc: Mapping[str, Any]) -> Any:
        node: Any = doc
        i = 0
        while i < n:
            if type(node) is not dict:
                return None
            for key, after in keys[i]:
                child = node.get(key)
                if child is not None:
                    node, i = child, after
                    break
            else:
                return None
        return node

    return get


def _getter3(a: str, b: str, c: str) -> Getter:
    whole, ab, bc = f"{a}.{b}.{c}", f"{a}.{b}", f"{b}.{c}"

    def get3(doc: Mapping[str, Any]) -> Any:
        value = doc.get(whole)
        if value is not None:
            return value
        node = doc.get(ab)
        if node is None:
            node = doc.get(a)
            if type(node) is not dict:
                return None
            value = node.get(bc)
            if value is not None:
                return value
            node = node.get(b)
        return node.get(c) if type(node) is dict else None

    return get3
