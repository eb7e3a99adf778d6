"""Sigma v1 aggregations (``sel | count() by X > N`` + ``timeframe``) → base rule + correlation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import yaml

from schemas.ecs import EcsEvent
from services.correlator.core import Correlator
from services.correlator.legacy import LegacyError, base_id, convert
from services.correlator.rules import load_rule_text
from services.correlator.sigma_pipeline import passthrough_pipeline
from services.correlator.state import MemoryState

RULE_ID = "5b0b75dc-9190-4047-b9a8-14164cee8a31"


def legacy(condition: Any, **detection: Any) -> dict[str, Any]:
    return {
        "title": "Many failures",
        "id": RULE_ID,
        "name": "many_failures",
        "level": "high",
        "tags": ["attack.t1110"],
        "logsource": {"product": "linux", "service": "auth"},
        "detection": {"selection": {"outcome": "failure"}, **detection, "condition": condition},
        "fields": ["src"],
    }


CONVERSIONS = [
    # condition after the pipe, timeframe -> correlation type, group-by, condition
    ("count() > 5", "1h", "event_count", None, {"gt": 5}),
    ("count() by src > 5", "10m", "event_count", ["src"], {"gt": 5}),
    ("count(user) by src >= 3", "24h", "value_count", ["src"], {"gte": 3, "field": "user"}),
    ("count(u) by src, host > 3", "5m", "value_count", ["src", "host"], {"gt": 3, "field": "u"}),
    ("count() by TaskName < 5", "7d", "event_count", ["TaskName"], {"lt": 5}),
    ("count() by a <= 2", "30s", "event_count", ["a"], {"lte": 2}),
    ("count() by a == 2", "1h", "event_count", ["a"], {"eq": 2}),
    ("count() by a = 2", "1h", "event_count", ["a"], {"eq": 2}),
    ("count() by a != 2", "1h", "event_count", ["a"], {"neq": 2}),
    ("sum(bytes) by src > 1000.5", "1h", "value_sum", ["src"], {"gt": 1000.5, "field": "bytes"}),
    ("avg(bytes) by src > 10", "1h", "value_avg", ["src"], {"gt": 10, "field": "bytes"}),
    ("COUNT ( user )  BY  src>3", "1h", "value_count", ["src"], {"gt": 3, "field": "user"}),
]  # fmt: skip


@pytest.mark.parametrize(("aggregation", "timeframe", "kind", "group", "condition"), CONVERSIONS)
def test_legacy_convert_builds_the_correlation(
    aggregation: str, timeframe: str, kind: str, group: list[str] | None, condition: dict
) -> None:
    converted = convert(legacy(f"selection | {aggregation}", timeframe=timeframe))
    assert converted is not None
    base, correlation = converted
    expected = {"type": kind, "rules": [base["id"]], "timespan": timeframe, "condition": condition}
    if group is not None:
        expected["group-by"] = group
    assert correlation["correlation"] == expected


def test_legacy_convert_keeps_the_rule_identity_on_the_correlation() -> None:
    _, correlation = convert(legacy("selection | count() > 5", timeframe="1h")) or ({}, {})
    assert {k: correlation[k] for k in ("title", "id", "name", "level", "tags")} == {
        "title": "Many failures", "id": RULE_ID, "name": "many_failures", "level": "high",
        "tags": ["attack.t1110"],
    }  # fmt: skip
    assert "detection" not in correlation and "logsource" not in correlation


def test_legacy_convert_base_rule_has_the_search_and_its_own_stable_id() -> None:
    document = legacy("selection and not filter | count() > 5", timeframe="1h")
    base, _ = convert(document) or ({}, {})
    assert base["detection"] == {
        "selection": {"outcome": "failure"},
        "condition": "selection and not filter",
    }
    assert base["id"] == base_id(document) != RULE_ID
    assert base["id"] == (convert(dict(document)) or ({}, {}))[0]["id"]  # stable across loads
    assert base["title"] == "Many failures (matching events)"
    assert "name" not in base and base["logsource"] == document["logsource"]


def test_legacy_convert_reads_a_top_level_timeframe_and_a_one_item_condition_list() -> None:
    document = legacy(["selection | count() > 5"])
    document["timeframe"] = "15m"
    base, correlation = convert(document) or ({}, {})
    assert correlation["correlation"]["timespan"] == "15m"
    assert "timeframe" not in base and base["detection"]["condition"] == "selection"


@pytest.mark.parametrize(
    "condition", ["selection", "selection and not filter", ["a", "b"], None, {"not": "a string"}]
)
def test_legacy_convert_leaves_other_documents_alone(condition: Any) -> None:
    assert convert(legacy(condition)) is None


REFUSALS = [
    ("no-timeframe", "selection | count() > 5", None, "without timeframe is not supported"),
    ("near", "selection | near other", "1m", "'near' aggregation is not supported"),
    ("min", "selection | min(bytes) by src > 5", "1h", "min() is not supported"),
    ("max", "selection | max(bytes) > 5", "1h", "max() is not supported"),
    ("sum-no-field", "selection | sum() by src > 5", "1h", "sum() needs a field"),
    ("two-pipes", "selection | count() > 5 | count() > 1", "1h", "more than one '|'"),
    ("garbage", "selection | count() by > 5", "1h", "cannot read the legacy aggregation"),
    ("no-search", " | count() > 5", "1h", "without a search"),
    ("list", ["selection | count() > 5", "other"], "1h", "list of conditions is not supported"),
]


@pytest.mark.parametrize(
    ("condition", "timeframe", "reason"), [pytest.param(*r[1:], id=r[0]) for r in REFUSALS]
)
def test_legacy_convert_refuses_with_a_reason(
    condition: Any, timeframe: str | None, reason: str
) -> None:
    extra = {"timeframe": timeframe} if timeframe else {}
    with pytest.raises(LegacyError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        convert(legacy(condition, **extra))


LEGACY_RULE = """
title: Failures from one source
id: 6f2d0c51-2a4f-4a5e-9c1e-0d3b8f9a7e11
level: high
logsource: {product: test}
detection:
  selection: {outcome: failure}
  timeframe: 1m
  condition: selection | count(user) by src > 2
