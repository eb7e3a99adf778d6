"""Window semantics: sliding edges, distinct values, ordering, aliases, lateness, redelivery."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson
import pytest

from services.correlator.model import CorrelationRule
from services.correlator.state import MemoryState, state_key
from services.correlator.windows import (
    Hit,
    Observation,
    Windows,
    advance,
    from_micros,
    group_of,
    micros,
)
from tests.unit.correlator.factories import correlation, correlation_from_yaml, doc, when

IP = "203.0.113.50"


def hit(event_id: str, at: str, rules: tuple[str, ...] = ("a",), **fields: Any) -> Hit:
    fields.setdefault("source.ip", IP)
    return Hit("t1", rules, doc(fields), micros(when(at)), event_id)


def observe_all(
    rule: CorrelationRule, hits: list[Hit], *, lateness: float = 0, max_events: int = 100
) -> list[Observation]:
    windows = Windows(
        MemoryState(), allowed_lateness=timedelta(seconds=lateness), max_events=max_events
    )
    return [windows.observe(rule, h) for h in hits]


def fired(observations: list[Observation]) -> list[int]:
    return [i for i, o in enumerate(observations) if o.match is not None]


COUNT3 = correlation("c", "event_count", ("a",), bounds={"gte": 3})


@pytest.mark.parametrize(
    ("times", "expected"),
    [
        (["10:00:00", "10:00:30", "10:01:00"], [2]),  # exactly timespan apart: same window
        (["10:00:00", "10:00:30", "10:01:00.500"], []),  # 60.5 s: not one 60 s window
        (["10:00:00", "10:00:50", "10:01:10", "10:01:40"], [3]),  # slides, not cut per minute
        (["10:00:00", "10:00:01", "10:00:02", "10:00:03"], [2, 3]),  # fires while it holds
        (["10:00:00", "10:00:00", "10:00:00"], [2]),  # equal times are distinct events
        (["10:00:00", "10:02:00", "10:04:00"], []),  # sparse: never three in a minute
    ],
)
def test_event_count_window_edges(times: list[str], expected: list[int]) -> None:
    hits = [hit(f"e{i}", t) for i, t in enumerate(times)]
    assert fired(observe_all(COUNT3, hits)) == expected


def test_event_count_match_holds_the_window_events() -> None:
    hits = [hit(f"e{i}", t) for i, t in enumerate(["10:00:00", "10:00:50", "10:01:10", "10:01:40"])]
    match = observe_all(COUNT3, hits)[3].match
    assert match is not None
    assert [s.event_id for s in match.events()] == ["e1", "e2", "e3"]
    assert (from_micros(match.at), match.value) == (when("10:01:40"), 3.0)


VALUE_COUNT_FINDINGS = {
    "slide_trap": [],
    "exact_edge": [("2026-12-01T10:01:00Z", "203.0.113.51", 3.0)],
    "just_over": [],
    "same_user": [],
    "across_minute": [("2026-12-01T10:01:30Z", "203.0.113.54", 3.0)],
}


def test_value_count_window_edge_case(cases: dict[str, dict[str, Any]]) -> None:
    case = cases["correlation-value-count-window-edge"]
    rule = correlation_from_yaml(case["input"]["rule"])
    for stream, events in case["input"]["streams"].items():
        hits = [
            Hit("t1", ("failed_logon",), doc({k: v for k, v in e.items() if k != "t"}),
                micros(when(e["t"])), f"{stream}-{i}")
            for i, e in enumerate(events)
        ]  # fmt: skip
        found = [
            (
                from_micros(o.match.at).isoformat().replace("+00:00", "Z"),
                o.group["source.ip"],
                o.match.value,
            )
            for o in observe_all(rule, hits)
            if o.match and o.group
        ]
        assert found == VALUE_COUNT_FINDINGS[stream], stream


TEMPORAL_ORDERED_FINDINGS = {
    "A_C_B": [],
    "A_B_C": [("2026-12-01T10:02:00Z", "user1")],
    "A_B_C_other_users": [],
}


def _case_hits(case: dict[str, Any], stream: str) -> list[Hit]:
    by_event_id = {int(v.split()[-1]): name for name, v in case["input"]["rule_ids"].items()}
    return [
        Hit("t1", (by_event_id[e["EventID"]],), doc(e), micros(when(e["t"])), f"{stream}-{i}")
        for i, e in enumerate(case["input"]["streams"][stream])
    ]


@pytest.mark.parametrize("stream", sorted(TEMPORAL_ORDERED_FINDINGS))
def test_temporal_ordered_case(cases: dict[str, dict[str, Any]], stream: str) -> None:
    case = cases["correlation-temporal-ordered"]
    rule = correlation_from_yaml(case["input"]["rule"])
    found = [
        (from_micros(o.match.at).isoformat().replace("+00:00", "Z"), o.group["TargetUserName"])
        for o in observe_all(rule, _case_hits(case, stream))
        if o.match and o.group
    ]
    assert found == TEMPORAL_ORDERED_FINDINGS[stream]


def test_temporal_unordered_accepts_any_order(cases: dict[str, dict[str, Any]]) -> None:
    case = cases["correlation-temporal-ordered"]
    rule = correlation_from_yaml(case["input"]["rule"].replace("temporal_ordered", "temporal"))
    assert fired(observe_all(rule, _case_hits(case, "A_C_B"))) == [2]


ABC = ("a", "b", "c")


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        ([("a", "10:00:00"), ("b", "10:00:10"), ("c", "10:00:20")], [2]),
        ([("b", "10:00:00"), ("a", "10:00:10"), ("c", "10:00:20")], []),  # b before a
        ([("a", "10:00:00"), ("b", "10:00:10"), ("a", "10:00:15"), ("c", "10:00:20")], [3]),
        ([("b", "10:00:05"), ("a", "10:00:05"), ("c", "10:00:06")], [2]),  # same second: a, b tie
        ([("a", "10:00:00"), ("c", "10:00:05"), ("b", "10:00:10"), ("c", "10:00:20")], [3]),
        ([("a", "09:58:59"), ("b", "10:00:00"), ("c", "10:00:00")], []),  # chain spans 61 s
    ],
)
def test_temporal_ordered_steps(steps: list[tuple[str, str]], expected: list[int]) -> None:
    rule = correlation("o", "temporal_ordered", ABC, group_by=())
    hits = [hit(f"e{i}", t, (name,)) for i, (name, t) in enumerate(steps)]
    assert fired(observe_all(rule, hits)) == expected


def test_one_event_serves_one_step_of_an_ordered_chain() -> None:
    rule = correlation("o", "temporal_ordered", ABC, group_by=())
    both = [hit("e0", "10:00:00", ("a", "b")), hit("e1", "10:00:01", ("c",))]
    assert fired(observe_all(rule, both)) == []
    then_b = [*both, hit("e2", "10:00:02", ("b",)), hit("e3", "10:00:03", ("c",))]
    assert fired(observe_all(rule, then_b)) == [3]


def test_temporal_condition_bounds_count_distinct_rules() -> None:
    two_of_three = correlation("t", "temporal", ABC, group_by=(), bounds={"gte": 2})
    hits = [
        hit("e0", "10:00:00", ("a",)),
        hit("e1", "10:00:01", ("a",)),
        hit("e2", "10:00:02", ("c",)),
    ]
    assert fired(observe_all(two_of_three, hits)) == [2]


ALIASED = correlation(
    "al", "temporal", ("err", "conn"), group_by=("internal_ip",),
    aliases={"internal_ip": {"err": "destination.ip", "conn": "source.ip"}},
)  # fmt: skip


@pytest.mark.parametrize(
    ("refs", "fields", "group"),
    [
        (
            ("err",),
            {"source.ip": "203.0.113.9", "destination.ip": "192.0.2.10"},
            {"internal_ip": "192.0.2.10"},
        ),
        (
            ("conn",),
            {"source.ip": "192.0.2.10", "destination.ip": "203.0.113.9"},
            {"internal_ip": "192.0.2.10"},
        ),
        (("conn",), {"destination.ip": "203.0.113.9"}, None),  # its aliased field is absent
        (
            ("other",),
            {"internal_ip": "192.0.2.7"},
            {"internal_ip": "192.0.2.7"},
        ),  # no alias: own name
    ],
)
def test_aliases_pick_the_field_of_the_matched_rule(
    refs: tuple[str, ...], fields: dict[str, Any], group: dict[str, str] | None
) -> None:
    assert group_of(ALIASED, refs, doc(fields)) == group


@pytest.mark.parametrize(
    ("fields", "group"),
    [
        ({"source.ip": IP, "source.port": 22}, {"source.ip": IP, "source.port": "22"}),
        ({"source.ip": [IP], "source.port": 22}, {"source.ip": f'["{IP}"]', "source.port": "22"}),
        ({"source.ip": IP, "source.port": None}, None),  # null counts as missing
        ({"source.ip": IP}, None),
    ],
)
def test_group_values_are_text_and_missing_values_join_no_group(
    fields: dict[str, Any], group: dict[str, str] | None
) -> None:
    rule = correlation(
        "g", "event_count", ("a",), group_by=("source.ip", "source.port"), bounds={"gte": 1}
    )
    assert group_of(rule, ("a",), doc(fields)) == group


def test_event_without_group_field_is_ungrouped_and_stores_nothing() -> None:
    state = MemoryState()
    windows = Windows(state, allowed_lateness=timedelta(0), max_events=10)
    seen = windows.observe(COUNT3, Hit("t1", ("a",), doc({"user.name": "user1"}), 0, "e1"))
    assert (seen.status, seen.group, seen.match, state.keys()) == ("ungrouped", None, None, [])


@pytest.mark.parametrize(
    ("late_at", "status"),
    [
        ("10:04:00", "accepted"),  # exactly allowed_lateness behind the newest: kept
        ("10:03:59.999999", "late"),
        ("10:06:00", "accepted"),  # ahead of the newest
    ],
)
def test_lateness_is_measured_from_the_newest_time_of_the_window(late_at: str, status: str) -> None:
    seen = observe_all(COUNT3, [hit("e1", "10:05:00"), hit("e2", late_at)], lateness=60)
    assert seen[1].status == status


def test_accepted_late_hit_completes_the_window_it_belongs_to() -> None:
    hits = [hit("e0", "10:00:00"), hit("e2", "10:00:50"), hit("e1", "10:00:20")]
    match = observe_all(COUNT3, hits, lateness=60)[2].match
    assert match is not None
    assert from_micros(match.at) == when("10:00:50")
    assert [s.event_id for s in match.events()] == ["e0", "e1", "e2"]  # ordered by event time


def test_late_hit_is_ignored_and_flagged() -> None:
    seen = observe_all(COUNT3, [hit("e0", "10:10:00"), hit("e1", "10:00:00")], lateness=60)
    assert [o.status for o in seen] == ["accepted", "late"]


def test_redelivered_event_counts_once() -> None:
    hits = [
        hit("e1", "10:00:00"),
        hit("e2", "10:00:01"),
        hit("e2", "10:00:01"),
        hit("e3", "10:00:02"),
    ]
    seen = observe_all(COUNT3, hits)
    assert [o.status for o in seen] == ["accepted", "accepted", "duplicate", "accepted"]
    assert fired(seen) == [3]
    assert seen[3].match is not None and seen[3].match.value == 3.0


def test_old_hits_are_pruned_and_state_is_plain_json() -> None:
    state = MemoryState()
    windows = Windows(state, allowed_lateness=timedelta(seconds=60), max_events=10)
    for event_id, at in (("e1", "10:00:00"), ("e2", "10:00:30"), ("e3", "10:10:00")):
        windows.observe(COUNT3, hit(event_id, at))
    stored = state.get(state_key("w", "t1", COUNT3.meta.id, {"source.ip": IP}))
    assert stored is not None
    assert [e[2] for e in stored["entries"]] == ["e3"]
    assert stored["until"] == micros(when("10:12:00"))
    assert orjson.loads(orjson.dumps(stored)) == stored


def test_advance_never_mutates_the_window_it_was_given() -> None:
    first, _ = advance(None, COUNT3, hit("e1", "10:00:00"), lateness=0, max_events=10)
    assert first is not None
    snapshot = orjson.dumps(first)
    advance(first, COUNT3, hit("e2", "10:00:01"), lateness=0, max_events=10)
    assert orjson.dumps(first) == snapshot


def test_window_keeps_at_most_max_events_newest_first() -> None:
    hits = [hit(f"e{i}", f"10:00:0{i}") for i in range(5)]
    seen = observe_all(COUNT3, hits, max_events=3)
    assert [o.overflow for o in seen] == [False, False, False, True, True]
    assert seen[4].match is not None
    assert [s.event_id for s in seen[4].match.events()] == ["e2", "e3", "e4"]


@pytest.mark.parametrize(
    ("kind", "values", "bounds", "expected"),
    [
        ("value_sum", [400, 500, 200], {"gt": 1000}, [2]),
        ("value_sum", [400, "500", "n/a"], {"gt": 800}, [1, 2]),  # numeric text adds, other not
        ("value_avg", [100, 900, 50], {"gte": 500}, [1]),
        ("value_avg", [None, True, 10], {"gte": 1}, [2]),  # absent and booleans are not numbers
        ("value_count", ["u1", "u2", None, "u1"], {"gte": 2}, [1, 2, 3]),
    ],
)
def test_value_measures(
    kind: str, values: list[Any], bounds: dict[str, float], expected: list[int]
) -> None:
    rule = correlation("v", kind, ("a",), bounds=bounds, field="bytes")  # type: ignore[arg-type]
    hits = [hit(f"e{i}", f"10:00:0{i}", bytes=v) for i, v in enumerate(values)]
    assert fired(observe_all(rule, hits)) == expected


def test_window_entries_hold_the_referenced_rules_as_a_bit_mask() -> None:
    state = MemoryState()
    windows = Windows(state, allowed_lateness=timedelta(0), max_events=10)
    rule = correlation("t", "temporal", ABC, group_by=())
    windows.observe(rule, hit("e0", "10:00:00", ("a", "c")))
    windows.observe(rule, hit("e1", "10:00:01", ("b",)))
    stored = state.get(state_key("w", "t1", rule.meta.id, {}))
    assert stored is not None
    assert [(e[2], e[3]) for e in stored["entries"]] == [("e0", 0b101), ("e1", 0b010)]


def test_temporal_counts_a_rule_named_twice_once() -> None:
    twice = correlation("t", "temporal", ("a", "b", "a"), group_by=(), bounds={"gte": 3})
    hits = [hit("e0", "10:00:00", ("a",)), hit("e1", "10:00:01", ("b",))]
    assert fired(observe_all(twice, hits)) == []
    ordered = correlation("o", "temporal_ordered", ("a", "b", "a"), group_by=())
    steps = [hit("e0", "10:00:00", ("a",)), hit("e1", "10:00:01", ("b",)),
             hit("e2", "10:00:02", ("a",))]  # fmt: skip
    assert fired(observe_all(ordered, steps)) == [2]
