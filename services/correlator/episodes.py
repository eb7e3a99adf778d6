"""Alert episodes: the firings of one rule for one (tenant, group) gathered into one alert.

Pure functions over the JSON values of the StateStore; times are µs since the epoch. An episode
lasts while the rule fires again within ``span`` of its previous firing; its value is
{"id", "version", "first", "last", "fired", "until", "count", "ids", ...}: the alert id, its
version, the event times of the earliest and latest counted hit, the latest firing, when the
value may be swept, how many hits were counted and the first ``max_ids`` of their event ids.

Correlations (``opened``/``continued``) add "seq": the window arrival number of the latest
counted hit, so a later firing of the same window counts only the hits that came after it.

Single-event rules (``single_hit``) keep no window, only the episode, so a hit costs the same
whether the rule fired twice or ten thousand times. Their episode also holds "tail": the ids of
the latest hits beyond ``ids``, at most ``max_ids`` of them, as one string in which a line break
starts and ends every id (cheap to load and to search; an id holding a line break is left out).
A hit
- whose id is in ``ids`` or ``tail``, at or before ``last``, is a "duplicate" (a redelivered
  event: it counts nothing). Recognised are the first and the latest ``max_ids`` hits of the
  episode, so a redelivery of up to ``max_ids`` hits of one rule and tenant; a hit of an earlier
  episode can be told only by its time, as "late" (so exactly when ``span`` >= lateness);
- more than ``lateness`` before the latest firing is "late" and ignored, as a window would;
- else is "accepted": it continues the episode, or opens a new one after a gap over ``span``.
The value is kept ``span + lateness`` after the latest firing, as long as a window would be.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from services.correlator.state import Value
from services.correlator.windows import Match, Status


def opened(alert_id: str, match: Match, span: int, max_ids: int) -> Value:
    events = match.events()
    return {
        "id": alert_id, "version": 1, "first": min(e.at for e in events),
        "last": max(e.at for e in events), "fired": match.at, "until": match.at + span,
        "seq": max(e.seq for e in events), "count": len(events),
        "ids": [e.event_id for e in events[:max_ids]],
    }  # fmt: skip


def continued(episode: Value, match: Match, span: int, max_ids: int) -> Value | None:
    """The episode extended by ``match``, or None when the gap since its last firing is too long."""
    if match.at - episode["fired"] > span:
        return None
    new = match.events(after_seq=episode["seq"])
    fired = max(episode["fired"], match.at)
    return {
        **episode,
        "version": episode["version"] + 1,
        "first": min([episode["first"], *(e.at for e in new)]),
        "last": max([episode["last"], *(e.at for e in new)]),
        "fired": fired, "until": fired + span,
        "seq": max([episode["seq"], *(e.seq for e in new)]),
        "count": episode["count"] + len(new),
        "ids": (episode["ids"] + [e.event_id for e in new])[:max_ids],
    }  # fmt: skip


def _in_tail(episode: Value, event_id: str) -> bool:
    return "\n" not in event_id and f"\n{event_id}\n" in episode.get("tail", "")


@dataclass(frozen=True, slots=True)
class Limits:
    span: int  # µs: the longest gap between two firings of one episode
    lateness: int  # µs: how far behind the latest firing a hit is still accepted
    max_ids: int


def single_hit(
    episode: Value | None, at: int, event_id: str, limits: Limits, new_id: Callable[[], str]
) -> tuple[Status, Value | None]:
    """What a hit of a single-event rule does, and the episode after it (None: unchanged)."""
    if episode is not None:
        if at <= episode["last"] and (event_id in episode["ids"] or _in_tail(episode, event_id)):
            return "duplicate", None
        if at < episode["fired"] - limits.lateness:
            return "late", None
        if at - episode["fired"] > limits.span:
            episode = None
    if episode is None:
        return "accepted", {
            "id": new_id(), "version": 1, "first": at, "last": at, "fired": at,
            "until": at + limits.span + limits.lateness, "count": 1, "ids": [event_id], "tail": "\n",
        }  # fmt: skip
    ids, tail = episode["ids"], episode.get("tail", "\n")  # older episodes have none
    if len(ids) < limits.max_ids:
        ids = [*ids, event_id]
    elif "\n" not in event_id and limits.max_ids:
        if episode["count"] - len(ids) >= limits.max_ids:  # the tail may be full: drop its oldest
            tail = tail[tail.index("\n", 1) :] if len(tail) > 1 else tail
        tail = f"{tail}{event_id}\n"
    fired = max(episode["fired"], at)
    return "accepted", {
        **episode, "version": episode["version"] + 1, "first": min(episode["first"], at),
        "last": max(episode["last"], at), "fired": fired,
        "until": fired + limits.span + limits.lateness, "count": episode["count"] + 1,
        "ids": ids, "tail": tail,
    }  # fmt: skip
