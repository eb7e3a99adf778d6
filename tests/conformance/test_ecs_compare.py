"""The conformance scorer itself: what it forgives and what it does not."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conformance.ecs_compare import is_ignored, same, score

SAME: list[tuple[Any, Any, bool]] = [
    (["a", "b"], ["b", "a"], True),
    (["a", "b"], ["a"], False),
    ("a", ["a"], False),
    (5, 5.0, True),
    (5, "5", False),
    ("5", 5, False),
    (True, 1, False),
    ("2026-06-27T12:13:26.024Z", "2026-06-27T12:13:26.024477Z", True),
    ("2026-06-27T12:13:26.024Z", "2026-06-27T12:13:26.025Z", False),
    ("2018-11-30T16:44:36.000+09:30", "2018-11-30T07:14:36Z", True),
    ("2018-11-30T16:44:36.000+09:30", "2018-11-30T16:44:36Z", False),
    ("2026-09-11T04:59:57.000Z", "2026-09-11T04:59:57Z", True),
    ("abc", "abd", False),
    ({"a": 1}, {"a": 1}, True),
]


@pytest.mark.parametrize(("want", "got", "equal"), SAME)
def test_ecs_compare_same(want: Any, got: Any, equal: bool) -> None:
    assert same(want, got) is equal


def test_ecs_compare_score_ignores_agent_fields_and_reports_mismatches() -> None:
    expected = {
        "ecs": {"version": "8.17.0"}, "agent": {"id": "x"}, "tags": ["preserve_original_event"],
        "event": {"original": "x", "created": "2020-01-01T00:00:00Z", "kind": "event"},
        "source": {"ip": "192.0.2.1", "geo": {"city_name": "Paris", "name": "lan"},
                   "as": {"number": 64500}},
        "rule": {"name": "r"},
    }  # fmt: skip
    actual = {"event": {"kind": "event"}, "source": {"ip": "192.0.2.1", "geo": {"name": "lan"}}}
    assert score(expected, actual) == (3, 4, [("rule.name", "r", None)])
    assert is_ignored("source.geo.city_name") and not is_ignored("source.geo.name")
