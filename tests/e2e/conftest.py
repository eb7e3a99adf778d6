"""End-to-end fixtures: Vigie started as a real subprocess."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.harness import api_get, stop, vigie, wait_until, write_config


@pytest.fixture
def embedded(tmp_path: Path):
    """`vigie run` with two tenants, acme and globex, on free loopback ports."""
    dep = write_config(tmp_path, ["acme", "globex"])
    proc = vigie("run", "--config", str(dep.path), log=tmp_path / "vigie.log")
    try:
        wait_until(
            lambda: api_get(dep, "analyst", "/readyz").status_code == 200,
            timeout=180,
            what="vigie run to be ready",
        )
        yield dep
    finally:
        stop(proc)
        print((tmp_path / "vigie.log").read_text()[-5000:])
    assert proc.returncode == 0, "vigie run did not stop cleanly on SIGTERM"
