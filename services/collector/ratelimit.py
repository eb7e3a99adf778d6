"""Per-tenant token buckets: events per second sustained, a burst allowed at once.

``acquire(n)`` grants ``n`` events when the bucket holds ``min(n, burst)`` tokens and takes all
``n`` (the bucket may go into debt), so a batch larger than the burst is admitted once the bucket
is full and then paid for by waiting; the long-run rate stays ``rate``. Otherwise it takes
nothing and returns the seconds until the request would be granted. One bucket serves a tenant
across every listener and HTTP source, so the limit is the tenant's total.

Time comes from the ``now`` callable (monotonic seconds), never from the clock directly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping


class TokenBucket:
    def __init__(self, rate: float, burst: int, now: Callable[[], float]) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a token bucket needs rate > 0 and burst >= 1")
        self.rate = rate
        self.burst = burst
        self._now = now
        self._tokens = float(burst)
        self._at = now()

    def acquire(self, count: int = 1) -> float:
        """0.0 when ``count`` events are granted (and paid), else seconds to wait before asking."""
        now = self._now()
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now
        needed = min(count, self.burst)
        if self._tokens >= needed:
            self._tokens -= count
            return 0.0
        return (needed - self._tokens) / self.rate


class RateLimits:
    """The buckets of the tenants that have a limit; other tenants are never limited."""

    def __init__(self, limits: Mapping[str, tuple[float, int]], now: Callable[[], float]) -> None:
        self._buckets = {
            tenant: TokenBucket(rate, burst, now) for tenant, (rate, burst) in limits.items()
        }

    def acquire(self, tenant: str, count: int = 1) -> float:
        bucket = self._buckets.get(tenant)
        return bucket.acquire(count) if bucket else 0.0
