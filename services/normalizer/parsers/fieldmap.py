"""Vendor field → ECS tables, applied the way Elastic's ``rename``/``convert`` processors do.

A table is an ordered ``{vendor key: (ECS dotted path, converter)}``, turned once into a ``plan``
(paths split). ``move`` walks the plan in order:
a key present in the record whose converter returns a value (not None, not ``""``) sets its ECS
path unless an earlier key already set that path (so order gives priority, like Elastic's
``if: ctx.x == null``), and leaves the vendor namespace. A value that does not convert stays
where it was, so nothing is lost.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from services.normalizer.parsers.base import Doc

Table = Mapping[str, tuple[str, Callable[[str], Any]]]
Entry = tuple[str, tuple[str, ...], str, Callable[[str], Any]]  # key, parents, leaf, converter


@dataclass(frozen=True, slots=True)
class Plan:
    entries: tuple[Entry, ...]
    rank: dict[str, int]  # key -> its position in ``entries``


def plan(table: Table) -> Plan:
    """The table with its paths split once, for ``move``."""
    entries = tuple(
        (key, tuple(path.split(".")[:-1]), path.rpartition(".")[2], convert)
        for key, (path, convert) in table.items()
    )
    return Plan(entries, {entry[0]: n for n, entry in enumerate(entries)})


def move(doc: Doc, fields: dict[str, str], table: Plan, *, keep: Collection[str] = ()) -> None:
    """Move mapped ``fields`` into ``doc`` (keys in ``keep`` are copied, not moved)."""
    rank, entries = table.rank, table.entries
    nodes: dict[tuple[str, ...], Doc] = {(): doc}
    # Only the keys present, in table order: a record carries a fraction of a table's keys.
    for position in sorted([rank[key] for key in fields if key in rank]):
        key, parents, leaf, convert = entries[position]
        value = convert(fields[key])
        if value is None or value == "":
            continue
        node = nodes.get(parents)
        if node is None:
            node = nodes[parents] = _node(doc, parents)
        if leaf not in node:
            node[leaf] = value
            if key not in keep:
                del fields[key]


def _node(doc: Doc, parents: tuple[str, ...]) -> Doc:
    node = doc
    for part in parents:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    return node


def put_absent(doc: Doc, path: str, value: Any) -> bool:
    """Set ``path`` to ``value`` unless it is already set; True when set."""
    *parents, leaf = path.split(".")
    node = _node(doc, tuple(parents))
    if leaf in node:
        return False
    node[leaf] = value
    return True
