"""Prometheus metrics, created once per process whatever the number of services in it."""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client import Counter, Gauge, Histogram

_made: dict[str, Counter | Gauge | Histogram] = {}


def counter(name: str, doc: str, labels: Sequence[str] = ()) -> Counter:
    if name not in _made:
        _made[name] = Counter(name, doc, list(labels))
    return _made[name]  # type: ignore[return-value]


def gauge(name: str, doc: str, labels: Sequence[str] = ()) -> Gauge:
    if name not in _made:
        _made[name] = Gauge(name, doc, list(labels))
    return _made[name]  # type: ignore[return-value]


def histogram(
    name: str, doc: str, labels: Sequence[str] = (), buckets: Sequence[float] | None = None
) -> Histogram:
    if name not in _made:
        kwargs = {"buckets": list(buckets)} if buckets else {}
        _made[name] = Histogram(name, doc, list(labels), **kwargs)
    return _made[name]  # type: ignore[return-value]
