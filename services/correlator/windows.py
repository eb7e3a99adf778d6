"""Event-time sliding windows for Sigma correlation rules (spec v2.1), on explicit JSON state.

``Windows.observe(rule, hit)`` feeds one hit (an event that matched some of the rules a
correlation references) to the window of (tenant, correlation id, group-by values) and says
whether the correlation's condition holds.

Semantics
- Sliding, never cut at clock boundaries: at an event of time t the window is every stored hit
  with t - timespan <= time <= t. Both edges are inclusive and sub-second parts count, so hits
  exactly ``timespan`` apart share a window and hits 60.5 s apart do not share a 60 s one.
- Measures: event_count (hits), value_count (distinct values of ``condition.field``; a hit
  without the field counts zero), temporal (distinct referenced rules seen), temporal_ordered
  (length of the longest prefix of ``rules`` seen in order, each step at or after the previous
  step's event, one event per step), value_sum and value_avg (numeric values of the field).
  Temporal types whose condition has no bounds need every rule. value_percentile is not
  supported: ``SUPPORTED`` lists what is.
- Group-by names go through ``aliases`` (alias → referenced rule → field); a hit lacking a
  group-by value belongs to no group and is ignored ("ungrouped"): the spec asks for equal
  values, and an absent value equals nothing.
- At-least-once: a hit whose event id is already in the window is a "duplicate" and changes
  nothing. A hit more than ``allowed_lateness`` older than the newest hit of its window is
  "late" and ignored. An accepted late hit is checked against every window it falls into.
- Bounded: a window keeps at most ``max_events`` hits (the oldest go first, flagged
  ``overflow``), so counts above that bound saturate.

State per window: {"newest": µs, "seq": n, "until": µs, "entries": [[µs, seq, event id, rules,
value], ...]} sorted by (time, arrival), where rules is a bit mask over the positions of
``rule.rules`` the hit satisfied (bit i: ``rule.rules[i]``); rebuilt on every change, never
mutated. Times are integer microseconds since the Unix epoch (UTC), exact under JSON.
"""

from __future__ import annotations

import json
from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from math import isfinite
from typing import Any, Literal, NamedTuple

from schemas.ecs import get_field
from services.correlator.model import CorrelationRule
from services.correlator.state import StateStore, Value, state_key

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)
TEMPORAL = frozenset({"temporal", "temporal_ordered"})

Status = Literal["accepted", "duplicate", "late", "ungrouped"]
Entry = list[Any]  # [time µs, seq, event id, rule refs as a bit mask, value]


def micros(value: datetime | timedelta) -> int:
    """Microseconds since the epoch (naive datetimes are UTC), or in a duration."""
    if isinstance(value, timedelta):
        return value // _MICRO
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return (aware - EPOCH) // _MICRO


