"""Suricata EVE JSON → ECS: timestamps, event types and Elastic's suricata.eve mapping."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.ecs import EcsEvent, get_field
from services.normalizer.core import Normalizer
from services.normalizer.parsers import suricata
from services.normalizer.parsers.base import ParseContext, ParseError
from tests.conftest import load_cases
from tests.unit.normalizer.factories import ABSENT, assert_fields, raw_event

CTX = ParseContext(datetime(2026, 3, 2, 12, 0, tzinfo=UTC), UTC)
FLOW = {"timestamp": "2026-03-02T10:00:00.500000+0100", "flow_id": 1234567890123,
        "src_ip": "192.0.2.10", "src_port": 51000, "dest_ip": "198.51.100.20", "dest_port": 443,
        "proto": "TCP"}  # fmt: skip


def eve(**fields: Any) -> str:
    return orjson.dumps({**FLOW, **fields}).decode()


CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("alert blocked", eve(event_type="alert", alert={
        "action": "blocked", "gid": 1, "signature_id": 2100498, "rev": 7,
        "signature": "GPL ATTACK_RESPONSE id check returned root",
        "category": "Potentially Bad Traffic", "severity": 2, "metadata": {"tag": ["x"]}}), {
        "@timestamp": "2026-03-02T09:00:00.500000Z", "event.kind": "alert",
        "event.category": ["network", "intrusion_detection"], "event.type": ["denied"],
        "event.severity": 2, "rule.id": "2100498", "rule.category": "Potentially Bad Traffic",
        "rule.name": "GPL ATTACK_RESPONSE id check returned root",
        "message": "Potentially Bad Traffic", "source.ip": "192.0.2.10", "source.port": 51000,
        "destination.address": "198.51.100.20", "network.transport": "tcp",
        "network.community_id": "1:h8jA4F2CUsBNpO7lDiYAJMYHPMc=",
        "suricata.eve.flow_id": "1234567890123", "suricata.eve.alert.action": ABSENT,
        "suricata.eve.alert.severity": ABSENT, "suricata.eve.alert.metadata": {"tag": ["x"]},
        "suricata.eve.src_ip": ABSENT, "suricata.eve.timestamp": ABSENT,
        "event.dataset": "suricata.eve", "event.module": "suricata",
        "related.ip": ["192.0.2.10", "198.51.100.20"],
    }),
    ("dns v1 query", eve(event_type="dns", proto="UDP", dns={
        "type": "query", "id": 39339, "rrname": "www.example.com", "rrtype": "A", "tx_id": 0}), {
        "network.protocol": "dns", "event.type": ["protocol"], "dns.type": "query",
        "dns.id": "39339", "dns.question.name": "www.example.com", "dns.question.type": "A",
        "dns.answers": ABSENT, "network.transport": "udp",
    }),
    ("dns v1 answer", eve(event_type="dns", dns={
        "type": "answer", "id": 1, "rcode": "NOERROR", "rrname": "www.example.com",
        "rrtype": "A", "ttl": 47, "rdata": "203.0.113.9"}), {
        "dns.type": "answer", "dns.response_code": "NOERROR", "dns.question": ABSENT,
        "dns.answers": [{"name": "www.example.com", "data": "203.0.113.9", "type": "A",
                         "ttl": 47}],
        "dns.resolved_ip": ["203.0.113.9"],
        "related.ip": ["192.0.2.10", "198.51.100.20", "203.0.113.9"],
    }),
    ("dns v2 detailed answers", eve(event_type="dns", dns={
        "version": 2, "type": "answer", "id": 7, "flags": "8180", "qr": True, "rd": True,
        "ra": True, "rrname": "example.com", "rrtype": "A", "rcode": "NOERROR",
        "answers": [{"rrname": "example.com", "rrtype": "CNAME", "ttl": 5, "rdata": "b.example"},
                    {"rrname": "b.example", "rrtype": "AAAA", "ttl": 5, "rdata": "2001:db8::1"}],
        "grouped": {"AAAA": ["2001:db8::1"]}}), {
        "dns.question.name": "example.com", "dns.header_flags": ["RD", "RA"],
        "dns.answers": [{"name": "example.com", "type": "CNAME", "ttl": 5, "data": "b.example"},
                        {"name": "b.example", "type": "AAAA", "ttl": 5, "data": "2001:db8::1"}],
        "dns.resolved_ip": ["2001:db8::1"], "suricata.eve.dns.version": ABSENT,
        "suricata.eve.dns.grouped": ABSENT, "suricata.eve.dns.rd": ABSENT,
    }),
    ("http with status and url parts", eve(event_type="http", http={
        "hostname": "www.example.com", "url": "/search?q=a#top", "http_user_agent": "curl/8",
        "http_method": "GET", "protocol": "HTTP/1.1", "status": 404, "length": 39,
        "http_refer": "https://example.com/"}), {
        "event.category": ["network", "web"], "event.type": ["access", "protocol"],
        "event.outcome": "failure", "http.request.method": "GET",
        "http.response.status_code": 404, "http.response.body.bytes": 39,
        "http.request.referrer": "https://example.com/", "user_agent.original": "curl/8",
        "destination.domain": "www.example.com", "url.domain": "www.example.com",
        "url.original": "/search?q=a#top", "url.path": "/search", "url.query": "q=a",
        "url.fragment": "top", "related.hosts": ["www.example.com"],
        "suricata.eve.http.protocol": "HTTP/1.1", "suricata.eve.http.url": ABSENT,
    }),
    ("flow closed with counters", eve(event_type="flow", app_proto="failed", flow={
        "pkts_toserver": 5, "pkts_toclient": 4, "bytes_toserver": 626, "bytes_toclient": 338,
        "start": "2026-03-02T10:00:00.000100+0100", "end": "2026-03-02T10:00:01.000300+0100",
        "age": 1, "state": "closed", "reason": "timeout", "alerted": False}), {
        "event.type": ["connection", "end"], "source.packets": 5, "destination.packets": 4,
        "source.bytes": 626, "destination.bytes": 338, "network.bytes": 964,
        "network.packets": 9, "event.start": "2026-03-02T09:00:00.000100Z",
        "event.end": "2026-03-02T09:00:01.000300Z", "event.duration": 1_000_200_000,
        "network.protocol": ABSENT, "suricata.eve.flow.state": "closed",
    }),
    ("fileinfo", eve(event_type="fileinfo", app_proto="http", fileinfo={
        "filename": "/download/eicar.com", "state": "CLOSED", "stored": False, "size": 68}), {
        "file.path": "/download/eicar.com", "file.size": 68, "network.protocol": "http",
        "suricata.eve.fileinfo.state": "CLOSED",
    }),
    ("tls with empty issuer", eve(event_type="tls", tls={
        "subject": "C=US, ST=California, L=Mountain View, O=Example\\, Inc, CN=www.example.com",
        "issuerdn": "", "serial": "1A:00:0B", "fingerprint": "b9:c8:dc",
        "sni": "www.example.com.", "version": "TLSv1.3", "notbefore": "2025-09-11T04:59:57",
        "notafter": "2026-09-11T04:59:57", "ja3": {"hash": "e7d7", "string": "771"},
        "ja3s": {"hash": "f4c1"}}), {
        "tls.version": "1.3", "tls.version_protocol": "tls",
        "tls.server.subject": "C=US, ST=California, L=Mountain View, O=Example\\, Inc, "
                              "CN=www.example.com",
        "tls.server.issuer": ABSENT, "tls.server.x509.issuer": ABSENT,
        "tls.server.x509.subject.organization": ["Example, Inc"],
        "tls.server.x509.subject.state_or_province": ["California"],
        "tls.server.hash.sha1": "B9C8DC", "tls.server.x509.serial_number": "1A000B",
        "tls.server.not_before": "2025-09-11T04:59:57Z",
        "tls.server.x509.not_after": "2026-09-11T04:59:57Z",
        "tls.client.server_name": "www.example.com", "destination.domain": "www.example.com",
        "tls.client.ja3": "e7d7", "tls.server.ja3s": "f4c1",
        "related.hash": ["B9C8DC", "f4c1", "e7d7"], "related.hosts": ["www.example.com"],
        "suricata.eve.tls.issuerdn": "",
    }),
    ("stats kept as a metric", orjson.dumps({"timestamp": "2026-03-02T10:00:00.000000+0000",
        "event_type": "stats", "stats": {"uptime": 1, "decoder": {"pkts": 10}}}).decode(), {
        "event.kind": "metric", "suricata.eve.stats.decoder.pkts": 10, "source": ABSENT,
        "network.community_id": ABSENT,
    }),
    ("anomaly and unknown types are kept", eve(event_type="ANOMALY", anomaly={
        "type": "decode", "event": "ipv4.trunc_pkt"}), {
        "event.kind": "event", "event.category": ["network"], "event.type": ABSENT,
        "suricata.eve.event_type": "anomaly", "suricata.eve.anomaly.event": "ipv4.trunc_pkt",
    }),
    ("fields of the wrong type stay under suricata.eve", eve(event_type="alert", src_port="x",
        dest_ip="not-an-ip", alert={"severity": "high", "signature_id": True}), {
        "source.port": ABSENT, "destination.address": "not-an-ip", "destination.ip": ABSENT,
        "event.severity": ABSENT, "suricata.eve.alert.severity": "high", "rule": ABSENT,
    }),
]  # fmt: skip


@pytest.mark.parametrize(("name", "line", "expected"), CASES, ids=[c[0] for c in CASES])
def test_suricata_maps_fields(name: str, line: str, expected: dict[str, Any]) -> None:
    (doc,) = suricata.parse(line, CTX)
    assert_fields(doc, expected)


@pytest.mark.parametrize(
    ("stamp", "utc"),
    [
        ("2026-03-08T01:30:00.123456-0500", "2026-03-08T06:30:00.123456Z"),
        ("2026-03-08T01:30:00.123456+0530", "2026-03-07T20:00:00.123456Z"),
        ("2026-03-08T01:30:00.123456+05:30", "2026-03-07T20:00:00.123456Z"),
        ("2026-03-08T01:30:00.123456Z", "2026-03-08T01:30:00.123456Z"),
        ("2026-03-08T01:30:00+0000", "2026-03-08T01:30:00Z"),
    ],
)
def test_suricata_timestamp_offsets(stamp: str, utc: str) -> None:
    (doc,) = suricata.parse(eve(event_type="flow", timestamp=stamp), CTX)
    assert doc["@timestamp"] == utc


def test_suricata_bad_timestamp_leaves_receive_time_fallback() -> None:
    (doc,) = suricata.parse(eve(event_type="flow", timestamp="yesterday"), CTX)
    assert "@timestamp" not in doc and "timestamp" not in doc["suricata"]["eve"]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("not json", "not JSON"),
        ("[1, 2]", "no event_type"),
        ('{"timestamp": "2026-03-02T10:00:00+0000"}', "no event_type"),
        ('{"event_type": 5}', "no event_type"),
    ],
)
def test_suricata_rejects_non_eve(text: str, reason: str) -> None:
    with pytest.raises(ParseError, match=reason):
        suricata.parse(text, CTX)


def test_suricata_bug_report_case_negative_offset() -> None:
    case = load_cases().get("suricata-eve-negative-offset")
    if case is None:
        pytest.skip("bug-report case suricata-eve-negative-offset is absent")
    normalizer = Normalizer()
    for n, (line, expected) in enumerate(zip(case["input"], case["expected"], strict=True)):
        (event,) = normalizer.handle(raw_event(line, id=f"case-{n}", format="suricata"))
        assert isinstance(event, EcsEvent)
        for path, want in expected.items():
            assert get_field(event.doc, path) == want, path


SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
VALUES = (
    SCALARS
    | st.lists(SCALARS, max_size=3)
    | st.dictionaries(st.text(max_size=5), SCALARS, max_size=3)
)
KEYS = ("timestamp", "src_ip", "src_port", "dest_ip", "dest_port", "proto", "flow_id",
        "app_proto", "event_type", "type", "version", "rrname", "rrtype", "rdata", "answers",
        "queries", "status", "url", "hostname", "subject", "issuerdn", "notbefore", "start",
        "end", "severity", "action", "signature_id", "sni", "ja3", "state", "pkts_toserver",
        "filename")  # fmt: skip


@settings(max_examples=3000, deadline=None)
@given(
    base=st.sampled_from([case[1] for case in CASES]),
    changes=st.lists(st.tuples(st.sampled_from(KEYS), VALUES, st.booleans()), max_size=4),
)
def test_suricata_mutated_events_never_crash(
    base: str, changes: list[tuple[str, Any, bool]]
) -> None:
    record = orjson.loads(base)
    for key, value, nested in changes:
        inner = record.get(str(record.get("event_type")))
        target = inner if nested and isinstance(inner, dict) else record
        target[key] = value
    try:
        (doc,) = suricata.parse(orjson.dumps(record).decode(), CTX)
    except ParseError:
        return
    orjson.dumps(doc)


@settings(max_examples=1000, deadline=None)
@given(text=st.text(max_size=200))
def test_suricata_random_text_never_crashes(text: str) -> None:
    try:
        suricata.parse(text, CTX)
    except ParseError:
        pass


def test_suricata_counter_sums_stay_within_64_bits() -> None:
    big = 2**64 - 1
    flow = {"bytes_toserver": big, "bytes_toclient": big, "pkts_toserver": 1, "pkts_toclient": 2}
    (doc,) = suricata.parse(eve(event_type="flow", flow=flow), CTX)
    assert doc["source"]["bytes"] == big and "bytes" not in doc["network"]
    assert doc["network"]["packets"] == 3
    orjson.dumps(doc)
