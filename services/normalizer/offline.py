"""Offline normalisation (``vigie parse``): log files → ECS documents, failures and a summary.

The records of a file, in order:

* a file whose suffix names a file-level reader (``READERS``: ``.evtx``): each item the reader
  yields, whatever ``--format`` says (a binary file has no text form);
* a Zeek TSV file (leading ``#`` header lines that include ``#separator``) read as ``auto`` or
  ``zeek``/``zeek.<log>``: batches of at most ``ZEEK_BATCH`` data lines, each sent with the
  header lines in front (the parser cannot read a data line without them), and a new batch
  where a new header starts;
* any other file: each non-blank line (invalid UTF-8 is kept as base64, as the collector does).

Each record becomes a ``RawEvent`` (tenant, source ``file:<path>``, transport ``file``, id
derived from the path and the record's position, so a rerun gives the same ids, received at
``now()``) and goes through the same ``Normalizer`` as the pipeline; with ``auto`` it detects
each record's format. Every ECS document is written to ``out`` as one orjson line; every record
that failed to ``err`` as ``path:N: reason``, N being the line number (for a Zeek batch, its
first data line; for a reader, the item's position in the file). ``Summary`` counts records
(a line, a Zeek batch or a reader item), documents and failures, per format too.

Usage errors (a format hint that is neither ``auto`` nor a ``PARSERS`` key, an unknown timezone)
raise ``ValueError`` from ``OfflineRun``, before any file is read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import orjson

from schemas.dlq import DeadLetter
from schemas.ecs import EcsEvent
from schemas.ids import derived_id
from schemas.raw import RawEvent
from services.collector.core import make_raw_event
from services.normalizer.core import AUTO, Normalizer
from services.normalizer.detect import detect
from services.normalizer.parsers import PARSERS
from services.normalizer.parsers.base import Doc, ParseError
from services.normalizer.readers import READERS

ZEEK_BATCH = 10_000
_ZEEK_HEADER_LINES = 16  # BTest baselines put a "###" comment before "#separator"


@dataclass
class Counts:
    records: int = 0
    documents: int = 0
    failures: int = 0

    def add(self, documents: int, failures: int) -> None:
        self.records += 1
        self.documents += documents
        self.failures += failures

    def __str__(self) -> str:
        return f"{self.records} records, {self.documents} documents, {self.failures} failures"


@dataclass
class Summary:
    total: Counts = field(default_factory=Counts)
    by_format: dict[str, Counts] = field(default_factory=dict)

    def count(self, fmt: str, documents: int, failures: int) -> None:
        self.total.add(documents, failures)
        self.by_format.setdefault(fmt, Counts()).add(documents, failures)

    def lines(self, *, per_format: bool) -> list[str]:
        formats = sorted(self.by_format.items()) if per_format else []
        return [str(self.total), *(f"  {fmt}: {counts}" for fmt, counts in formats)]


class _Tally:
    """The detector the Normalizer calls for ``auto``, remembering what it chose last."""

    def __init__(self) -> None:
        self.last = AUTO

    def __call__(self, text: str) -> str:
        self.last = detect(text)
        return self.last


class OfflineRun:
    """One ``vigie parse`` invocation: its settings, its Normalizer, and ``run`` over files."""

    def __init__(
        self,
        *,
        fmt: str = AUTO,
        timezone: str = "UTC",
        tenant: str = "local",
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if fmt != AUTO and fmt not in PARSERS:
            raise ValueError(f"unknown format {fmt!r}; use auto or one of: {', '.join(PARSERS)}")
        if not tenant.strip():
            raise ValueError("the tenant must not be empty: it is every document's organization.id")
        self._fmt, self._tenant, self._now = fmt, tenant, now
        self._tally = _Tally()
        self._normalizer = Normalizer(default_timezone=timezone, detector=self._tally)

    def run(
        self, paths: Iterable[Path], *, out: Callable[[bytes], None], err: Callable[[str], None]
    ) -> Summary:
        summary = Summary()
        for path in paths:
            try:
                self._file(path, summary, out, err)
            except BrokenPipeError:  # the reader of ``out`` has gone: nothing more to do
                raise
            except OSError as exc:  # unreadable file: one failure, the other files still run
                err(f"{path}:0: cannot read the file: {exc}")
                summary.count(self._fmt, 0, 1)
        return summary

    @property
    def per_format(self) -> bool:
        return self._fmt == AUTO

    def _file(
        self, path: Path, summary: Summary, out: Callable[[bytes], None], err: Callable[[str], None]
    ) -> None:
        reader = READERS.get(path.suffix.lstrip(".").lower())
        if reader is not None:
            for number, item in enumerate(reader(path), 1):
                self._reader_item(path, number, item, summary, out, err)
            return
        for number, data, fmt in self._records(path):
            self._tally.last = AUTO  # what a record rejected before detection is counted under
            outputs = self._normalizer.handle(self._raw(path, number, data, fmt))
            letters = [o.error for o in outputs if isinstance(o, DeadLetter)]
            for event in outputs:
                if isinstance(event, EcsEvent):
                    out(orjson.dumps(event.root))
            for error in letters:
                err(f"{path}:{number}: {error}")
            used = self._tally.last if fmt == AUTO else fmt
            summary.count(used, len(outputs) - len(letters), len(letters))

    def _reader_item(self, path: Path, number: int, item: Doc | ParseError, summary: Summary,
                     out: Callable[[bytes], None], err: Callable[[str], None]) -> None:  # fmt: skip
        fmt = path.suffix.lstrip(".").lower()
        if isinstance(item, ParseError):
            err(f"{path}:{number}: {item.reason}")
            summary.count(fmt, 0, 1)
            return
        original = item.get("event", {}).get("original")
        raw = self._raw(path, number, (original or f"{path} record {number}").encode(), fmt)
        for event in self._normalizer.complete(raw, fmt, [item]):
            out(orjson.dumps(event.root))
        summary.count(fmt, 1, 0)

    def _records(self, path: Path) -> Iterator[tuple[int, bytes, str]]:
        """(line number, bytes, format hint) of every record of a text file."""
        with path.open("rb") as file:
            lines = ((n, line.rstrip(b"\r\n")) for n, line in enumerate(file, 1))
            if self._fmt.split(".")[0] in (AUTO, "zeek") and _is_zeek_tsv(path):
                hint = "zeek" if self._fmt == AUTO else self._fmt
                yield from ((n, batch, hint) for n, batch in zeek_batches(lines, ZEEK_BATCH))
                return
            yield from ((n, line, self._fmt) for n, line in lines if line.strip())

    def _raw(self, path: Path, number: int, data: bytes, fmt: str) -> RawEvent:
        raw = make_raw_event(
            data, tenant=self._tenant, source=f"file:{path}", transport="file", peer=None,
            format=fmt, received_at=self._now(),
        )  # fmt: skip
        return raw.model_copy(update={"id": derived_id(str(path), str(number))})


def _is_zeek_tsv(path: Path) -> bool:
    with path.open("rb") as file:
        for _, line in zip(range(_ZEEK_HEADER_LINES), file, strict=False):
            if not line.startswith(b"#"):
                return False
            if line.startswith(b"#separator"):
                return True
    return False


def zeek_batches(lines: Iterable[tuple[int, bytes]], size: int) -> Iterator[tuple[int, bytes]]:
    """(first data line number, header + data lines) for every batch of a Zeek TSV file."""
    header: list[bytes] = []
    data: list[bytes] = []
    first = 0
    for number, line in lines:
        if line.startswith(b"#"):
            if data:  # a header after data lines starts a new log (files concatenated)
                yield first, b"\n".join(header + data)
                header, data = [], []
            header.append(line)
        elif line.strip():
            first = first if data else number
            data.append(line)
            if len(data) == size:
                yield first, b"\n".join(header + data)
                data = []
    if data:
        yield first, b"\n".join(header + data)
