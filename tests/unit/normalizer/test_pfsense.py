"""pfSense/OPNsense filterlog CSV → ECS: IPv4/IPv6 layouts, per-protocol tails, headers."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings

from services.normalizer.parsers import ParseError
from tests.unit.normalizer.factories import ABSENT, assert_fields
from tests.unit.normalizer.firewall_support import hostile_lines, parse, survives

H = "<134>Mar  1 10:00:00 filterlog[72237]: "
TCP4 = (
    "146,,,1535324496,igb1.12,match,block,in,4,0x0,,63,12617,0,DF,6,tcp,60,192.0.2.50,"
    "198.51.100.1,49724,853,0,S,1891286705,,64240,,mss;sackOK;TS;nop;wscale"
)
UDP6 = (
    "6,,,1000000105,igb1.27,match,pass,out,6,0x00,0xf6279,1,UDP,17,32,2001:db8::1,"
    "2001:db8::2,546,547,32"
)
ICMP4 = (
    "176,,,1520797901,igb1.10,match,pass,in,4,0x0,,64,62096,0,DF,1,icmp,84,192.0.2.30,"
    "198.51.100.105,request,37728,164"
)
ICMP6 = (
    "8,,,1000000103,em0,match,block,in,6,0x00,0x00000,255,ipv6-icmp,58,32,fe80::1,ff02::1,unreach,"
)
CARP = (
    "5,,,1000000103,em0,match,pass,out,4,0x10,,255,0,0,none,112,carp,56,192.0.2.2,"
    "224.0.0.18,advertise,255,1,2,0,1"
)
IGMP = (
    "199,,,1557957510,igb1.12,match,pass,in,4,0xc0,,1,0,0,DF,2,igmp,32,192.0.2.17,"
    "239.255.255.250,datalength=8"
)
SAMPLES = [H + line for line in (TCP4, UDP6, ICMP4, ICMP6, CARP, IGMP)]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        pytest.param(
            H + TCP4,
            {
                "event.module": "pfsense",
                "event.dataset": "pfsense.log",
                "event.action": "block",
                "event.reason": "match",
                "event.type": ["connection", "denied"],
                "event.category": ["network"],
                "rule.id": "1535324496",
                "observer.ingress.interface.name": "igb1.12",
                "observer.type": "firewall",
                "network.direction": "ingress",
                "network.type": "ipv4",
                "network.transport": "tcp",
                "network.iana_number": "6",
                "network.bytes": 60,
                "source.ip": "192.0.2.50",
                "source.port": 49724,
                "destination.ip": "198.51.100.1",
                "destination.port": 853,
                "pfsense.ip.ttl": 63,
                "pfsense.ip.id": 12617,
                "pfsense.ip.flags": "DF",
                "pfsense.ip.ecn": ABSENT,
                "pfsense.tcp.flags": "S",
                "pfsense.tcp.seq": 1891286705,
                "pfsense.tcp.window": 64240,
                "pfsense.tcp.options": ["mss", "sackOK", "TS", "nop", "wscale"],
                "related.ip": ["192.0.2.50", "198.51.100.1"],
                "@timestamp": "2026-03-01T10:00:00Z",
                "log.syslog.appname": "filterlog",
                "process": ABSENT,
            },
            id="tcp4-block",
        ),
        pytest.param(
            H + UDP6,
            {
                "event.type": ["connection", "allowed"],
                "network.direction": "egress",
                "observer.egress.interface.name": "igb1.27",
                "observer.ingress": ABSENT,
                "network.type": "ipv6",
                "network.transport": "udp",
                "source.ip": "2001:db8::1",
                "destination.port": 547,
                "pfsense.ip.flow_label": "0xf6279",
                "pfsense.ip.hop_limit": 1,
                "pfsense.udp.length": 32,
            },
            id="udp6-pass-out",
        ),
        pytest.param(
            H + ICMP4,
            {
                "network.transport": "icmp",
                "source.port": ABSENT,
                "pfsense.icmp.type": "request",
                "pfsense.icmp.id": 37728,
                "pfsense.icmp.seq": 164,
            },
            id="icmp4-echo",
        ),
        pytest.param(
            H + ICMP6,
            {
                "network.transport": "ipv6-icmp",
                "pfsense.icmp.type": "unreach",
                "source.ip": "fe80::1",
            },
            id="icmp6",
        ),
        pytest.param(
            H + CARP,
            {
                "network.transport": "vrrp",
                "pfsense.carp.type": "advertise",
                "pfsense.carp.vhid": 1,
            },
            id="carp",
        ),
        pytest.param(
            H + IGMP, {"network.transport": "igmp", "pfsense.extra": "datalength=8"}, id="igmp"
        ),
        pytest.param(TCP4, {"source.ip": "192.0.2.50", "@timestamp": ABSENT}, id="bare-csv"),
        pytest.param(
            "<134>1 2026-03-01T10:00:00+01:00 opnsense filterlog 4242 - [meta "
            'sequenceId="1"] ' + TCP4,
            {"@timestamp": "2026-03-01T09:00:00Z", "log.syslog.hostname": "opnsense"},
            id="opnsense-rfc5424",
        ),
    ],
)
def test_pfsense_filterlog(line: str, expected: dict[str, Any]) -> None:
    assert_fields(parse("pfsense", line), {"event.kind": "event", **expected})


@pytest.mark.parametrize(
    "text",
    [
        "<134>Mar  1 10:00:00 sshd[1]: Accepted password for root",
        H + "146,,,1,igb1,match,block,in",
        H + "146,,,1,igb1,match,block,in,5,0x0",
        H + "146,,,1,igb1,match,block,in,4,0x0,,63,1,0,DF,6,tcp,60,999.1.1.1,192.0.2.1,1,2,0",
        H + "146,,,1,igb1,match,block,in,4,0x0,,63,1,0,DF,6,tcp,60,192.0.2.1",
    ],
)
def test_pfsense_rejects_other_lines(text: str) -> None:
    with pytest.raises(ParseError):
        parse("pfsense", text)


@settings(max_examples=2000, deadline=None)
@given(hostile_lines(SAMPLES))
def test_pfsense_hostile_input_never_crashes(text: str) -> None:
    survives("pfsense", text)