def from_micros(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


@dataclass(frozen=True, slots=True)
class Hit:
    tenant: str
    rules: tuple[str, ...]  # the references of the correlation this event satisfied, as written
    doc: dict[str, Any]
    at: int  # event time, µs since the epoch
    event_id: str


class Seen(NamedTuple):
    at: int
    seq: int  # arrival number within the window, so a later firing can tell new hits apart
    event_id: str


@dataclass(frozen=True, slots=True)
class Match:
    at: int  # end of the window where the condition held
    window: Sequence[Entry]  # the window's hits, oldest first
    value: float  # what was compared with the condition

    def events(self, after_seq: int = 0) -> list[Seen]:
        """The window's hits that arrived after hit number ``after_seq``, oldest first."""
        return [Seen(e[0], e[1], e[2]) for e in self.window if e[1] > after_seq]


@dataclass(frozen=True, slots=True)
class Observation:
    status: Status
    group: dict[str, str] | None = None
    match: Match | None = None
    overflow: bool = False


def field_for(rule: CorrelationRule, name: str, refs: Sequence[str]) -> str:
    """The event field behind a group-by name: its alias for the first matched rule, or itself."""
    mapping = rule.aliases.get(name)
    if mapping:
        for ref in refs:
            if ref in mapping:
                return mapping[ref]
    return name


def as_text(raw: Any) -> str:
    if isinstance(raw, str):
        return raw
    return json.dumps(raw, sort_keys=True, separators=(",", ":"), default=str)


def group_of(
    rule: CorrelationRule, refs: Sequence[str], doc: dict[str, Any]
) -> dict[str, str] | None:
    """Group-by values as strings, or None when one is missing (the hit joins no group)."""
    group: dict[str, str] = {}
    for name in rule.group_by:
        raw = get_field(doc, field_for(rule, name, refs))
        if raw is None or raw == []:
            return None
        group[name] = as_text(raw)
    return group


def value_of(rule: CorrelationRule, hit: Hit) -> str | float | None:
    """What a value_* correlation needs from the hit: text for value_count, a number otherwise."""
    if not rule.type.startswith("value_") or not rule.condition.field:
        return None
    raw = get_field(hit.doc, field_for(rule, rule.condition.field, hit.rules))
    if raw is None:
        return None
    if rule.type == "value_count":
        return as_text(raw)
    if isinstance(raw, bool):
        return None
    try:
        number = float(raw)
    except (TypeError, ValueError):
        return None
    return number if isfinite(number) else None


def _time(entry: Entry) -> int:
    return int(entry[0])


def refs_mask(rule: CorrelationRule, refs: Sequence[str]) -> int:
    """The bit mask of the positions of ``rule.rules`` that ``refs`` names."""
    return sum(1 << i for i, ref in enumerate(rule.rules) if ref in refs)


def _distinct_refs(rule: CorrelationRule, window: Sequence[Entry]) -> int:
    seen = 0
    for entry in window:
        seen |= entry[3]
    # a rule named twice sets two bits; count it at its first position only
    first = sum(1 << rule.rules.index(ref) for ref in set(rule.rules))
    return (seen & first).bit_count()


def _ordered_prefix(window: Sequence[Entry], steps: int) -> int:
    step, i = 0, 0
    while i < len(window) and step < steps:
        j = bisect_right(window, window[i][0], key=_time)
        tied = list(window[i:j])  # hits sharing one time may serve their steps in any order
        while step < steps:
            found = next((e for e in tied if e[3] >> step & 1), None)
            if found is None:
                break
            tied.remove(found)
            step += 1
        i = j
    return step


def _numbers(window: Sequence[Entry]) -> list[float]:
    return [e[4] for e in window if e[4] is not None]


def _sum(window: Sequence[Entry]) -> float | None:
    numbers = _numbers(window)
    return sum(numbers) if numbers else None


def _average(window: Sequence[Entry]) -> float | None:
    numbers = _numbers(window)
    return sum(numbers) / len(numbers) if numbers else None


MEASURES: dict[str, Callable[[CorrelationRule, Sequence[Entry]], float | None]] = {
    "event_count": lambda rule, w: len(w),
    "value_count": lambda rule, w: len({e[4] for e in w if e[4] is not None}),
    "value_sum": lambda rule, w: _sum(w),
    "value_avg": lambda rule, w: _average(w),
    "temporal": _distinct_refs,
    "temporal_ordered": lambda rule, w: _ordered_prefix(w, len(rule.rules)),
}
SUPPORTED = frozenset(MEASURES)


def holds(rule: CorrelationRule, measure: float) -> bool:
    if rule.type in TEMPORAL and not rule.condition.bounds:
        return measure >= len(rule.rules)
    return rule.condition.holds(measure)


def first_match(rule: CorrelationRule, entries: Sequence[Entry], at: int) -> Match | None:
    """The earliest window that holds among those a hit at ``at`` belongs to."""
    span = micros(rule.timespan)
    later = entries[bisect_left(entries, at, key=_time) :]
    for end in sorted({e[0] for e in later if e[0] <= at + span}):
        start = bisect_left(entries, end - span, key=_time)
        window = entries[start : bisect_right(entries, end, key=_time)]
        measure = MEASURES[rule.type](rule, window)
        if measure is not None and holds(rule, measure):
            return Match(end, window, float(measure))
    return None


def advance(
    window: Value | None, rule: CorrelationRule, hit: Hit, *, lateness: int, max_events: int
) -> tuple[Value | None, Observation]:
    """The window after ``hit`` (None: unchanged) and what the hit did. Pure."""
    entries: list[Entry] = window["entries"] if window else []
    if hit.event_id in {e[2] for e in entries}:
        return None, Observation("duplicate")
    if window and hit.at < window["newest"] - lateness:
        return None, Observation("late")
    span = micros(rule.timespan)
    newest = max(window["newest"], hit.at) if window else hit.at
    seq = (window["seq"] if window else 0) + 1
    kept = [e for e in entries if e[0] >= newest - span - lateness]
    entry = [hit.at, seq, hit.event_id, refs_mask(rule, hit.rules), value_of(rule, hit)]
    insort(kept, entry, key=lambda e: (e[0], e[1]))
    overflow = len(kept) > max_events
    kept = kept[-max_events:]
    state = {"newest": newest, "seq": seq, "until": newest + span + lateness, "entries": kept}
    return state, Observation("accepted", match=first_match(rule, kept, hit.at), overflow=overflow)


class Windows:
    """``advance`` over a StateStore: one key per (tenant, correlation id, group)."""

    def __init__(self, state: StateStore, *, allowed_lateness: timedelta, max_events: int) -> None:
        self._state = state
        self._lateness = micros(allowed_lateness)
        self._max_events = max_events

    def observe(self, rule: CorrelationRule, hit: Hit) -> Observation:
        group = group_of(rule, hit.rules, hit.doc)
        if group is None:
            return Observation("ungrouped")
        key = state_key("w", hit.tenant, rule.meta.id, group)
        window, seen = advance(
            self._state.get(key), rule, hit, lateness=self._lateness, max_events=self._max_events
        )
        if window is not None:
            self._state.put(key, window)
        return Observation(seen.status, group, seen.match, seen.overflow)
