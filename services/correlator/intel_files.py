"""Threat-intelligence files named in the configuration (``intel.files``) → ``ti.indicators``.

``IntelFiles`` (a Service, beside the correlator in both run modes) publishes the indicators of
every configured file at start, then every ``reload_seconds`` looks at each file's modification
time and size: a changed or new file is loaded again and published, and the keys it held before
but no longer holds are published revoked; a file that disappeared has all its keys revoked. A
folder entry stands for its ``*.json`` and ``*.csv`` files (not recursive). Options of an entry
(tenant, feed, confidence, valid_days) apply to its indicators; the feed name defaults to the
file name, and ``valid_days`` counts from each load, so a file left unchanged ages out.

A file that cannot be read (missing, not UTF-8, not its format) is logged with the reason and
what it published before stays; skipped entries are logged with their reasons (the first
``LOGGED_SKIPS`` of a load, then their number). ``ready`` is true once the first scan is
published. Keys revoked on change are those this process published: a file changed while no
correlator ran keeps its old indicators until they expire or are revoked (``vigie intel load``),
and a key two sources publish is revoked when either file drops it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from contextlib import suppress
from datetime import datetime
from pathlib import Path

from schemas.indicator import Indicator
from services.correlator.intel import IntelError, LoadOptions, LoadResult, load
from services.correlator.ti_store import publish, utc_now
from services.runtime.bus import Bus
from services.runtime.settings import IntelFile

log = logging.getLogger(__name__)

SUFFIXES = (".json", ".csv")
LOGGED_SKIPS = 20
Stamp = tuple[int, int]  # (modification time in ns, size)


def read_file(path: Path, entry: IntelFile, now: datetime) -> LoadResult:
    """Load one intel file with the options of its configuration entry."""
    options = LoadOptions(
        tenant=entry.tenant, feed=entry.feed or path.name, confidence=entry.confidence,
        valid_days=entry.valid_days, now=now,
    )  # fmt: skip
    return load(path.read_bytes(), entry.format, options, name=path.name)


def log_skipped(result: LoadResult, source: str) -> None:
    for skip in result.skipped[:LOGGED_SKIPS]:
        log.warning(
            "intel entry skipped",
            extra={"file": source, "entry": skip.entry, "reason": skip.reason},
        )
    if len(result.skipped) > LOGGED_SKIPS:
        log.warning(
            "more intel entries skipped",
            extra={"file": source, "skipped": len(result.skipped) - LOGGED_SKIPS},
        )


def _paths(entry: IntelFile) -> list[Path]:
    path = Path(entry.path)
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix.lower() in SUFFIXES and p.is_file())
    return [path]


def _stamp(path: Path) -> Stamp | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_mtime_ns, info.st_size)


class IntelFiles:
    stage = "correlator-intel-files"

    def __init__(
        self,
        bus: Bus,
        files: Sequence[IntelFile],
        *,
        reload_seconds: float = 30.0,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.ready = False
        self._bus = bus
        self._files = list(files)
        self._reload_seconds = reload_seconds
        self._clock = clock
        self._stamps: dict[Path, Stamp | None] = {}
        self._published: dict[Path, dict[str, Indicator]] = {}
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        try:
            await self.scan()
            self.ready = True
            while not self._stopping.is_set():
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), self._reload_seconds)
                if not self._stopping.is_set():
                    await self.scan()
        finally:
            self.ready = False

    async def scan(self) -> None:
        """Publish what changed in the configured files since the last scan."""
        current = {path: entry for entry in self._files for path in _paths(entry)}
        for path, entry in current.items():
            stamp = _stamp(path)
            if path in self._stamps and stamp == self._stamps[path]:
                continue
            self._stamps[path] = stamp
            if stamp is None:
                log.warning("intel file not found", extra={"file": str(path)})
                await self._replace(path, {})
            else:
                await self._reload(path, entry)
        for path in [p for p in self._published if p not in current]:
            del self._stamps[path]
            await self._replace(path, {})

    async def _reload(self, path: Path, entry: IntelFile) -> None:
        try:
            result = await asyncio.to_thread(read_file, path, entry, self._clock())
        except (OSError, IntelError) as exc:
            log.warning("intel file not loaded", extra={"file": str(path), "reason": str(exc)})
            return
        log_skipped(result, str(path))
        await self._replace(path, {i.key: i for i in result.indicators})
        log.info(
            "intel file loaded",
            extra={"file": str(path), "indicators": len(result.indicators),
                   "skipped": len(result.skipped)},
        )  # fmt: skip

    async def _replace(self, path: Path, now_held: dict[str, Indicator]) -> None:
        before = self._published.get(path, {})
        gone = [
            i.model_copy(update={"revoked": True}) for k, i in before.items() if k not in now_held
        ]
        await publish(self._bus, [*now_held.values(), *gone])
        self._published[path] = now_held
