"""ArcSight CEF → ECS: header and extension escapes, value boundaries, Elastic's key mapping."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings

from schemas.ecs import get_field
from services.normalizer.parsers import ParseError
from services.normalizer.parsers.cef import extension_pairs
from tests.unit.normalizer.factories import ABSENT, assert_fields
from tests.unit.normalizer.firewall_support import (
    case_lines,
    hostile_lines,
    normalize,
    parse,
    survives,
)

FIREWALL = (
    "CEF:0|Example|NGFW|9.1|100|Connection denied|7|src=192.0.2.10 spt=51515 "
    "dst=198.51.100.80 dpt=443 proto=TCP act=deny suser=EXAMPLE\\\\alice duser=bob "
    "deviceDirection=1 sourceTranslatedAddress=203.0.113.5 in=100 out=300 "
    "rt=1772359200123 cs1Label=Rule Name cs1=Block all cn1Label=Hits cn1=3 "
    "request=https://www.example.com/a requestMethod=GET dvchost=fw-a deviceExternalId=FW123 "
    "fileHash=44d88612fea8a8f36de82e1278abb02f outcome=Failure msg=multi word\\nline"
)
SAMPLES = [FIREWALL, "CEF:0|a|b|c|d|e|f|k=v", "<134>Mar  1 10:00:00 h CEF:1|V|P|1|2|N|3|x=y"]


def test_cef_bug_report_case_exactly() -> None:
    for line, expected in case_lines("cef-header-pipe-and-extension-equals"):
        doc = normalize("cef", line)
        for path, want in expected.items():
            # The case lists the parsed extension map as ``extensions``; Vigie keeps it where
            # Elastic's CEF integration does, under ``cef.extensions``.
            path = "cef.extensions" if path == "extensions" else path
            assert get_field(doc, path) == want, path


def test_cef_maps_the_common_extensions_like_elastic() -> None:
    assert_fields(parse("cef", FIREWALL), {
        "event.module": "cef", "event.dataset": "cef.log", "event.kind": "event",
        "event.code": "100", "event.severity": 7, "event.action": "deny",
        "event.outcome": "failure", "@timestamp": "2026-03-01T10:00:00.123Z",
        "cef.name": "Connection denied", "cef.severity": "7", "cef.version": "0",
        "observer.vendor": "Example", "observer.product": "NGFW", "observer.version": "9.1",
        "source.ip": "192.0.2.10", "source.port": 51515, "source.bytes": 100,
        "source.nat.ip": "203.0.113.5", "source.user.name": "EXAMPLE\\alice",
        "destination.ip": "198.51.100.80", "destination.port": 443, "destination.bytes": 300,
        "destination.user.name": "bob", "network.transport": "tcp", "network.iana_number": "6",
        "network.direction": "outbound", "url.original": "https://www.example.com/a",
        "http.request.method": "GET", "host.hostname": "fw-a", "host.id": "FW123",
        "message": "multi word\nline", "labels": {"Rule Name": "Block all", "Hits": "3"},
        "related.ip": ["198.51.100.80", "192.0.2.10", "203.0.113.5"],
        "related.user": ["bob", "EXAMPLE\\alice"],
        "related.hash": ["44d88612fea8a8f36de82e1278abb02f"],
        "cef.extensions.cs1": "Block all", "cef.extensions.suser": "EXAMPLE\\alice",
    })  # fmt: skip


@pytest.mark.parametrize(
    ("extension", "pairs"),
    [
        ("a=1 b=two words c=3", {"a": "1", "b": "two words", "c": "3"}),
        ("a=x \\= y b=C:\\\\dir", {"a": "x = y", "b": "C:\\dir"}),
        ("a=line1\\nline2\\r", {"a": "line1\nline2\r"}),
        ("a=pipe | is text", {"a": "pipe | is text"}),
        ("a=1    ", {"a": "1"}),  # trailing spaces are padding
        ("junk before a=1", {"a": "1"}),
        ("a=b=c d=e", {"a": "b=c", "d": "e"}),  # an = not preceded by a key start is data
        ("a=\\q", {"a": "\\q"}),  # an unknown escape is kept as written
        ("", {}),
    ],
)
def test_cef_extension_values_run_to_the_next_key(extension: str, pairs: dict[str, str]) -> None:
    assert extension_pairs(extension) == pairs


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "<134>1 2026-03-01T10:00:00.5Z fw-a - - - CEF:0|V|P|1|2|N|3|src=192.0.2.1",
            {
                "@timestamp": "2026-03-01T10:00:00.5Z",
                "log.syslog.priority": 134,
                "host.hostname": "fw-a",
            },
        ),
        (
            "<134>Mar  1 10:00:00 fw-a CEF:0|V|P|1|2|N|3|rt=Mar 01 2026 09:59:58.250 UTC",
            {"@timestamp": "2026-03-01T09:59:58.250Z", "log.syslog.hostname": "fw-a"},
        ),
        (
            "CEF:0|V|P|1|2|N|3|rt=Mar 01 2026 10:59:58",  # no zone: the source's (Paris)
            {"@timestamp": "2026-03-01T09:59:58Z"},
        ),
        (
            "CEF:0|V|P|1|2|N|High|end=1772359200000 start=bogus",
            {
                "event.end": "2026-03-01T10:00:00.000Z",
                "event.start": ABSENT,
                "event.severity": ABSENT,
                "cef.severity": "High",
            },
        ),
    ],
)
def test_cef_times_and_syslog_prefix(line: str, expected: dict[str, Any]) -> None:
    assert_fields(parse("cef", line, timezone=ZoneInfo("Europe/Paris")), expected)


@pytest.mark.parametrize(
    ("extension", "expected"),
    [
        ("src=not-an-ip", {"source.ip": ABSENT, "cef.extensions.src": "not-an-ip"}),
        ("spt=70000", {"source.port": ABSENT}),
        ("customerExternalID=other-tenant", {"organization": ABSENT}),
        ("eventId=42 type=1 cat=/Firewall", {"event.kind": "event", "event.category": ABSENT}),
        ("sourceAddress=192.0.2.1 sourcePort=22", {"source.ip": "192.0.2.1", "source.port": 22}),
        ("slat=38.9 slong=-77.5", {"source.geo.location": {"lat": 38.9, "lon": -77.5}}),
        ("slat=nan slong=1", {"source.geo": ABSENT}),
    ],
)
def test_cef_values_that_do_not_fit_stay_vendor_side(
    extension: str, expected: dict[str, Any]
) -> None:
    assert_fields(parse("cef", f"CEF:0|V|P|1|2|N|3|{extension}"), expected)


def test_cef_tenant_is_never_read_from_the_log() -> None:
    doc = normalize("cef", "CEF:0|V|P|1|2|N|3|customerExternalID=other-tenant")
    assert doc["organization"]["id"] == "acme"


@pytest.mark.parametrize(
    "text", ["no marker", "CEF:0|only|four|fields", "CEF:|V|P|1|2|N|3|", "LEEF:1.0|V|P|1|2|"]
)
def test_cef_rejects_a_broken_header(text: str) -> None:
    with pytest.raises(ParseError):
        parse("cef", text)


@settings(max_examples=2000, deadline=None)
@given(hostile_lines(SAMPLES))
def test_cef_hostile_input_never_crashes(text: str) -> None:
    survives("cef", text)
