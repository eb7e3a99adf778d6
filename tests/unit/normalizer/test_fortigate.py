"""FortiGate FortiOS key=value → ECS: tokenizer safety, log types, times and Elastic's mapping."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings

from schemas.ecs import get_field
from services.normalizer.core import Normalizer
from services.normalizer.parsers import ParseError, kv
from tests.unit.normalizer.factories import ABSENT, assert_fields, raw_event
from tests.unit.normalizer.firewall_support import (
    case_lines,
    hostile_lines,
    normalize,
    parse,
    survives,
)

H = "<189>"
DEV = 'devname="fw-a" devid="FGT60F0000000000" vd="root"'
TRAFFIC_DENY = (
    f'{H}date=2026-03-01 time=10:00:00 {DEV} logid="0000000013" type="traffic" subtype="forward" '
    'level="notice" srcip=192.0.2.10 srcport=51515 srcintf="port2" dstip=198.51.100.80 '
    'dstport=443 dstintf="port1" proto=6 service="HTTPS" action="deny" policyid=7 '
    'poluuid="0c9e5e0a-0000-0000-0000-000000000000" policytype="policy" transip=203.0.113.5 '
    "transport=40000 sentbyte=100 rcvdbyte=300 sentpkt=1 rcvdpkt=2 duration=12 "
    'appcat="unscanned" tz="+0100"'
)
UTM_BLOCK = (
    f'{H}date=2026-03-01 time=10:00:00 {DEV} logid="0316013056" type="utm" subtype="webfilter" '
    'eventtype="ftgd_blk" level="warning" srcip=192.0.2.10 dstip=198.51.100.80 srcport=51000 '
    'dstport=443 action="blocked" hostname="www.example.com" url="https://www.example.com/a?b=1" '
    'profile="default" catdesc="Malicious.Websites" msg="URL belongs to a denied category"'
)
VPN_STATS = (
    f'{H}date=2026-03-01 time=10:00:00 {DEV} logid="0101037141" type="event" subtype="vpn" '
    'level="notice" action="tunnel-stats" remip=198.51.100.7 locip=192.0.2.1 remport=500 '
    'locport=500 user="198.51.100.7" xauthuser="alice" group="N/A" sentbyte=10 rcvdbyte=20 '
    'advpnsc=0 tunnelip=192.168.3.100 msg="IPsec tunnel statistics"'
)
ADMIN_LOGIN = (
    f'{H}date=2026-03-01 time=10:00:00 {DEV} logid="0100032002" type="event" subtype="system" '
    'level="alert" user="admin" srcip=192.0.2.50 dstip=192.0.2.1 action="login" status="failed" '
    'reason="passwd_invalid" logdesc="Admin login failed" '
    'msg="Administrator admin login failed from https(192.0.2.50) because of invalid password"'
)
CONFIG = (
    f'{H}date=2026-03-01 time=10:00:00 {DEV} logid="0100044547" type="event" subtype="system" '
    'level="information" user="admin" ui="https(192.0.2.50)" action="Add" cfgpath="system.admin" '
    'cfgobj="backdoor" msg="Add system.admin backdoor"'
)
SAMPLES = [TRAFFIC_DENY, UTM_BLOCK, VPN_STATS, ADMIN_LOGIN, CONFIG]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        pytest.param(
            TRAFFIC_DENY,
            {
                "event.module": "fortinet_fortigate",
                "event.dataset": "fortinet_fortigate.log",
                "event.kind": "event",
                "event.code": "0000000013",
                "event.action": "deny",
                "event.category": ["network"],
                "event.type": ["connection", "end", "denied"],
                "event.outcome": "success",
                "event.duration": 12_000_000_000,
                "event.timezone": "+0100",
                "@timestamp": "2026-03-01T09:00:00Z",
                "source.ip": "192.0.2.10",
                "source.port": 51515,
                "source.bytes": 100,
                "source.packets": 1,
                "source.nat.ip": "203.0.113.5",
                "source.nat.port": 40000,
                "destination.ip": "198.51.100.80",
                "destination.port": 443,
                "destination.bytes": 300,
                "network.bytes": 400,
                "network.packets": 3,
                "network.iana_number": "6",
                "network.transport": "tcp",
                "network.protocol": "https",
                "network.direction": "external",
                "network.community_id": ABSENT,  # Elastic computes none for FortiGate
                "observer.name": "fw-a",
                "observer.serial_number": "FGT60F0000000000",
                "observer.vendor": "Fortinet",
                "observer.product": "Fortigate",
                "observer.type": "firewall",
                "observer.ingress.interface.name": "port2",
                "observer.egress.interface.name": "port1",
                "rule.id": "7",
                "rule.uuid": "0c9e5e0a-0000-0000-0000-000000000000",
                "rule.ruleset": "policy",
                "rule.category": "unscanned",
                "log.level": "notice",
                "log.syslog.priority": 189,
                "related.ip": ["192.0.2.10", "198.51.100.80", "203.0.113.5"],
                "fortinet.firewall.srcip": ABSENT,
                "fortinet.firewall.subtype": "forward",
            },
            id="traffic-deny-nat",
        ),
        pytest.param(
            UTM_BLOCK,
            {
                "event.action": "ftgd_blk",
                "event.type": ["denied"],
                "event.category": ["network"],
                "url.domain": "www.example.com",
                "url.original": "https://www.example.com/a?b=1",
                "url.scheme": "https",
                "url.path": "/a",
                "url.query": "b=1",
                "rule.ruleset": "default",
                "rule.category": "Malicious-Websites",
                "message": "URL belongs to a denied category",
                "fortinet.firewall.action": "blocked",
            },
            id="utm-webfilter-blocked",
        ),
        pytest.param(
            VPN_STATS,
            {
                "source.ip": "198.51.100.7",
                "source.port": 500,
                "source.bytes": 20,
                "source.user.name": "alice",
                "destination.ip": "192.0.2.1",
                "destination.bytes": 10,
                "event.category": ["network"],
                "event.type": ["connection"],
                "event.action": "FortiGate-event-conn-stats",
                "fortinet.firewall.xauthuser": "alice",
                "fortinet.firewall.group": ABSENT,
                "fortinet.firewall.advpnsc": False,
                "related.ip": ["198.51.100.7", "192.0.2.1", "192.168.3.100"],
                "related.user": ["alice"],
            },
            id="vpn-remote-peer-is-source",
        ),
        pytest.param(
            ADMIN_LOGIN,
            {
                "event.action": "login",
                "event.category": ["authentication"],
                "event.outcome": "failure",
                "event.reason": "passwd_invalid",
                "user.name": "admin",
                "user.roles": ["Administrator"],
                "source.user.name": "admin",
                "rule.description": "Admin login failed",
                "related.user": ["admin"],
            },
            id="admin-login-failed",
        ),
        pytest.param(
            CONFIG,
            {
                "event.action": "FortiGate-event-config-objattr",
                "fortinet.firewall.action": "Add",
                "fortinet.firewall.cfgpath": "system.admin",
                "source.user.name": "admin",
                "event.category": ABSENT,
            },
            id="config-change",
        ),
    ],
)
def test_fortigate_maps_like_elastic(line: str, expected: dict[str, Any]) -> None:
    assert_fields(parse("fortigate", line), expected)


@pytest.mark.parametrize(
    ("prefix", "tz", "timestamp", "hostname"),
    [
        ("<189>", "", "2026-03-01T09:00:00Z", None),  # no tz: the source's zone (Paris)
        ("<189>", 'tz="-0700" ', "2026-03-01T17:00:00Z", None),
        ("<189>", 'tz="GMT+2:00" ', "2026-03-01T08:00:00Z", None),
        ("<189>", 'tz="UTC" ', "2026-03-01T10:00:00Z", None),
        ("2026-03-01T10:00:01.5+00:00 192.0.2.1 ", "", "2026-03-01T09:00:00Z", "192.0.2.1"),
        ("<189>Mar  1 10:00:01 fw-b ", "", "2026-03-01T09:00:00Z", "fw-b"),
    ],
)
def test_fortigate_time_from_date_time_tz(
    prefix: str, tz: str, timestamp: str, hostname: str | None
) -> None:
    line = f'{prefix}date=2026-03-01 time=10:00:00 {tz}logid="0000000013" type="traffic"'
    doc = parse("fortigate", line, timezone=ZoneInfo("Europe/Paris"))
    assert doc["@timestamp"] == timestamp
    assert get_field(doc, "observer.name") == hostname


@pytest.mark.parametrize(
    ("eventtime", "start"),
    [
        ("1772359200", "2026-03-01T10:00:00Z"),
        ("1772359200123", "2026-03-01T10:00:00.123Z"),
        ("1772359200123456", "2026-03-01T10:00:00.123456Z"),
        ("1772359200123456789", "2026-03-01T10:00:00.123456789Z"),
        ("not-a-time", None),
    ],
)
def test_fortigate_eventtime_keeps_its_precision(eventtime: str, start: str | None) -> None:
    doc = parse("fortigate", f'logid="0100032002" type="event" eventtime={eventtime}')
    assert get_field(doc, "event.start") == start
    assert doc.get("@timestamp") == start  # no date/time fields: eventtime is the record time


@pytest.mark.parametrize(
    ("text", "pairs"),
    [
        ('a=1 b="x y" c=', {"a": "1", "b": "x y", "c": ""}),
        (
            'url="/q?a=1 srcip=203.0.113.9" srcip=192.0.2.1',
            {"url": "/q?a=1 srcip=203.0.113.9", "srcip": "192.0.2.1"},
        ),
        (r'm="say \"hi\" \\ok" n=2', {"m": 'say "hi" \\ok', "n": "2"}),
        ('m="a"b" n=2', {"m": 'a"b', "n": "2"}),  # a quote not followed by a space is data
        ('m="never closed n=2', {"m": "never closed n=2"}),
        ('junk x"y=1 k=v', {"k": "v"}),  # a key starts at a token boundary only
        ("path=C:\\Temp\\x k=v", {"path": "C:\\Temp\\x", "k": "v"}),  # bare values stay raw
    ],
)
def test_fortigate_tokenizer_keeps_quoted_text_as_data(text: str, pairs: dict[str, str]) -> None:
    assert kv.pairs(text) == pairs


def test_fortigate_bug_report_case_exactly() -> None:
    for line, expected in case_lines("fortigate-quoted-value-no-key-injection"):
        doc = normalize("fortigate", line)
        for path, want in expected.items():
            assert get_field(doc, path) == want, path


@pytest.mark.parametrize("text", ["hello world", "foo=bar baz=1", "<189>", "=== =", ""])
def test_fortigate_rejects_non_fortios_text(text: str) -> None:
    with pytest.raises(ParseError):
        parse("fortigate", text)


def test_fortigate_dead_letters_name_the_format() -> None:
    (letter,) = Normalizer().handle(raw_event("not a fortigate line", format="fortigate"))
    assert letter.error.startswith("fortigate: no key=value fields")  # type: ignore[union-attr]


@settings(max_examples=1500, deadline=None)
@given(hostile_lines(SAMPLES))
def test_fortigate_hostile_input_never_crashes(text: str) -> None:
    survives("fortigate", text)
