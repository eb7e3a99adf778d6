"""Shared fixtures: the ../shared corpus and cases (skipped with a reason where absent)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
CASES_FILE = SHARED / "cases" / "bug-report-cases.jsonl"


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"corpus folder {CORPUS} is absent: conformance tests need ../shared/corpus")
    return CORPUS


def load_cases() -> dict[str, dict[str, Any]]:
    """The bug-report cases by id ({} when the file is absent; see ``case``)."""
    if not CASES_FILE.is_file():
        return {}
    cases = (json.loads(line) for line in CASES_FILE.read_text().splitlines() if line.strip())
    return {c["id"]: c for c in cases}


@pytest.fixture(scope="session")
def cases() -> dict[str, dict[str, Any]]:
    found = load_cases()
    if not found:
        pytest.skip(f"{CASES_FILE} is absent: bug-report case tests need ../shared/cases")
    return found


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        path = Path(str(item.fspath))
        if "conformance" in path.parts:
            item.add_marker(pytest.mark.corpus)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # A tier that collects nothing is a broken tier, not a green one.
    if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
