"""Single-event episodes: bounded state, redelivery within the remembered hits, lateness, gaps."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson
import pytest

from services.correlator.core import Correlator
from services.correlator.episodes import Limits, single_hit
from services.correlator.model import RuleSet
from services.correlator.state import MemoryState, state_key
from services.correlator.windows import micros
from tests.unit.correlator.factories import detection, event, when

S = 1_000_000  # µs per second
LIMITS = Limits(span=300 * S, lateness=60 * S, max_ids=3)


def episode(**fields: Any) -> dict[str, Any]:
    base = {"id": "a1", "version": 4, "first": 100 * S, "last": 200 * S, "fired": 200 * S,
            "until": 560 * S, "count": 4, "ids": ["e1", "e2", "e3"], "tail": "\ne4\n"}  # fmt: skip
    return base | fields


@pytest.mark.parametrize(
    ("at", "event_id", "status", "changes"),
    [
        (150, "e2", "duplicate", None),  # listed in ids
        (200, "e4", "duplicate", None),  # listed in the tail
        (250, "e4", "accepted", {"count": 5, "tail": "\ne4\ne4\n"}),  # after `last`: a new hit
        (140, "e9", "accepted", {"count": 5, "tail": "\ne4\ne9\n"}),  # within lateness
        (139, "e9", "late", None),  # more than 60 s behind the latest firing
        (500, "e9", "accepted", {"count": 5, "last": 500 * S, "fired": 500 * S}),  # 300 s gap
        (501, "e9", "accepted", {"id": "new", "version": 1, "count": 1}),  # longer: new episode
    ],
)
def test_single_hit_table(at: int, event_id: str, status: str, changes: dict[str, Any]) -> None:
    got_status, updated = single_hit(episode(), at * S, event_id, LIMITS, lambda: "new")
    assert got_status == status
    if changes is None:
        assert updated is None
    else:
        assert updated is not None and {k: updated[k] for k in changes} == changes


def test_single_hit_tail_keeps_the_latest_max_ids() -> None:
    value: dict[str, Any] | None = None
    for n in range(1, 11):
        _, value = single_hit(value, n * S, f"e{n}", LIMITS, lambda: "a1")
    assert value is not None
    assert (value["count"], value["ids"], value["tail"]) == (
        10,
        ["e1", "e2", "e3"],
        "\ne8\ne9\ne10\n",
    )


def test_single_hit_an_id_with_a_line_break_is_never_taken_for_two_others() -> None:
    full = episode(tail="\na\nb\n")
    assert single_hit(full, 150 * S, "a\nb", LIMITS, lambda: "x")[0] == "accepted"
    _, updated = single_hit(full, 150 * S, "a\nb", LIMITS, lambda: "x")
    assert updated is not None and updated["tail"] == "\na\nb\n"  # left out, not split


def noisy(max_ids: int = 3) -> tuple[Correlator, MemoryState]:
    state = MemoryState()
    return Correlator(
        RuleSet(detections=[detection("x")]), state=state, max_event_ids=max_ids
    ), state


def at(second: int) -> str:
    return (when("10:00:00") + timedelta(seconds=second)).isoformat()


def test_a_noisy_rule_keeps_one_small_state_value() -> None:
    correlator, state = noisy(max_ids=3)
    sizes = []
    for n in range(600):
        [alert] = correlator.feed(event("t", f"e{n:04}", at(n // 10), ("x",)))
        if n in (99, 599):
            sizes.append(len(orjson.dumps(state.get(state_key("e", "t", "id-x", {})))))
    assert state.keys() == [state_key("e", "t", "id-x", {})]  # no window: the episode only
    assert (alert.count, alert.version, alert.event_ids) == (600, 600, ["e0000", "e0001", "e0002"])
    assert sizes[0] == sizes[1]  # 100 hits or 600: the same size


def test_a_redelivered_recent_hit_replays_the_alert_unchanged() -> None:
    correlator, _ = noisy(max_ids=3)
    events = [event("t", f"e{n}", at(n), ("x",)) for n in range(10)]
    alerts = [a for e in events for a in correlator.feed(e)]
    for redelivered in (events[9], events[7], events[1]):  # the tail, the tail, the listed ids
        assert correlator.feed(redelivered) == [alerts[-1]]
    assert correlator.stats["hits_duplicate"] == 3 and correlator.stats["alerts_replayed"] == 3


def test_a_redelivered_hit_between_the_first_and_the_latest_counts_again() -> None:
    # The documented bound: the first and the latest max_event_ids hits are remembered.
    correlator, _ = noisy(max_ids=3)
    events = [event("t", f"e{n}", at(n), ("x",)) for n in range(10)]
    last = [a for e in events for a in correlator.feed(e)][-1]
    [again] = correlator.feed(events[4])
    assert (again.id, again.version, again.count) == (last.id, last.version + 1, 11)


def test_a_single_episode_outlives_its_gap_by_the_allowed_lateness() -> None:
    state = MemoryState()
    correlator = Correlator(
        RuleSet(detections=[detection("x")]), state=state, allowed_lateness=timedelta(seconds=60)
    )
    correlator.feed(event("t", "e1", "10:00:00", ("x",)))
    value = state.get(state_key("e", "t", "id-x", {}))
    assert value is not None and value["until"] == micros(when("10:06:00"))
