"""ClickHouse DDL files, applied in name order."""

from __future__ import annotations

from importlib import resources


def statements() -> list[str]:
    files = sorted(
        (f for f in resources.files(__name__).iterdir() if f.name.endswith(".sql")),
        key=lambda f: f.name,
    )
    return [f.read_text() for f in files]
