"""Correlator state: a key → JSON value store, the port both run modes implement.

Values are plain JSON data (dicts with string keys, lists, str, int, float, bool, None) that
survive ``orjson.loads(orjson.dumps(value))`` unchanged. Callers never mutate a value they got:
they build a new one and ``put`` it back, because in Kafka mode a faust Table changelog records
only assignments. ``MemoryState`` keeps the encoded bytes, so the embedded mode enforces the same
contract (a value orjson cannot encode fails at ``put``, as it would on the changelog).

Keys come from ``state_key``: a compact JSON array ``[kind, tenant, rule id, group]``, so the
tenant is always recoverable (``key_tenant``) and no two (tenant, rule, group) ever collide.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

import orjson

Value = dict[str, Any]


class StateStore(Protocol):
    def get(self, key: str) -> Value | None: ...
    def put(self, key: str, value: Value) -> None: ...
    def delete(self, key: str) -> None: ...
    def keys(self) -> Iterable[str]: ...


class MemoryState:
    """Dict-backed store for the embedded mode and tests; values are held as orjson bytes."""

    def __init__(self) -> None:
        self._data: dict[str, bytes] = {}

    def get(self, key: str) -> Value | None:
        raw = self._data.get(key)
        return None if raw is None else orjson.loads(raw)

    def put(self, key: str, value: Value) -> None:
        self._data[key] = orjson.dumps(value)

    def delete(self, key: str) -> None:
        self._data.pop(key, None)

    def keys(self) -> list[str]:
        return list(self._data)


def canonical(group: Mapping[str, str]) -> str:
    """The one spelling of a group of values (sorted keys, no spaces), for keys and alert ids."""
    return orjson.dumps(group, option=orjson.OPT_SORT_KEYS).decode()


def state_key(kind: str, tenant: str, rule_id: str, group: Mapping[str, str]) -> str:
    return orjson.dumps([kind, tenant, rule_id, group], option=orjson.OPT_SORT_KEYS).decode()


def key_tenant(key: str) -> str:
    return str(orjson.loads(key)[1])
