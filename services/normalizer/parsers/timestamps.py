"""Log timestamps → ISO 8601 UTC strings with a ``Z`` suffix (``None`` when invalid).

* RFC 3339 / ISO 8601 (RFC 5424, rsyslog file formats): an explicit offset (``Z``, ``+02:00``,
  ``+0200``) is honoured; without one the time is local to the source's timezone.
* BSD (RFC 3164) ``Mmm dd hh:mm:ss``: always local to the source's timezone. When the line has
  no year, the year is the one among (receive year - 1, receive year, receive year + 1) that puts
  the timestamp closest to the receive time, both in the source's zone (a tie keeps the receive
  year), leaving out a year that puts it more than a day AHEAD of the receive time: devices do not
  log the future, so a ``Dec 10`` line received on 3 December is last year's, while a ``Jan 1``
  line received a minute before midnight on 31 December is next year's.

Fractional seconds are kept with the digits the source wrote (offsets are whole minutes, so
converting to UTC never changes them).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache

MONTHS = {
    name: number
    for number, name in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}

_ISO = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:[.,]([0-9]{1,9}))?"
    r"(?:([Zz])|([+-])([0-9]{2}):?([0-9]{2}))?"
)
_CACHE_SIZE = 16384  # distinct seconds per zone in flight; a burst repeats the same few
FUTURE_TOLERANCE = timedelta(days=1)  # clock drift a device may have ahead of the collector


def parse_iso(value: str, zone: tzinfo) -> str | None:
    """An RFC 3339 / ISO 8601 date-time (the whole of ``value``) as UTC."""
    m = _ISO.fullmatch(value)
    if m is None:
        return None
    year, month, day, hour, minute, second, frac, zulu, sign, off_h, off_m = m.groups()
    if zulu:
        offset: int | None = 0
    elif sign:
        if off_h > "23" or off_m > "59":
            return None
        offset = (int(off_h) * 60 + int(off_m)) * (1 if sign == "+" else -1)
    else:
        offset = None
    seconds = _utc_seconds(
        int(year), int(month), int(day), f"{hour}:{minute}:{second}", offset, zone
    )
    return _with_fraction(seconds, frac)


def parse_bsd(
    month: str,
    day: str,
    hms: str,
    frac: str | None,
    year: str | None,
    *,
    zone: tzinfo,
    received_at: datetime,
) -> str | None:
    """A BSD syslog timestamp as UTC, inferring the year from ``received_at`` when absent."""
    number = MONTHS.get(month) or MONTHS.get(month.title())
    if number is None:
        return None
    if year is not None:
        seconds = _utc_seconds(int(year), number, int(day), hms, None, zone)
    else:
        inferred = _infer_year(number, int(day), hms, zone, received_at)
        seconds = (
            None if inferred is None else _utc_seconds(inferred, number, int(day), hms, None, zone)
        )
    return _with_fraction(seconds, frac)


def _infer_year(month: int, day: int, hms: str, zone: tzinfo, received_at: datetime) -> int | None:
    reference = received_at if zone is UTC else received_at.astimezone(zone)
    # Minute precision is plenty against a one-day tolerance, and makes the answer cacheable.
    minute = reference.replace(tzinfo=None, second=0, microsecond=0)
    return _likeliest_year(month, day, hms, minute)


@lru_cache(maxsize=_CACHE_SIZE)
def _likeliest_year(month: int, day: int, hms: str, reference: datetime) -> int | None:
    hour, minute, second = (int(part) for part in hms.split(":"))
    best: datetime | None = None
    for year in (reference.year, reference.year - 1, reference.year + 1):
        try:
            candidate = datetime(year, month, day, hour, minute, min(second, 59))
        except ValueError:  # 29 February outside a leap year, day 31 in a 30-day month...
            continue
        if candidate - reference > FUTURE_TOLERANCE:
            continue
        if best is None or abs(candidate - reference) < abs(best - reference):
            best = candidate
    return None if best is None else best.year


@lru_cache(maxsize=_CACHE_SIZE)
def _utc_seconds(
    year: int, month: int, day: int, hms: str, offset: int | None, zone: tzinfo
) -> str | None:
    """``YYYY-MM-DDTHH:MM:SS`` in UTC for a local time (``offset`` minutes, else ``zone``)."""
    hour, minute, second = (int(part) for part in hms.split(":"))
    try:
        # A leap second (:60) is kept as :59 rather than rejected.
        local = datetime(year, month, day, hour, minute, min(second, 59))
        if offset is not None:
            return (local - timedelta(minutes=offset)).isoformat()
        if zone is UTC:
            return local.isoformat()
        return local.replace(tzinfo=zone).astimezone(UTC).replace(tzinfo=None).isoformat()
    except (ValueError, OverflowError):
        return None


def _with_fraction(seconds: str | None, frac: str | None) -> str | None:
    if seconds is None:
        return None
    return f"{seconds}.{frac}Z" if frac else f"{seconds}Z"


def parse_epoch(value: str) -> str | None:
    """Digits since the Unix epoch as UTC, the unit read from the length (as devices write them):
    up to 11 digits seconds, 12-13 milliseconds, 14-16 microseconds, 17-19 nanoseconds."""
    if not (value.isdigit() and value.isascii()) or not 0 < len(value) <= 19:
        return None
    scale = 0 if len(value) <= 11 else 3 if len(value) <= 13 else 6 if len(value) <= 16 else 9
    seconds, frac = (value[:-scale], value[-scale:]) if scale else (value, None)
    try:
        moment = datetime.fromtimestamp(int(seconds or "0"), UTC).replace(tzinfo=None)
    except (OverflowError, OSError, ValueError):
        return None
    return _with_fraction(moment.isoformat(), frac)
