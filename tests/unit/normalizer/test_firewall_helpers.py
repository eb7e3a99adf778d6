"""Helpers shared by the firewall parsers: network fields, field tables, CEF/LEEF pieces, epoch
times and the syslog header split."""

from __future__ import annotations

from datetime import UTC
from typing import Any

import pytest

from schemas.ecs import get_field
from services.normalizer.parsers import ParseContext, fieldmap, interchange, network, syslog
from services.normalizer.parsers.timestamps import parse_epoch
from tests.unit.normalizer.factories import RECEIVED

CTX = ParseContext(RECEIVED, UTC)


@pytest.mark.parametrize(
    ("value", "fields"),
    [
        ("TCP", {"transport": "tcp", "iana_number": "6"}),
        ("17", {"transport": "udp", "iana_number": "17"}),
        ("006", {"transport": "tcp", "iana_number": "6"}),
        ("icmpv6", {"transport": "ipv6-icmp", "iana_number": "58"}),
        ("253", {"iana_number": "253"}),
        ("Foo", {"transport": "foo"}),
        ("²", {"transport": "²"}),
        ("", {}),
    ],
)
def test_network_transport_fields(value: str, fields: dict[str, str]) -> None:
    assert network.transport_fields(value) == fields


@pytest.mark.parametrize(
    ("source", "destination", "direction"),
    [
        ("10.0.0.1", "172.16.0.1", "internal"),
        ("192.168.1.1", "198.51.100.1", "outbound"),
        ("203.0.113.1", "10.1.1.1", "inbound"),
        ("192.0.2.1", "198.51.100.1", "external"),
        ("fd00::1", "2001:db8::1", "outbound"),
        ("bogus", "10.0.0.1", "inbound"),
    ],
)
def test_network_direction_uses_elastic_private_ranges(
    source: str, destination: str, direction: str
) -> None:
    assert network.direction(source, destination) == direction


@pytest.mark.parametrize(
    ("value", "ip", "port", "integer"),
    [
        ("443", False, 443, 443),
        ("65536", False, None, 65536),
        ("-5", False, None, -5),
        ("192.0.2.1", True, None, None),
        ("2001:db8::1", True, None, None),
        ("٣", False, None, None),
        ("", False, None, None),
        ("1" * 19, False, None, None),
    ],
)
def test_network_value_checks(value: str, ip: bool, port: int | None, integer: int | None) -> None:
    assert (network.is_ip(value), network.port(value), network.integer(value)) == (
        ip, port, integer)  # fmt: skip


def test_network_related_keeps_first_occurrences_only() -> None:
    doc: dict[str, Any] = {}
    network.add_related(doc, "ip", "192.0.2.1", None, "", "192.0.2.2", "192.0.2.1")
    assert doc == {"related": {"ip": ["192.0.2.1", "192.0.2.2"]}}


def test_fieldmap_first_present_key_wins_and_leaves_the_vendor_side() -> None:
    table: fieldmap.Table = {"unauth": ("source.user.name", str), "user": ("source.user.name", str),
                             "port": ("source.port", network.port)}  # fmt: skip
    fields = {"user": "bob", "unauth": "alice", "port": "http", "other": "x"}
    doc: dict[str, Any] = {}
    fieldmap.move(doc, fields, fieldmap.plan(table))
    assert doc == {"source": {"user": {"name": "alice"}}}
    assert fields == {"user": "bob", "port": "http", "other": "x"}  # unmapped values stay


def test_fieldmap_keep_copies_instead_of_moving() -> None:
    fields = {"eapuser": "alice"}
    doc: dict[str, Any] = {}
    fieldmap.move(doc, fields, fieldmap.plan({"eapuser": ("user.name", str)}), keep={"eapuser"})
    assert doc == {"user": {"name": "alice"}} and fields == {"eapuser": "alice"}


@pytest.mark.parametrize(
    ("text", "count", "result"),
    [
        ("a|b\\|c|d\\\\|rest", 3, (["a", "b|c", "d\\"], 11)),
        ("a|b", 2, None),
        ("||", 2, (["", ""], 2)),
    ],
)
def test_interchange_header_fields(text: str, count: int, result: Any) -> None:
    assert interchange.header_fields(text, 0, count) == result


@pytest.mark.parametrize(
    ("value", "moment"),
    [
        ("1772359200000", "2026-03-01T10:00:00.000Z"),
        ("1772359200", "2026-03-01T10:00:00Z"),
        ("Mar  1 2026 10:00:00", "2026-03-01T10:00:00Z"),
        ("Mar 01 2026 10:00:00.5 GMT", "2026-03-01T10:00:00.5Z"),
        ("2026-03-01 10:00:00", "2026-03-01T10:00:00Z"),
        ("123", None),
        ("soon", None),
    ],
)
def test_interchange_vendor_time(value: str, moment: str | None) -> None:
    assert interchange.vendor_time(value, CTX) == moment


@pytest.mark.parametrize(
    ("value", "moment"),
    [
        ("0", "1970-01-01T00:00:00Z"),
        ("1772359200", "2026-03-01T10:00:00Z"),
        ("1772359200001", "2026-03-01T10:00:00.001Z"),
        ("1772359200000001", "2026-03-01T10:00:00.000001Z"),
        ("1772359200000000001", "2026-03-01T10:00:00.000000001Z"),
        ("99999999999999999999", None),
        ("12a", None),
        ("", None),
        ("١٢", None),
    ],
)
def test_timestamps_parse_epoch_reads_the_unit_from_the_length(
    value: str, moment: str | None
) -> None:
    assert parse_epoch(value) == moment


@pytest.mark.parametrize(
    ("text", "fields", "message"),
    [
        ("<134>Mar  1 10:00:00 fw-a rest of it", {"log.syslog.hostname": "fw-a"}, "rest of it"),
        ("<189>date=2026-03-01", {"log.syslog.priority": 189}, "date=2026-03-01"),
        ("no header at all", {}, "no header at all"),
    ],
)
def test_syslog_split_header(text: str, fields: dict[str, Any], message: str) -> None:
    header, rest = syslog.split_header(text, CTX)
    assert rest == message and "message" not in header and "event" not in header
    assert all(get_field(header, path) == want for path, want in fields.items())


@pytest.mark.parametrize(
    ("message", "result"),
    [
        ("message repeated 3 times: [ inner text]", (3, "inner text")),
        ("last message repeated 2 times", (2, "last message repeated 2 times")),
        ("plain", (None, "plain")),
    ],
)
def test_syslog_unwrap_repeated(message: str, result: tuple[int | None, str]) -> None:
    assert syslog.unwrap_repeated(message) == result
