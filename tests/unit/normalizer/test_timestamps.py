"""Timestamp conversion to ISO 8601 UTC: offsets, zones, fractions, year inference, bad values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.normalizer.core import zone
from services.normalizer.parsers import timestamps

RECEIVED = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "tz", "expected"),
    [
        ("2026-03-01T10:00:00Z", "America/New_York", "2026-03-01T10:00:00Z"),
        ("2026-03-01t10:00:00z", "UTC", "2026-03-01T10:00:00Z"),
        ("2026-03-01T10:00:00+02:00", "UTC", "2026-03-01T08:00:00Z"),
        ("2026-03-01T10:00:00-0230", "UTC", "2026-03-01T12:30:00Z"),
        ("2026-03-01T00:30:00+01:00", "UTC", "2026-02-28T23:30:00Z"),
        ("2026-03-01T10:00:00", "America/New_York", "2026-03-01T15:00:00Z"),
        ("2026-03-01 10:00:00,5", "UTC", "2026-03-01T10:00:00.5Z"),
        ("2026-03-01T10:00:00.123456789Z", "UTC", "2026-03-01T10:00:00.123456789Z"),
        ("2016-12-31T23:59:60Z", "UTC", "2016-12-31T23:59:59Z"),  # leap second kept as :59
        ("2026-03-29T02:30:00", "Europe/Paris", "2026-03-29T01:30:00Z"),  # in the DST gap
        ("2026-03-01T10:00:00+24:00", "UTC", None),
        ("2026-02-30T10:00:00Z", "UTC", None),
        ("0000-01-01T00:00:00Z", "UTC", None),
        ("0001-01-01T00:00:00+01:00", "UTC", None),  # before year 1 in UTC
        ("2026-03-01T10:00", "UTC", None),
        ("2026-03-01T10:00:00Zjunk", "UTC", None),
    ],
)
def test_timestamps_iso(value: str, tz: str, expected: str | None) -> None:
    assert timestamps.parse_iso(value, zone(tz)) == expected


@pytest.mark.parametrize(
    ("month", "day", "hms", "year", "expected"),
    [
        ("Mar", "1", "10:00:00", None, "2026-03-01T10:00:00Z"),
        ("MAR", "1", "10:00:00", None, "2026-03-01T10:00:00Z"),
        ("Mar", "1", "10:00:00", "2019", "2019-03-01T10:00:00Z"),
        # Received 2 March 12:00: later dates this year would lie in the future, so they are
        # last year's, however near the next year is.
        ("Aug", "31", "00:00:00", None, "2025-08-31T00:00:00Z"),
        ("Sep", "2", "00:00:00", None, "2025-09-02T00:00:00Z"),
        ("Sep", "1", "00:00:00", None, "2025-09-01T00:00:00Z"),
        ("Foo", "1", "10:00:00", None, None),
        ("Apr", "31", "10:00:00", None, None),
        ("Mar", "1", "25:00:00", None, None),
    ],
)
def test_timestamps_bsd(month: str, day: str, hms: str, year: str | None, expected: str) -> None:
    got = timestamps.parse_bsd(month, day, hms, None, year, zone=UTC, received_at=RECEIVED)
    assert got == expected


def closest_by_definition(month: int, day: int, hms: str, received_at: datetime) -> str | None:
    """The year rule read literally: try the three years, drop those more than a day ahead of the
    receive time, keep the valid one nearest in time."""
    hour, minute, second = (int(part) for part in hms.split(":"))
    candidates = []
    for year in (received_at.year, received_at.year - 1, received_at.year + 1):
        try:
            candidate = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
        except ValueError:
            continue
        if candidate - received_at.replace(second=0) <= timedelta(days=1):
            candidates.append(candidate)
    if not candidates:
        return None
    best = min(candidates, key=lambda c: abs(c - received_at))  # ties: the first, receive year
    return best.strftime("%Y-%m-%dT%H:%M:%SZ")


@settings(max_examples=2000, deadline=None)
@given(
    received_at=st.datetimes(
        min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    month=st.integers(1, 12),
    day=st.sampled_from([1, 2, 15, 28, 29, 30, 31]),
    hms=st.sampled_from(["00:00:00", "12:00:00", "23:59:59"]),
)
def test_timestamps_bsd_year_is_the_closest(
    received_at: datetime, month: int, day: int, hms: str
) -> None:
    received_at = received_at.replace(microsecond=0)
    name = list(timestamps.MONTHS)[month - 1]
    got = timestamps.parse_bsd(name, str(day), hms, None, None, zone=UTC, received_at=received_at)
    assert got == closest_by_definition(month, day, hms, received_at)
