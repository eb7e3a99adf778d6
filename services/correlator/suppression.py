"""Alert suppression: the firings of one rule for one tenant and one set of ``by`` values within
a window gathered into one alert. Pure functions over StateStore values; times are µs.

A suppression record is an alert episode (``episodes.py`` keys: "id", "version", "first",
"last", "fired", "until", "count", "ids") plus "opened", the time of its first firing. A firing
at or after ``opened + window`` (or before ``opened``) opens a new record (new id, version 1);
any other firing updates the record: version + 1, the hits it adds counted and their ids kept up
to ``max_ids``, whatever episode of the rule itself (dedup window, correlation timespan) they
came from. ``first``/``last`` span the event times of the rule's episodes that fed the record.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from schemas.ecs import get_field
from services.correlator.state import Value
from services.correlator.windows import as_text


def by_values(fields: Sequence[str], doc: dict[str, Any]) -> dict[str, str]:
    """The suppression group of an event: its ``by`` fields as text, "" where absent."""
    values = {name: get_field(doc, name) for name in fields}
    return {name: "" if raw is None else as_text(raw) for name, raw in values.items()}


def added(previous: Value | None, episode: Value) -> tuple[int, list[str]]:
    """Hits (count, kept ids) that the latest firing added to the rule's own episode."""
    if previous is None or previous["id"] != episode["id"]:
        return episode["count"], list(episode["ids"])
    return episode["count"] - previous["count"], episode["ids"][len(previous["ids"]) :]


def suppressed(
    record: Value | None,
    previous: Value | None,
    episode: Value,
    *,
    window: int,
    lateness: int,
    max_ids: int,
    new_id: Callable[[], str],
) -> Value:
    """The suppression record after the rule's episode went from ``previous`` to ``episode``."""
    count, ids = added(previous, episode)
    at = episode["fired"]
    if record is None or not record["opened"] <= at < record["opened"] + window:
        return {
            "id": new_id(), "version": 1, "opened": at, "first": episode["first"],
            "last": episode["last"], "fired": at, "until": at + window + lateness,
            "count": count, "ids": ids[:max_ids],
        }  # fmt: skip
    return {
        **record, "version": record["version"] + 1,
        "first": min(record["first"], episode["first"]),
        "last": max(record["last"], episode["last"]), "fired": max(record["fired"], at),
        "count": record["count"] + count, "ids": (record["ids"] + ids)[:max_ids],
    }  # fmt: skip
