"""Token buckets on a fixed clock: burst, refill, debt for large batches, per-tenant isolation."""

from __future__ import annotations

import pytest

from services.collector.ratelimit import RateLimits, TokenBucket


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        # (advance seconds, events asked) → wait returned (0.0 = granted)
        ([(0, 5), (0, 1)], [0.0, 0.1]),  # burst of 5 at 10/s, then empty: 0.1 s for one
        ([(0, 5), (0.1, 1)], [0.0, 0.0]),  # 0.1 s refilled one token
        ([(0, 3), (0, 2), (0, 1)], [0.0, 0.0, 0.1]),
        ([(0, 5), (0.05, 1)], [0.0, 0.05]),
        ([(0, 12), (0, 1)], [0.0, 0.8]),  # a batch over the burst: granted once, paid in debt
        ([(0, 1), (0, 12)], [0.0, 0.1]),  # ...but only from a full bucket
        ([(60, 5), (0, 1)], [0.0, 0.1]),  # idle time never fills past the burst
        ([(0, 0)], [0.0]),
    ],
)
def test_bucket_acquire_table(steps: list[tuple[float, int]], expected: list[float]) -> None:
    clock = Clock()
    bucket = TokenBucket(rate=10, burst=5, now=clock)
    waits = []
    for advance, count in steps:
        clock.t += advance
        waits.append(round(bucket.acquire(count), 6))
    assert waits == expected


def test_bucket_long_run_rate_is_the_configured_rate() -> None:
    clock = Clock()
    bucket = TokenBucket(rate=50, burst=10, now=clock)
    granted = 0
    for _ in range(10_000):  # ask for 1 event every millisecond for 10 s
        clock.t += 0.001
        granted += bucket.acquire(1) == 0.0
    assert 10 + 50 * 10 - 1 <= granted <= 10 + 50 * 10


def test_limits_are_per_tenant_and_absent_tenants_are_unlimited() -> None:
    clock = Clock()
    limits = RateLimits({"acme": (1.0, 2)}, now=clock)
    assert [limits.acquire("acme") for _ in range(3)] == [0.0, 0.0, 1.0]
    assert all(limits.acquire("globex", 1000) == 0.0 for _ in range(10))


@pytest.mark.parametrize(("rate", "burst"), [(0, 1), (-1, 1), (1, 0)])
def test_bucket_rejects_bad_parameters(rate: float, burst: int) -> None:
    with pytest.raises(ValueError, match="rate > 0 and burst >= 1"):
        TokenBucket(rate, burst, now=Clock())
