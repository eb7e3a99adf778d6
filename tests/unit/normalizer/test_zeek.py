"""Zeek TSV batches and JSON lines → ECS: header state, value types and Elastic's zeek mapping."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.ecs import EcsEvent
from services.normalizer.core import Normalizer
from services.normalizer.parsers import zeek
from services.normalizer.parsers.base import ParseContext, ParseError
from tests.unit.normalizer.factories import ABSENT, assert_fields, raw_event

CTX = ParseContext(datetime(2026, 3, 2, 12, 0, tzinfo=UTC), UTC)


def tsv(path: str, fields: str, types: str, *rows: str) -> str:
    """A Zeek ASCII log as the writer makes it (fields, types and rows tab-separated by spaces)."""
    header = [
        "#separator \\x09", "#set_separator\t,", "#empty_field\t(empty)", "#unset_field\t-",
        f"#path\t{path}", "#open\t2026-03-02-12-00-00",
        "#fields\t" + "\t".join(fields.split()), "#types\t" + "\t".join(types.split()),
    ]  # fmt: skip
    return "\n".join([*header, *("\t".join(row.split(" | ")) for row in rows), "#close\tx"])


CONN = tsv(
    "conn",
    "ts uid id.orig_h id.orig_p id.resp_h id.resp_p proto service duration orig_bytes resp_bytes "
    "conn_state local_orig local_resp missed_bytes history orig_pkts orig_ip_bytes resp_pkts "
    "resp_ip_bytes tunnel_parents",
    "time string addr port addr port enum string interval count count string bool bool count "
    "string count count count count set[string]",
    "1772452800.250000 | CHhAvVGS1DHFjwGM9 | 192.0.2.10 | 51000 | 198.51.100.20 | 443 | tcp | "
    "ssl | 1.5 | 100 | 200 | SF | T | F | 0 | ShADadFf | 5 | 300 | 4 | 400 | (empty)",
    "1772452801.000000 | C2 | 192.0.2.11 | 8 | 198.51.100.21 | 0 | icmp | - | - | - | - | OTH | "
    "F | F | 0 | - | 1 | 84 | 0 | 0 | -",
)
DNS = tsv(
    "dns",
    "ts uid id.orig_h id.orig_p id.resp_h id.resp_p proto trans_id rtt query qclass qclass_name "
    "qtype qtype_name rcode rcode_name AA TC RD RA Z answers TTLs rejected",
    "time string addr port addr port enum count interval string count string count string count "
    "string bool bool bool bool count vector[string] vector[interval] bool",
    "1772452800.000000 | C3 | 192.0.2.10 | 40526 | 198.51.100.53 | 53 | udp | 26096 | 0.000392 | "
    "www.example.com | 1 | C_INTERNET | 1 | A | 0 | NOERROR | F | F | T | T | 0 | "
    "cdn.example.net,203.0.113.7 | 124.000000,2156.000000 | F",
)
HTTP = tsv(
    "http",
    "ts uid id.orig_h id.orig_p id.resp_h id.resp_p trans_depth method host uri user_agent "
    "request_body_len response_body_len status_code username tags",
    "time string addr port addr port count string string string string count count count string "
    "set[enum]",
    "1772452800.000000 | C4 | 192.0.2.10 | 46566 | 198.51.100.80 | 80 | 1 | PUT | www.example.com "
    "| /dav/file.txt?x=1 | Microsoft-WebDAV-MiniRedir | 10 | 0 | 403 | alice | (empty)",
)
SSL = tsv(
    "ssl",
    "ts uid id.orig_h id.orig_p id.resp_h id.resp_p version cipher curve server_name resumed "
    "established subject issuer validation_status ja3",
    "time string addr port addr port string string string string bool bool string string string "
    "string",
    "1772452800.000000 | C5 | 192.0.2.10 | 37680 | 198.51.100.44 | 443 | TLSv12 | "
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 | x25519 | www.example.com | F | T | "
    "CN=www.example.com,O=Example\\\\, Inc,C=US | CN=Example CA,O=Example | ok | 6734f3",
)
SSH = tsv(
    "ssh",
    "ts uid id.orig_h id.orig_p id.resp_h id.resp_p version auth_success auth_attempts direction "
    "client server cipher_alg kex_alg",
    "time string addr port addr port count bool count enum string string string string",
    "1772452800.000000 | C6 | 192.0.2.10 | 51880 | 198.51.100.22 | 22 | 2 | F | 3 | OUTBOUND | "
    "SSH-2.0-OpenSSH_9.6 | SSH-2.0-OpenSSH_8.9 | aes128-ctr | curve25519-sha256",
)
NOTICE = tsv(
    "notice",
    "ts uid id.orig_h id.orig_p id.resp_h id.resp_p proto note msg sub src dst p actions "
    "suppress_for",
    "time string addr port addr port enum enum string string addr addr port set[enum] interval",
    "1772452800.000000 | - | - | - | - | - | - | SSH::Password_Guessing | "
    "192.0.2.66 appears to be guessing SSH passwords | Sampled servers: 198.51.100.22 | "
    "192.0.2.66 | - | - | Notice::ACTION_LOG | 3600.000000",
)

CASES: list[tuple[str, str, str | None, int, dict[str, Any]]] = [
    ("conn tcp", CONN, None, 0, {
        "@timestamp": "2026-03-02T12:00:00.250000Z", "event.dataset": "zeek.connection",
        "event.module": "zeek", "event.category": ["network"],
        "event.type": ["connection", "start", "end"], "event.duration": 1_500_000_000,
        "source.ip": "192.0.2.10", "source.port": 51000, "destination.address": "198.51.100.20",
        "network.transport": "tcp", "network.protocol": "ssl", "network.direction": "outbound",
        "source.bytes": 300, "destination.bytes": 400, "network.bytes": 700,
        "source.packets": 5, "network.packets": 9, "zeek.session_id": "CHhAvVGS1DHFjwGM9",
        "zeek.connection.state": "SF",
        "zeek.connection.state_message": "Normal establishment and termination.",
        "zeek.connection.history": "ShADadFf", "zeek.connection.local_orig": True,
        "zeek.connection.orig_bytes": ABSENT, "zeek.connection.tunnel_parents": ABSENT,
        "zeek.connection.id": ABSENT, "zeek.connection.ts": ABSENT,
        "network.community_id": "1:h8jA4F2CUsBNpO7lDiYAJMYHPMc=",
        "related.ip": ["192.0.2.10", "198.51.100.20"],
    }),
    ("conn icmp: ports are type and code", CONN, None, 1, {
        "zeek.connection.icmp.type": 8, "zeek.connection.icmp.code": 0, "source.port": ABSENT,
        "network.direction": "external", "network.community_id": ABSENT,
        "zeek.connection.duration": ABSENT, "event.duration": ABSENT,
    }),
    ("dns answer", DNS, None, 0, {
        "event.dataset": "zeek.dns", "event.type": ["connection", "protocol", "info"],
        "network.protocol": "dns", "network.transport": "udp", "dns.type": "answer",
        "dns.id": "26096", "dns.question.name": "www.example.com", "dns.question.type": "A",
        "dns.question.class": "IN", "dns.response_code": "NOERROR",
        "dns.header_flags": ["RD", "RA"], "dns.answers": [
            {"data": "cdn.example.net", "ttl": 124}, {"data": "203.0.113.7", "ttl": 2156}],
        "dns.resolved_ip": ["203.0.113.7"], "event.duration": 392000, "event.outcome": "success",
        "zeek.dns.query": "www.example.com", "zeek.dns.Z": ABSENT,
        "related.ip": ["192.0.2.10", "198.51.100.53", "203.0.113.7"],
    }),
    ("http", HTTP, None, 0, {
        "event.category": ["network", "web"], "event.action": "PUT", "event.outcome": "failure",
        "http.request.method": "PUT", "http.response.status_code": 403,
        "http.request.body.bytes": 10, "url.domain": "www.example.com",
        "url.original": "/dav/file.txt?x=1", "url.path": "/dav/file.txt", "url.query": "x=1",
        "user_agent.original": "Microsoft-WebDAV-MiniRedir", "url.username": "alice",
        "user.name": "alice", "related.user": ["alice"], "zeek.http.tags": [],
        "zeek.http.trans_depth": 1, "zeek.http.method": ABSENT,
    }),
    ("ssl", SSL, None, 0, {
        "tls.version": "1.2", "tls.version_protocol": "tls",
        "tls.cipher": "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "tls.curve": "x25519",
        "tls.established": True, "tls.resumed": False, "tls.client.ja3": "6734f3",
        "tls.server.subject": "CN=www.example.com,O=Example\\, Inc,C=US",
        "tls.server.x509.subject.organization": ["Example, Inc"],
        "tls.server.x509.issuer.common_name": ["Example CA"],
        "zeek.ssl.server.name": "www.example.com", "zeek.ssl.validation.status": "ok",
        "client.address": "192.0.2.10", "server.address": "198.51.100.44",
        "related.hash": ["6734f3"],
    }),
    ("ssh failed authentication", SSH, None, 0, {
        "network.protocol": "ssh", "event.outcome": "failure", "zeek.ssh.auth.attempts": 3,
        "zeek.ssh.auth.success": False, "zeek.ssh.algorithm.cipher": "aes128-ctr",
        "zeek.ssh.algorithm.key_exchange": "curve25519-sha256", "zeek.ssh.direction": "OUTBOUND",
    }),
    ("notice", NOTICE, None, 0, {
        "event.kind": "alert", "event.category": ["intrusion_detection"], "event.type": ["info"],
        "rule.name": "SSH::Password_Guessing", "source.ip": "192.0.2.66",
        "rule.description": "192.0.2.66 appears to be guessing SSH passwords",
        "zeek.notice.actions": ["Notice::ACTION_LOG"], "zeek.notice.suppress_for": 3600.0,
        "zeek.session_id": ABSENT, "related.ip": ["192.0.2.66"],
    }),
    ("json with _path", orjson.dumps({"_path": "weird", "ts": "2026-03-02T12:00:00.5Z",
        "uid": "C7", "id.orig_h": "192.0.2.10", "id.orig_p": 1, "id.resp_h": "198.51.100.1",
        "id.resp_p": 80, "name": "bad_HTTP_request", "addl": "x", "notice": False}).decode(),
     None, 0, {
        "@timestamp": "2026-03-02T12:00:00.5Z", "event.dataset": "zeek.weird",
        "event.type": ["info"], "rule.name": "bad_HTTP_request",
        "zeek.weird.additional_info": "x", "zeek.weird.name": "bad_HTTP_request",
    }),
    ("json conn by format hint", orjson.dumps({"ts": 1772452800.5, "uid": "C8",
        "id.orig_h": "192.0.2.10", "id.orig_p": 5, "id.resp_h": "198.51.100.1", "id.resp_p": 53,
        "proto": "udp", "conn_state": "S0", "local_orig": False, "local_resp": True}).decode(),
     "conn", 0, {
        "@timestamp": "2026-03-02T12:00:00.500000Z", "event.dataset": "zeek.connection",
        "network.direction": "inbound", "event.type": ["connection", "start"],
    }),
    ("x509 by path", tsv("x509", "ts fingerprint certificate.serial certificate.subject "
        "certificate.not_valid_before san.dns", "time string string string time vector[string]",
        "1772452800.0 | 5d30 | 8BB00EE | CN=www.example.com,O=Example | 1348161979.000000 | "
        "www.example.com,example.com"), None, 0, {
        "zeek.x509.certificate.serial": "8BB00EE", "x509.serial_number": "8BB00EE",
        "x509.subject.common_name": ["www.example.com"],
        "x509.not_before": "2012-09-20T17:26:19Z",
        "x509.alternative_names": ["www.example.com", "example.com"],
    }),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "text", "log", "index", "expected"), CASES, ids=[c[0] for c in CASES]
)
def test_zeek_maps_fields(
    name: str, text: str, log: str | None, index: int, expected: dict[str, Any]
) -> None:
    docs = zeek.parse(text, CTX, log=log)
    assert_fields(docs[index], expected)


def test_zeek_tsv_batch_gives_one_document_per_data_line() -> None:
    batch = "### a comment\n" + CONN + "\n" + DNS  # two files concatenated: the header restarts
    docs = zeek.parse(batch, CTX)
    assert [d["event"]["dataset"] for d in docs] == ["zeek.connection"] * 2 + ["zeek.dns"]


def test_zeek_tsv_values_follow_the_header() -> None:
    text = (
        "#separator |\n#set_separator|;\n#empty_field|EMPTY\n#unset_field|NONE\n#path|files\n"
        "#fields|ts|fuid|analyzers|filename|seen_bytes|timedout|md5\n"
        "#types|time|string|set[string]|string|count|bool|string\n"
        "XXXXXXXXXX.XXXXXX|F1|MD5;SHA1|a\\x7cb\\\\c|NONE|T|EMPTY"
    )
    (doc,) = zeek.parse(text, CTX)
    assert "@timestamp" not in doc  # a test baseline's masked time is no time
    assert doc["zeek"]["files"] == {
        "fuid": "F1", "analyzers": ["MD5", "SHA1"], "filename": "a|b\\c", "timedout": True,
        "md5": "",
    }  # fmt: skip
    assert doc["file"] == {"name": "a|b\\c", "hash": {"md5": ""}}


def test_zeek_tsv_line_with_wrong_column_count_is_kept_as_an_error_document() -> None:
    text = CONN.replace("\tssl\t", "\t", 1)
    docs = zeek.parse(text, CTX)
    assert len(docs) == 2
    assert docs[0]["event"]["kind"] == "pipeline_error"
    assert docs[0]["error"]["message"] == "Zeek line has 20 columns, its #fields header 21"
    assert docs[1]["event"]["kind"] == "event"


@pytest.mark.parametrize(
    ("text", "log", "reason"),
    [
        ("1300475167.096535\tCHhAvVGS1DHFjwGM9\t192.0.2.1", None, "without its #fields header"),
        ("#fields\tts\tuid\n1.0\tC1", None, "without #path"),
        ("#separator \\x09\n#path\tconn\n#fields\tts\n#close\tx", None, "no Zeek data line"),
        ('{"ts": 1.0, "uid": "C1"}', None, "without _path"),
        ('{"ts": 1.0}\n{bad', "conn", "line 2 is not JSON"),
        ("[1]", None, "without its #fields header"),
        ('{"_path": "conn"}\n[1]', None, "line 2 is not a JSON object"),
    ],
)
def test_zeek_rejects_what_it_cannot_read(text: str, log: str | None, reason: str) -> None:
    with pytest.raises(ParseError, match=reason):
        zeek.parse(text, CTX, log=log)


def test_zeek_through_the_normalizer_with_a_log_hint() -> None:
    line = orjson.dumps({"ts": 1772452800.0, "uid": "C9", "query": "www.example.com"}).decode()
    (event,) = Normalizer().handle(raw_event(line, format="zeek.dns"))
    assert isinstance(event, EcsEvent)
    assert event.doc["event"]["dataset"] == "zeek.dns"
    assert event.doc["dns"]["question"]["name"] == "www.example.com"


@settings(max_examples=1500, deadline=None)
@given(
    base=st.sampled_from([CONN, DNS, HTTP, SSL, SSH, NOTICE]),
    cut=st.integers(min_value=0, max_value=900),
    insert=st.text(alphabet='\t\n#,-()\\x09.Tempty[]set{}"0123456789 ', max_size=12),
)
def test_zeek_mutated_batches_never_crash(base: str, cut: int, insert: str) -> None:
    try:
        docs = zeek.parse(base[:cut] + insert + base[cut:], CTX)
    except ParseError:
        return
    assert docs
    orjson.dumps(docs)


VALUES = st.none() | st.booleans() | st.integers(-(2**63), 2**63) | st.text(max_size=15) | (
    st.floats(allow_nan=False, allow_infinity=False)
) | st.lists(st.text(max_size=5) | st.integers(0, 99), max_size=3)  # fmt: skip


@settings(max_examples=1500, deadline=None)
@given(
    path=st.sampled_from(["conn", "dns", "http", "ssl", "ssh", "notice", "weird", "files", "x509"]),
    record=st.dictionaries(
        st.sampled_from(
            [
                "ts",
                "uid",
                "id.orig_h",
                "id.orig_p",
                "id.resp_h",
                "id.resp_p",
                "proto",
                "conn_state",
                "local_orig",
                "local_resp",
                "duration",
                "orig_ip_bytes",
                "resp_ip_bytes",
                "answers",
                "TTLs",
                "qclass",
                "rcode_name",
                "uri",
                "status_code",
                "version",
                "subject",
                "auth_success",
                "src",
                "p",
                "dropped",
                "certificate.not_valid_before",
                "san.dns",
                "certificate",
            ]
        ),
        VALUES,
        max_size=8,
    ),  # fmt: skip
)
def test_zeek_hostile_json_never_crashes(path: str, record: dict[str, Any]) -> None:
    try:
        docs = zeek.parse(orjson.dumps({"_path": path, **record}).decode(), CTX)
    except ParseError:
        return
    orjson.dumps(docs)


def test_zeek_numbers_stay_within_what_json_encoders_write() -> None:
    text = tsv(
        "conn", "ts orig_ip_bytes resp_ip_bytes missed_bytes duration",
        "time count count count interval",
        f"1.0 | {2**64 - 1} | 1 | {2**64} | 99999999999.5",
    )  # fmt: skip
    (doc,) = zeek.parse(text, CTX)
    assert doc["source"]["bytes"] == 2**64 - 1 and "bytes" not in doc.get("network", {})
    assert doc["zeek"]["connection"]["missed_bytes"] == str(2**64)  # kept as written
    assert "duration" not in doc["event"]
    orjson.dumps(doc)
