"""CSV feeds → indicators: a header row naming ``type`` and ``value``, one indicator a line.

Optional columns: ``confidence`` (0-100), ``valid_from`` and ``valid_until`` (ISO 8601 date or
time; UTC when without an offset), ``description``, ``reference``, ``tags`` (ATT&CK tags such as
``attack.t1071``, separated by spaces or ``;``). Column names are case-insensitive; other columns
are ignored and named once in the skipped list (entry ``header``). The delimiter is the one of
``,`` ``;`` or tab that the header uses most. Lines starting with ``#`` are comments and blank
lines are ignored; every other line is an indicator or a skipped entry with its reason
(``line N``, counted in the file). Quoted fields may not span lines.
``type`` takes the names of ``intel.KINDS`` (ip, cidr, domain, hostname, url, md5, sha256...).
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from typing import Any

from services.correlator.intel import (
    IntelError,
    LoadOptions,
    LoadResult,
    Skipped,
    indicator,
    reason,
)

COLUMNS = ("type", "value", "confidence", "valid_from", "valid_until", "description",
           "reference", "tags")  # fmt: skip


def _time(text: str) -> datetime | None:
    if not text.strip():
        return None
    moment = datetime.fromisoformat(text.strip())
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _context(row: dict[str, str]) -> dict[str, Any]:
    confidence = row.get("confidence", "").strip()
    return {
        "confidence": int(confidence) if confidence else None,
        "valid_from": _time(row.get("valid_from", "")),
        "valid_until": _time(row.get("valid_until", "")),
        "description": row.get("description", "").strip() or None,
        "reference": row.get("reference", "").strip() or None,
        "tags": tuple(t for t in row.get("tags", "").replace(";", " ").split() if t),
    }


def _header(text: str) -> tuple[int, str, list[str]]:
    """Line number, delimiter and lower-case column names of the header row."""
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip() and not line.lstrip().startswith("#"):
            delimiter = max(",;\t", key=line.count)
            names = [n.strip().lower() for n in next(csv.reader([line], delimiter=delimiter))]
            if "type" not in names or "value" not in names:
                raise IntelError(f"line {number}: the CSV header must name type and value columns")
            return number, delimiter, names
    raise IntelError("no CSV header row (type,value,...) in the file")


def load_csv(text: str, options: LoadOptions) -> LoadResult:
    start, delimiter, names = _header(text)
    result = LoadResult()
    ignored = [n for n in names if n not in COLUMNS]
    if ignored:
        result.skipped.append(Skipped("header", f"columns ignored: {', '.join(ignored)}"))
    for number, line in enumerate(text.splitlines()[start:], start + 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cells = next(csv.reader([line], delimiter=delimiter))
        if len(cells) != len(names):
            result.skipped.append(
                Skipped(f"line {number}", f"{len(cells)} fields where the header has {len(names)}")
            )
            continue
        row = dict(zip(names, cells, strict=True))
        try:
            result.indicators.append(indicator(row["type"], row["value"], _context(row), options))
        except ValueError as exc:
            result.skipped.append(Skipped(f"line {number}", reason(exc)))
    return result
