"""PAN-OS syslog CSV → ECS: field positions, quoting, types and Elastic's panw.panos mapping."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.ecs import EcsEvent, get_field
from services.normalizer.core import Normalizer, zone
from services.normalizer.parsers import paloalto
from services.normalizer.parsers.base import ParseContext, ParseError
from tests.conftest import load_cases
from tests.unit.normalizer.factories import ABSENT, assert_fields, raw_event

CTX = ParseContext(datetime(2026, 3, 2, 12, 0, tzinfo=UTC), UTC)
HEADER = "<14>Mar  2 12:00:00 fw-a "
TRAFFIC = (
    "1,2026/03/02 12:00:00,012345678901,TRAFFIC,end,2561,2026/03/02 12:00:01,192.0.2.10,"
    "198.51.100.20,203.0.113.5,198.51.100.20,allow-out,example\\user2,,ssl,vsys1,trust,untrust,"
    "ethernet1/2,ethernet1/1,fwd,2026/03/02 12:00:00,4242,1,51000,443,41000,443,0x400019,tcp,"
    "allow,5000,1000,4000,20,2026/03/02 11:59:50,10,computer-and-internet-info,0,7,0x0,"
    "192.168.0.0-192.168.255.255,United States,0,12,8,tcp-fin,0,0,0,0,,fw-a,from-policy"
)
THREAT_VIRUS = (
    "1,2026/03/02 12:00:00,012345678901,THREAT,virus,2561,2026/03/02 12:00:00,198.51.100.7,"
    "192.0.2.10,0.0.0.0,0.0.0.0,inbound-web,,user@example.com,web-browsing,vsys1,untrust,trust,"
    "ethernet1/1,ethernet1/2,fwd,2026/03/02 12:00:00,777,1,80,52000,0,0,0x2000,tcp,reset-both,"
    '"files/eicar.com",Eicar Test File(39040),any,medium,server-to-client,8,0x0,United States,'
    "192.168.0.0-192.168.255.255,0,,0,44d88612fea8a8f36de82e1278abb02f,,0,,,"
)
SYSTEM = (
    "1,2026/03/02 12:00:00,012345678901,SYSTEM,general,0,2026/03/02 12:00:00,, general,,0,0,"
    "general,informational, User admin logged in via Web from 192.0.2.50 using https,9,0x0,0,0,"
    "0,0,,fw-a,0,0,"
)
CONFIG = (
    "1,2026/03/02 12:00:00,012345678901,CONFIG,0,0,2026/03/02 12:00:00,192.0.2.50,,edit,admin,"
    "Web,Succeeded, config shared,,,9,0x0,0,0,0,0,,fw-a"
)

CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("traffic end with NAT and a domain user", HEADER + TRAFFIC, {
        "@timestamp": "2026-03-02T12:00:00Z",
        "event.dataset": "panw.panos", "event.module": "panw", "event.kind": "event",
        "event.category": ["network"], "event.type": ["allowed", "end", "connection"],
        "event.action": "allow", "event.outcome": "success",
        "event.start": "2026-03-02T11:59:50Z", "event.duration": 10_000_000_000,
        "event.end": "2026-03-02T12:00:00Z",
        "source.ip": "192.0.2.10", "source.port": 51000, "source.nat.ip": "203.0.113.5",
        "source.nat.port": 41000, "destination.ip": "198.51.100.20", "destination.port": 443,
        "source.bytes": 1000, "destination.bytes": 4000, "network.bytes": 5000,
        "network.packets": 20, "source.packets": 12, "destination.packets": 8,
        "source.user.name": "example\\user2", "source.user.domain": "example",
        "user.name": "example\\user2", "destination.user.name": ABSENT,
        "network.transport": "tcp", "network.application": "ssl", "network.type": "ipv4",
        "observer.hostname": "fw-a", "observer.serial_number": "012345678901",
        "observer.vendor": "Palo Alto Networks", "observer.ingress.zone": "trust",
        "observer.egress.interface.name": "ethernet1/1", "rule.name": "allow-out",
        "labels.nat_translated": True, "destination.geo.name": "United States",
        "panw.panos.endreason": "tcp-fin", "panw.panos.repeat_count": 1,
        "panw.panos.source.ip": ABSENT, "panw.panos.bytes_sent": ABSENT,
        "related.ip": ["192.0.2.10", "203.0.113.5", "198.51.100.20"],
        "related.user": ["example\\user2"], "related.hosts": ["fw-a"],
        "log.syslog.priority": 14,
    }),
    ("threat virus, server-to-client, no NAT, quoted file", THREAT_VIRUS, {
        "event.kind": "alert", "event.category": ["intrusion_detection", "threat", "network"],
        "event.action": "reset-both", "event.type": ["denied"], "event.outcome": "failure",
        "event.severity": 3, "log.level": "medium", "network.direction": "outbound",
        "panw.panos.direction": "server-to-client", "source.nat": ABSENT,
        "destination.nat": ABSENT, "destination.user.name": "user@example.com",
        "destination.user.domain": "example.com", "file.name": "eicar.com",
        "file.path": "files/eicar.com", "panw.panos.threat.name": "Eicar Test File",
        "panw.panos.threat.id": "Eicar Test File(39040)", "labels.temporary_match": True,
        "related.hash": ["44d88612fea8a8f36de82e1278abb02f"], "observer.hostname": ABSENT,
        "log.syslog": ABSENT,
    }),
    ("system log, blank-padded columns trimmed", SYSTEM, {
        "event.category": ["configuration"], "event.code": "general", "log.level": "informational",
        "event.severity": 5, "observer.hostname": "fw-a",
        "panw.panos.description": "User admin logged in via Web from 192.0.2.50 using https",
        "panw.panos.module": "general", "panw.panos.sub_type": "general",
    }),
    ("config edit by an admin", CONFIG, {
        "event.action": "cmd-edit", "event.outcome": "success", "user.name": "admin",
        "host.ip": ["192.0.2.50"], "related.ip": ["192.0.2.50"], "related.user": ["admin"],
        "panw.panos.path": " config shared", "observer.hostname": "fw-a",
    }),
    ("unmapped log type keeps the common fields", "1,2026/03/02 12:00:00,0123,HIPMATCH,0,0,"
     "2026/03/02 12:00:00,host-1,vsys1", {
        "panw.panos.type": "HIPMATCH", "event.kind": "event", "observer.serial_number": "0123",
        "@timestamp": "2026-03-02T12:00:00Z",
    }),
]  # fmt: skip


@pytest.mark.parametrize(("name", "line", "expected"), CASES, ids=[c[0] for c in CASES])
def test_paloalto_maps_fields(name: str, line: str, expected: dict[str, Any]) -> None:
    (doc,) = paloalto.parse(line, CTX)
    assert_fields(doc, expected)


SPLITS = [
    ("a,b,c", ["a", "b", "c"]),
    ('a,"b,c",d', ["a", "b,c", "d"]),
    ('"say ""hi"", ok",x', ['say "hi", ok', "x"]),
    ("a,,c,", ["a", None, "c", None]),
    ("a,{link1,tag1,x},b", ["a", "{link1,tag1,x}", "b"]),
    ("a,{unbalanced,b", ["a", "{unbalanced", "b"]),
    ('a,"unclosed,b', ["a", '"unclosed', "b"]),
    ('a,"q"x,b', ["a", '"q"x', "b"]),
    ("", [None]),
]


@pytest.mark.parametrize(("text", "fields"), SPLITS)
def test_paloalto_split_csv(text: str, fields: list[str | None]) -> None:
    assert paloalto.split_csv(text) == fields


@pytest.mark.parametrize(
    "text",
    ["", "hello world", "<14>Mar  2 12:00:00 fw-a sshd[1]: Accepted", "1,2026-13,x,THREAT"],
)
def test_paloalto_rejects_non_panos_text(text: str) -> None:
    with pytest.raises(ParseError, match="no PAN-OS CSV record"):
        paloalto.parse(text, CTX)


def test_paloalto_receive_time_in_source_timezone() -> None:
    ctx = ParseContext(CTX.received_at, zone("-05:00"))
    (doc,) = paloalto.parse(TRAFFIC, ctx)
    assert doc["@timestamp"] == "2026-03-02T17:00:00Z"
    assert doc["panw"]["panos"]["generated_time"] == "2026-03-02T17:00:01Z"


def test_paloalto_high_resolution_timestamp_wins_unless_placeholder() -> None:
    fields = TRAFFIC.split(",") + [""] * 60
    position = len(paloalto.layout.COMMON) + paloalto.layout.TRAFFIC.index("_high_res_timestamp")
    fields[position] = "2026-03-02T12:00:00.123+01:00"
    (doc,) = paloalto.parse(",".join(fields), CTX)
    assert doc["@timestamp"] == "2026-03-02T11:00:00.123Z"
    fields[position] = "1969-12-31T16:00:00.000-08:00"
    (doc,) = paloalto.parse(",".join(fields), CTX)
    assert doc["@timestamp"] == "2026-03-02T12:00:00Z"


def test_paloalto_url_split_like_elastic() -> None:
    line = THREAT_VIRUS.replace(",virus,", ",url,").replace(
        '"files/eicar.com"', '"www.example.com:8443/a/b.php?x=1,2"'
    )
    (doc,) = paloalto.parse(line, CTX)
    assert doc["url"] == {
        "original": "www.example.com:8443/a/b.php?x=1,2", "domain": "www.example.com",
        "port": 8443, "path": "/a/b.php", "query": "x=1,2", "extension": "php",
    }  # fmt: skip
    assert "domain" not in doc["destination"]  # Elastic sets it only for a URL without a port


# ---- bug-report case panos-csv-quoted-comma --------------------------------------------------


def test_paloalto_bug_report_case_quoted_comma() -> None:
    case = load_cases().get("panos-csv-quoted-comma")
    if case is None:
        pytest.skip("bug-report case panos-csv-quoted-comma is absent")
    expected = {k: v for k, v in case["expected"].items() if k != "note"}
    assert len(paloalto.record_fields(case["input"])) == expected.pop("csv_field_count")
    (event,) = Normalizer().handle(raw_event(case["input"], format="paloalto"))
    assert isinstance(event, EcsEvent)
    for path, want in expected.items():  # null means "no value": absent
        assert get_field(event.doc, path) == want, path


# ---- robustness ------------------------------------------------------------------------------

VALID = [HEADER + TRAFFIC, THREAT_VIRUS, SYSTEM, CONFIG]


@settings(max_examples=1500, deadline=None)
@given(
    base=st.sampled_from(VALID),
    cut=st.integers(min_value=0, max_value=600),
    insert=st.text(alphabet=',"{}\\ \t\n0123456789:./-x\u00e9\x00', max_size=12),
)
def test_paloalto_mutated_records_never_crash(base: str, cut: int, insert: str) -> None:
    text = base[:cut] + insert + base[cut:]
    try:
        docs = paloalto.parse(text, CTX)
    except ParseError:
        return
    assert len(docs) == 1
    orjson.dumps(docs[0])  # the document can be published


@settings(max_examples=1000, deadline=None)
@given(text=st.text(max_size=300))
def test_paloalto_random_text_never_crashes(text: str) -> None:
    try:
        paloalto.parse(text, CTX)
    except ParseError:
        pass


def test_paloalto_numbers_stay_within_what_json_encoders_write() -> None:
    fields = TRAFFIC.split(",")
    layout = paloalto.layout
    at = {name: len(layout.COMMON) + layout.TRAFFIC.index(name) for name in layout.TRAFFIC}
    fields[at["repeat_count"]] = "9" * 30
    fields[at["elapsed_time"]] = "9" * 20
    fields[at["start_time"]] = "9999/12/31 23:59:59"
    (doc,) = paloalto.parse(",".join(fields), CTX)
    assert doc["panw"]["panos"]["repeat_count"] == "9" * 30  # kept as written, not a number
    assert "duration" not in doc["event"] and "end" not in doc["event"]
    fields[at["elapsed_time"]] = "10"
    (doc,) = paloalto.parse(",".join(fields), CTX)
    assert doc["event"]["start"] == "9999-12-31T23:59:59Z" and "end" not in doc["event"]
    orjson.dumps(doc)
