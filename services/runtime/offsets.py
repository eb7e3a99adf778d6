"""Which offsets may be committed: only the contiguous processed prefix of each partition.

A committed offset is the offset of the next record to read. Committing past a record that is
still in flight could lose it after a restart, so ``committable`` stops at the first gap.
A partition is tracked from the position where this consumer started reading it (its assignment
or its first fetched record) until it is revoked; records of untracked partitions, and offsets
below the tracked position, are ignored, so a stale batch can never move a commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

TopicPartition = tuple[str, int]


class OffsetTracker:
    def __init__(self) -> None:
        self._next: dict[TopicPartition, int] = {}
        self._done: dict[TopicPartition, set[int]] = {}
        self._committed: dict[TopicPartition, int] = {}

    def assigned(self, tp: TopicPartition, position: int) -> None:
        """Start tracking a partition at the group's position (its committed or reset offset)."""
        if tp not in self._next:
            self._next[tp] = position
            self._done[tp] = set()
            self._committed[tp] = position

    def fetched(self, tp: TopicPartition, offset: int) -> None:
        # Without an assignment callback (the memory bus), the first record read is the position.
        self.assigned(tp, offset)

    def done(self, tp: TopicPartition, offset: int) -> None:
        if tp in self._next and offset >= self._next[tp]:
            self._done[tp].add(offset)

    def committable(self, tps: Iterable[TopicPartition] | None = None) -> dict[TopicPartition, int]:
        """New commit positions since the last commit (partitions without progress are left out)."""
        out: dict[TopicPartition, int] = {}
        for tp in self._next if tps is None else [tp for tp in tps if tp in self._next]:
            nxt, done = self._next[tp], self._done[tp]
            while nxt in done:
                done.discard(nxt)
                nxt += 1
            self._next[tp] = nxt
            if nxt > self._committed[tp]:
                out[tp] = nxt
        return out

    def committed(self, positions: Mapping[TopicPartition, int]) -> None:
        """Record a successful commit; positions of partitions revoked meanwhile are dropped."""
        for tp, position in positions.items():
            if tp in self._committed:
                self._committed[tp] = max(self._committed[tp], position)

    def revoke(self, tps: Iterable[TopicPartition]) -> None:
        """Forget partitions this consumer no longer owns: nothing more is committed for them."""
        for tp in tps:
            self._next.pop(tp, None)
            self._done.pop(tp, None)
            self._committed.pop(tp, None)

    def lag(self, highwater: Mapping[TopicPartition, int]) -> int:
        """Records past the committed offset of each tracked partition, floored at 0 per partition.

        A high watermark snapshot can be older than the last commit, which must read 0, not less.
        """
        return sum(
            max(0, hw - self._committed[tp])
            for tp, hw in highwater.items()
            if tp in self._committed
        )
