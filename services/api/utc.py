"""UTC instants: the store's DateTime64 columns count milliseconds from the epoch in UTC.

A naive ``datetime`` is read as UTC here, never as the host's local time: the ClickHouse client
would otherwise shift it by the host's offset (two hours early on a Berlin host in summer).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def utc(moment: datetime) -> datetime:
    """The same instant as a timezone-aware UTC datetime (naive values are taken as UTC)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def parse_utc(text: str) -> datetime:
    """An ISO 8601 timestamp (``Z``, an offset, or none for UTC) as an aware UTC datetime."""
    return utc(datetime.fromisoformat(text))


def epoch_ms(moment: datetime) -> int:
    """Milliseconds since the Unix epoch, the unit of ``DateTime64(3)``."""
    return (utc(moment) - _EPOCH) // _MS
