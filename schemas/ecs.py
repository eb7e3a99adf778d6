"""ECS event (topic ``ecs.events``): a nested ECS document with ``event.id`` and ``organization.id``.

ECS documents are nested dicts as Elastic writes them; ``get_field`` also accepts keys that were
stored with dots in their name, since some sources (and Sigma rules) use such flat names.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import RootModel, model_validator

_MISSING = object()


def get_field(doc: dict[str, Any], path: str, default: Any = None) -> Any:
    """Value at a dotted path in a nested document, or ``default`` when absent."""
    value = doc.get(path, _MISSING)
    if value is not _MISSING:
        return value
    node: Any = doc
    parts = path.split(".")
    i = 0
    while i < len(parts):
        if not isinstance(node, dict):
            return default
        # Try the longest dotted key first so {"a.b": {"c": 1}} answers "a.b.c".
        for j in range(len(parts), i, -1):
            key = ".".join(parts[i:j])
            if key in node:
                node = node[key]
                i = j
                break
        else:
            return default
    return node


def set_field(doc: dict[str, Any], path: str, value: Any) -> None:
    """Set a dotted path in a nested document, creating intermediate objects."""
    parts = path.split(".")
    node = doc
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[parts[-1]] = value


def flatten(doc: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Dotted-key view of a nested document (lists and scalars are leaves)."""
    out: dict[str, Any] = {}
    for key, value in doc.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.update(flatten(value, f"{name}."))
        else:
            out[name] = value
    return out


class EcsEvent(RootModel[dict[str, Any]]):
    """One normalised event; the document itself is the message value.

    ``event.id`` and ``organization.id`` are required: without them an event cannot be
    deduplicated nor kept inside its tenant.
    """

    @model_validator(mode="after")
    def _has_identity(self) -> EcsEvent:
        for parent, child in (("event", "id"), ("organization", "id")):
            node = self.root.get(parent)
            value = node.get(child) if isinstance(node, dict) else None
            if value is None:  # rare: a producer that wrote flat dotted keys
                value = get_field(self.root, f"{parent}.{child}")
            if not isinstance(value, str) or not value:
                raise ValueError(f"ECS event without {parent}.{child}")
        return self

    @property
    def doc(self) -> dict[str, Any]:
        return self.root

    @property
    def id(self) -> str:
        return str(get_field(self.root, "event.id"))

    @property
    def tenant(self) -> str:
        return str(get_field(self.root, "organization.id"))

    @property
    def timestamp(self) -> datetime:
        return datetime.fromisoformat(str(self.root["@timestamp"]).replace("Z", "+00:00"))

    def get(self, path: str, default: Any = None) -> Any:
        return get_field(self.root, path, default)
