"""OffsetTracker: the one place that decides which offsets may be committed, and the lag."""

from __future__ import annotations

from typing import Any

import pytest

from services.runtime.offsets import OffsetTracker, TopicPartition


def tp_of(name: str) -> TopicPartition:
    """``raw-events/0`` (the cases' notation) → ``("raw-events", 0)``."""
    topic, _, partition = name.rpartition("/")
    return (topic, int(partition))


def named(positions: dict[TopicPartition, int]) -> dict[str, int]:
    return {f"{t}/{p}": o for (t, p), o in positions.items()}


def commit(tracker: OffsetTracker, tps: list[TopicPartition] | None = None) -> dict[str, int]:
    positions = tracker.committable(tps)
    tracker.committed(positions)
    return named(positions)


def test_offsets_commit_only_the_contiguous_prefix_as_next_offset(cases: dict[str, Any]) -> None:
    case = cases["kafka-commit-contiguous-next-offset"]
    tp = tp_of(case["input"]["topic_partition"])
    tracker = OffsetTracker()
    for offset in case["input"]["fetched_offsets"]:
        tracker.fetched(tp, offset)
    commits = []
    for step in case["input"]["steps"]:
        for offset in step["done"]:
            tracker.done(tp, offset)
        commits.append(commit(tracker))
    assert commits == case["expected"]["commits"]


def test_offsets_rebalance_commits_revoked_progress_then_only_what_is_owned(
    cases: dict[str, Any],
) -> None:
    case = cases["kafka-rebalance-revoke-commit-and-lag"]
    batch = {tp_of(name): offsets for name, offsets in case["input"]["fetched_batch"].items()}
    p0, p1 = tp_of("raw-events/0"), tp_of("raw-events/1")
    tracker = OffsetTracker()
    for tp, offsets in batch.items():
        for offset in offsets:
            tracker.fetched(tp, offset)
    for tp, last in ((p0, 104), (p1, 201)):
        for offset in range(batch[tp][0], last + 1):
            tracker.done(tp, offset)

    # Eager rebalance: both partitions are revoked, then p0 alone comes back at the commit.
    on_revoke = commit(tracker, [p0, p1])
    tracker.revoke([p0, p1])
    tracker.assigned(p0, on_revoke["raw-events/0"])
    # The batch in hand finishes: p0 for the owner, p1 for nobody (its new owner reads from 202).
    for tp, offsets in batch.items():
        for offset in offsets:
            tracker.done(tp, offset)
    after = commit(tracker)

    assert [on_revoke, after] == case["expected"]["commits"]
    assert commit(tracker, [p1]) == {}
    lags = [tracker.lag({p0: hw}) for hw in (110, 108, 115)]  # 108 is a stale snapshot
    assert lags == case["expected"]["lag_raw-events/0"]
    assert tracker.lag({p1: 205}) == 0  # revoked: no longer reported by this consumer


def test_offsets_failed_revoke_commit_resumes_from_the_last_successful_commit(
    cases: dict[str, Any],
) -> None:
    """The case's fault variant: the commit made on revocation fails (CommitFailedError)."""
    assert (
        "CommitFailedError"
        in cases["kafka-rebalance-revoke-commit-and-lag"]["input"]["fault_variant"]
    )
    p0 = tp_of("raw-events/0")
    tracker = OffsetTracker()
    tracker.assigned(p0, 100)
    for offset in range(100, 105):
        tracker.done(p0, offset)
    assert tracker.committable([p0]) == {p0: 105}  # sent, refused: committed() is not called
    tracker.revoke([p0])
    tracker.assigned(p0, 100)  # the group still holds 100
    for offset in range(105, 110):  # the rest of the stale batch
        tracker.done(p0, offset)
    assert commit(tracker) == {}  # 100-104 must be processed again first
    for offset in range(100, 105):
        tracker.done(p0, offset)
    assert commit(tracker) == {"raw-events/0": 110}


@pytest.mark.parametrize(
    ("start", "done", "expected"),
    [
        (0, [], {}),
        (0, [1, 2], {}),
        (0, [0, 1, 2], {"t/0": 3}),
        (5, [3, 4, 5], {"t/0": 6}),  # below the position: already committed by the group
        (5, [6, 7], {}),
    ],
)
def test_offsets_committable_from_a_position(start: int, done: list[int], expected: dict) -> None:
    tracker = OffsetTracker()
    tracker.assigned(("t", 0), start)
    for offset in done:
        tracker.done(("t", 0), offset)
    assert commit(tracker) == expected


def test_offsets_committable_commits_nothing_twice() -> None:
    tracker = OffsetTracker()
    tracker.fetched(("t", 0), 0)
    tracker.done(("t", 0), 0)
    assert commit(tracker) == {"t/0": 1}
    assert commit(tracker) == {}


def test_offsets_unconfirmed_commit_is_offered_again() -> None:
    tracker = OffsetTracker()
    tracker.fetched(("t", 0), 0)
    tracker.done(("t", 0), 0)
    assert tracker.committable() == {("t", 0): 1}
    assert tracker.committable() == {("t", 0): 1}


def test_offsets_committable_is_limited_to_the_given_partitions() -> None:
    tracker = OffsetTracker()
    for partition in (0, 1):
        tracker.fetched(("t", partition), 0)
        tracker.done(("t", partition), 0)
    assert commit(tracker, [("t", 1), ("t", 9)]) == {"t/1": 1}
    assert commit(tracker) == {"t/0": 1}


def test_offsets_commit_confirmed_after_revocation_is_dropped() -> None:
    tracker = OffsetTracker()
    tracker.fetched(("t", 0), 0)
    tracker.done(("t", 0), 0)
    positions = tracker.committable()
    tracker.revoke([("t", 0)])
    tracker.committed(positions)
    tracker.assigned(("t", 0), 0)
    assert tracker.lag({("t", 0): 1}) == 1


def test_offsets_lag_counts_unread_records_and_ignores_untracked_partitions() -> None:
    tracker = OffsetTracker()
    tracker.assigned(("t", 0), 10)
    tracker.assigned(("t", 1), 0)
    assert tracker.lag({("t", 0): 25, ("t", 1): 0, ("other", 0): 99}) == 15
