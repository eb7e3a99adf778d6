"""Which offsets may be committed: only the contiguous processed prefix of each partition.

A committed offset is the offset of the next record to read. Committing past a record that is
still in flight could lose it after a restart, so ``committable`` stops at the first gap.
"""

from __future__ import annotations

from collections.abc import Iterable

TopicPartition = tuple[str, int]


class OffsetTracker:
    def __init__(self) -> None:
        self._next: dict[TopicPartition, int] = {}
        self._done: dict[TopicPartition, set[int]] = {}
        self._committed: dict[TopicPartition, int] = {}

    def fetched(self, tp: TopicPartition, offset: int) -> None:
        if tp not in self._next:
            self._next[tp] = offset
            self._done[tp] = set()
            self._committed[tp] = offset

    def done(self, tp: TopicPartition, offset: int) -> None:
        if tp in self._next and offset >= self._next[tp]:
            self._done[tp].add(offset)

    def committable(self) -> dict[TopicPartition, int]:
        """New commit positions since the last call (partitions without progress are left out)."""
        out: dict[TopicPartition, int] = {}
        for tp, nxt in self._next.items():
            done = self._done[tp]
            while nxt in done:
                done.discard(nxt)
                nxt += 1
            self._next[tp] = nxt
            if nxt > self._committed[tp]:
                out[tp] = nxt
        return out

    def committed(self, positions: dict[TopicPartition, int]) -> None:
        self._committed.update(positions)

    def revoke(self, tps: Iterable[TopicPartition]) -> None:
        """Forget partitions this consumer no longer owns: nothing more is committed for them."""
        for tp in tps:
            self._next.pop(tp, None)
            self._done.pop(tp, None)
            self._committed.pop(tp, None)
