"""QRadar LEEF 1.0/2.0 → ECS: header, the 2.0 delimiter field in all its forms, attributes."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings

from schemas.ecs import get_field
from services.normalizer.parsers import ParseError
from services.normalizer.parsers.leef import attribute_pairs
from tests.unit.normalizer.factories import ABSENT, assert_fields
from tests.unit.normalizer.firewall_support import (
    case_lines,
    hostile_lines,
    normalize,
    parse,
    survives,
)

LEEF1 = ("<13>Mar  1 10:00:00 qradar-a LEEF:1.0|Example|IDS|2.1|4001|src=192.0.2.1\t"
         "dst=198.51.100.2\tsrcPort=51000\tdstPort=22\tproto=TCP\tusrName=alice\tsev=8\t"
         "devTime=1772359200000\tsrcPostNAT=203.0.113.1\tcat=Authentication\tmsg=a|b")  # fmt: skip
SAMPLES = [LEEF1, "LEEF:2.0|V|P|1|E|^|src=192.0.2.1^dst=198.51.100.2", "LEEF:2.0|V|P|1|E|x09|a=b"]


def test_leef_bug_report_case_exactly() -> None:
    for line, expected in case_lines("leef2-delimiter-header-forms"):
        doc = normalize("leef", line)
        for path, want in expected.items():
            assert get_field(doc, path) == want, (line, path)


def test_leef_maps_the_predefined_attributes() -> None:
    assert_fields(parse("leef", LEEF1), {
        "event.module": "leef", "event.dataset": "leef.log", "event.code": "4001",
        "event.severity": 8, "@timestamp": "2026-03-01T10:00:00.000Z",
        "observer.vendor": "Example", "observer.product": "IDS", "observer.version": "2.1",
        "leef.version": "1.0", "leef.delimiter": "\t", "leef.attributes.cat": "Authentication",
        "source.ip": "192.0.2.1", "source.port": 51000, "source.nat.ip": "203.0.113.1",
        "destination.ip": "198.51.100.2", "destination.port": 22, "network.transport": "tcp",
        "user.name": "alice", "message": "a|b", "log.syslog.hostname": "qradar-a",
        "related.ip": ["192.0.2.1", "203.0.113.1", "198.51.100.2"], "related.user": ["alice"],
    })  # fmt: skip


@pytest.mark.parametrize(
    ("field", "delimiter"),
    [
        ("^|", "^"),
        ("x5E|", "^"),
        ("0x5e|", "^"),
        ("x09|", "\t"),
        ("0x09|", "\t"),
        ("|", "\t"),
        ("", "\t"),
    ],
)
def test_leef_2_delimiter_forms(field: str, delimiter: str) -> None:
    line = f"LEEF:2.0|V|P|1|E|{field}src=192.0.2.1{delimiter}dst=198.51.100.2"
    doc = parse("leef", line)
    assert doc["leef"]["delimiter"] == delimiter
    assert doc["leef"]["attributes"] == {"src": "192.0.2.1", "dst": "198.51.100.2"}


@pytest.mark.parametrize(
    ("attributes", "delimiter", "pairs"),
    [
        ("a=1\tb=2", "\t", {"a": "1", "b": "2"}),
        ("a=x=y^b=2", "^", {"a": "x=y", "b": "2"}),
        ("a=part1^part2^b=2", "^", {"a": "part1^part2", "b": "2"}),
        ("orphan^a=1", "^", {"a": "1"}),
        ("a=1^^b=", "^", {"a": "1", "b": ""}),
    ],
)
def test_leef_attributes_split_only_on_the_delimiter(
    attributes: str, delimiter: str, pairs: dict[str, str]
) -> None:
    assert attribute_pairs(attributes, delimiter) == pairs


@pytest.mark.parametrize(
    ("devtime", "timestamp"),
    [
        ("Mar 01 2026 10:00:00", "2026-03-01T10:00:00Z"),
        ("Mar 01 2026 10:00:00.250 UTC", "2026-03-01T10:00:00.250Z"),
        ("2026-03-01T10:00:00+01:00", "2026-03-01T09:00:00Z"),
        ("yesterday", ABSENT),
    ],
)
def test_leef_devtime(devtime: str, timestamp: Any) -> None:
    assert_fields(parse("leef", f"LEEF:1.0|V|P|1|E|devTime={devtime}"), {"@timestamp": timestamp})


@pytest.mark.parametrize(
    "text", ["no marker", "LEEF:1.0|V|P|1", "LEEF:2.0|V|P|1|E|abc|x", "CEF:0|V|P|1|2|N|3|a=b"]
)
def test_leef_rejects_a_broken_header(text: str) -> None:
    with pytest.raises(ParseError):
        parse("leef", text)


@settings(max_examples=2000, deadline=None)
@given(hostile_lines(SAMPLES))
def test_leef_hostile_input_never_crashes(text: str) -> None:
    survives("leef", text)
