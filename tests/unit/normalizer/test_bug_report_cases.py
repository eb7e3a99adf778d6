"""The normalizer's bug-report cases from ../shared/cases, with their exact expected values."""

from __future__ import annotations

from typing import Any

import pytest

from schemas.ecs import EcsEvent, get_field
from services.normalizer.core import Normalizer
from tests.conftest import CASES_FILE, load_cases
from tests.unit.normalizer.factories import raw_event

CASE_IDS = [
    "rfc5424-sd-escaped-bracket",
    "rfc5424-sd-backslash-and-invalid-escape",
    "rfc5424-z-offset-is-utc",
    "sshd-user-injection-and-empty-user",
]
CASES = load_cases()
COMMENTARY = {"note"}  # keys of ``expected`` that explain rather than expect


def lines_and_expectations(case: dict[str, Any]) -> tuple[str, list[str], list[dict[str, Any]]]:
    """(default timezone, input lines, expected fields per line) whatever shape the case has."""
    given, expected = case["input"], case["expected"]
    timezone = "UTC"
    if isinstance(given, dict):
        timezone, given = given.get("collector_default_timezone", "UTC"), given["lines"]
    lines = given if isinstance(given, list) else [given]
    wanted = expected if isinstance(expected, list) else [expected]
    return timezone, lines, [{k: v for k, v in w.items() if k not in COMMENTARY} for w in wanted]


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_bug_report_case(case_id: str) -> None:
    if case_id not in CASES:
        pytest.skip(f"case {case_id} is not in {CASES_FILE} (absent file or case)")
    timezone, lines, expectations = lines_and_expectations(CASES[case_id])
    assert len(lines) == len(expectations)
    normalizer = Normalizer(default_timezone=timezone)
    for n, (line, expected) in enumerate(zip(lines, expectations, strict=True)):
        outputs = normalizer.handle(raw_event(line, id=f"{case_id}-{n}"))
        assert len(outputs) == 1 and isinstance(outputs[0], EcsEvent), outputs
        for path, want in expected.items():  # null in a case means "no value": absent or null
            assert get_field(outputs[0].doc, path) == want, (line, path)
