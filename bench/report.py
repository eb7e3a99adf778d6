"""Bench results: ``Target`` checks and ``write`` of ``bench/results/<name>.json``.

A results file holds ``name``, ``date`` (UTC), ``machine`` (cpu count, python, platform),
``parameters``, ``figures`` and ``targets`` (each: what, wanted, value, met). Figures are CPU
figures (``time.process_time``), so they do not depend on what else the machine is doing, as
long as the process is not starved.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from bench import RESULTS

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Target:
    what: str
    wanted: str  # e.g. ">= 20000"
    value: float
    met: bool


def at_least(what: str, value: float, bound: float) -> Target:
    return Target(what, f">= {bound:g}", round(value, 3), value >= bound)


def at_most(what: str, value: float, bound: float) -> Target:
    return Target(what, f"<= {bound:g}", round(value, 3), value <= bound)


def machine() -> dict[str, Any]:
    return {
        "cpu_count": os.cpu_count(),
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
    }


def write(
    name: str,
    parameters: dict[str, Any],
    figures: dict[str, Any],
    targets: Iterable[Target] = (),
    *,
    folder: Path = RESULTS,
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    result = {
        "name": name,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "parameters": parameters,
        "figures": figures,
        "targets": [asdict(t) for t in targets],
    }
    path.write_text(json.dumps(result, indent=2, sort_keys=False, default=str) + "\n")
    return path


def cpu_rate(
    batches: Iterator[list[T]], handle: Callable[[T], object], *, budget: float
) -> tuple[int, float]:
    """Handle batches until ``budget`` CPU seconds were spent in ``handle`` (making the batches is
    not counted); the items handled and the CPU seconds spent."""
    done, spent = 0, 0.0
    for batch in batches:
        start = time.process_time()
        for item in batch:
            handle(item)
        spent += time.process_time() - start
        done += len(batch)
        if spent >= budget:
            break
    return done, spent


def table(rows: list[tuple[str, str, str]]) -> str:
    """A plain three-column table (figure, value, target)."""
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows)