"""


def _event(n: int, second: int, user: str, src: str = "203.0.113.7") -> EcsEvent:
    return EcsEvent({
        "@timestamp": f"2026-01-05T10:00:{second:02d}Z", "event": {"id": f"e{n}"},
        "organization": {"id": "t1"}, "outcome": "failure", "user": user, "src": src,
    })  # fmt: skip


def test_legacy_rule_loads_as_a_silent_base_and_a_correlation_that_fires() -> None:
    ruleset = load_rule_text(LEGACY_RULE, pipeline=passthrough_pipeline())
    assert ruleset.errors == []
    (base,), (correlation,) = ruleset.detections, ruleset.correlations
    assert base.generate is False and correlation.generate is True
    assert correlation.meta.id == "6f2d0c51-2a4f-4a5e-9c1e-0d3b8f9a7e11"
    assert (correlation.type, correlation.group_by, correlation.condition.field) == (
        "value_count", ("src",), "user",
    )  # fmt: skip
    assert correlation.timespan == timedelta(minutes=1) and correlation.rules == (base.meta.id,)
    correlator = Correlator(ruleset, state=MemoryState())
    below = [_event(1, 0, "a"), _event(2, 10, "b"), _event(3, 20, "b"), _event(4, 30, "a")]
    assert [a for e in below for a in correlator.feed(e)] == []
    (alert,) = correlator.feed(_event(5, 40, "c"))
    assert alert.rule.id == correlation.meta.id and alert.group == {"src": "203.0.113.7"}


def test_legacy_rule_refused_is_a_load_error_with_its_title() -> None:
    text = LEGACY_RULE.replace("  timeframe: 1m\n", "")
    ruleset = load_rule_text(text, pipeline=passthrough_pipeline())
    assert ruleset.detections == [] and ruleset.correlations == []
    (error,) = ruleset.errors
    assert error.title == "Failures from one source"
    assert "without timeframe is not supported" in error.reason


def test_legacy_rule_fields_go_through_the_ecs_pipeline() -> None:
    rule = yaml.safe_load(LEGACY_RULE)
    rule["logsource"] = {"category": "firewall"}
    rule["detection"] = {"selection": {"action": "deny"}, "timeframe": "1h",
                         "condition": "selection | count(dst_port) by src_ip > 10"}  # fmt: skip
    ruleset = load_rule_text(yaml.safe_dump(rule))
    (correlation,) = ruleset.correlations
    assert correlation.group_by == ("source.ip",)
    assert correlation.condition.field == "destination.port"
