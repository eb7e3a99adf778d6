"""Sophos Firewall (XG/SFOS) key=value → ECS, after Elastic's sophos.xg."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings

from services.normalizer.parsers import ParseError
from tests.unit.normalizer.factories import ABSENT, assert_fields
from tests.unit.normalizer.firewall_support import hostile_lines, parse, survives

SFOS18 = (
    '<30>device="SFW" date=2026-03-01 time=10:00:00 timezone="CET" device_name="XG230" '
    'device_id=C010000000000 log_id=010101600001 log_type="Firewall" log_component="Firewall '
    'Rule" log_subtype="Allowed" status="Allow" priority=Information duration=5 fw_rule_id=2 '
    'policy_type=1 user_name="alice" user_gp="staff" in_interface="Port2" '
    'out_interface="Port1" src_mac=00:1a:2b:3c:4d:5e src_ip=192.0.2.7 dst_ip=198.51.100.50 '
    'protocol="TCP" src_port=58543 dst_port=443 sent_pkts=3 recv_pkts=4 sent_bytes=300 '
    'recv_bytes=400 tran_src_ip=203.0.113.1 tran_src_port=0 tran_dst_ip= srczonetype="LAN" '
    'srczone="LAN" dstzonetype="WAN" dstzone="WAN" dir_disp="" connevent="Start" '
    'connid="1615935064" message="" app_is_cloud=0'
)
SFOS19_DENY = (
    'device_name="SFW" timestamp="2026-03-01T10:00:00+0100" device_model="XG230" '
    'device_serial_id="C010000000000" log_id=010101400002 log_type="Firewall" '
    'log_component="Firewall Rule" log_subtype="Denied" severity="Warning" status="Deny" '
    'fw_rule_id="5" fw_rule_name="Block inbound" src_ip="198.51.100.9" dst_ip="192.0.2.10" '
    'protocol="UDP" src_port="5353" dst_port="53" src_zone_type="WAN" dst_zone_type="LAN"'
)
ADMIN_LOGIN = (
    'device_name="SFW" timestamp="2026-03-01T10:00:00+0000" log_id=062910617701 '
    'log_type="Event" log_component="GUI" log_subtype="Admin" status="Failed" '
    'user_name="admin" src_ip="198.51.100.7" message="User admin failed to login to Web'
    'admin"'
)
SAMPLES = [SFOS18, SFOS19_DENY, ADMIN_LOGIN]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        pytest.param(
            SFOS18,
            {
                "event.code": "010101600001",
                "event.severity": 6,
                "log.level": "informational",
                "event.action": "allowed",
                "event.outcome": "success",
                "event.category": ["network"],
                "event.type": ["start", "allowed", "connection"],
                "event.duration": 5_000_000_000,
                "@timestamp": "2026-03-01T09:00:00Z",
                "observer.vendor": "Sophos",
                "observer.product": "XG",
                "observer.name": "XG230",
                "observer.serial_number": "C010000000000",
                "observer.ingress.zone": "LAN",
                "observer.egress.zone": "WAN",
                "observer.ingress.interface.name": "Port2",
                "network.direction": "outbound",
                "network.transport": "tcp",
                "source.ip": "192.0.2.7",
                "source.port": 58543,
                "source.mac": "00-1A-2B-3C-4D-5E",
                "source.nat.ip": "203.0.113.1",
                "source.nat.port": ABSENT,
                "source.packets": 3,
                "source.bytes": 300,
                "source.user.name": "alice",
                "source.user.group.name": "staff",
                "destination.ip": "198.51.100.50",
                "destination.port": 443,
                "destination.bytes": 400,
                "rule.id": "2",
                "rule.ruleset": "1",
                "related.user": ["alice"],
                "sophos.xg.message_id": "00001",
                "sophos.xg.connid": "1615935064",
                "sophos.xg.dir_disp": ABSENT,
                "sophos.xg.message": ABSENT,
                "message": ABSENT,
            },
            id="sfos18-allowed",
        ),
        pytest.param(
            SFOS19_DENY,
            {
                "event.action": "denied",
                "event.type": ["denied", "connection"],
                "event.severity": 4,
                "log.level": "warning",
                "rule.name": "Block inbound",
                "network.direction": "inbound",
                "network.transport": "udp",
                "@timestamp": "2026-03-01T09:00:00Z",
                "observer.serial_number": "C010000000000",
            },
            id="sfos19-denied",
        ),
        pytest.param(
            ADMIN_LOGIN,
            {
                "event.category": ["authentication"],
                "event.outcome": "failure",
                "event.type": ["start"],
                "source.user.name": "admin",
                "message": "User admin failed to login to Webadmin",
            },
            id="admin-login-failed",
        ),
    ],
)
def test_sophos_maps_like_elastic(line: str, expected: dict[str, Any]) -> None:
    doc = parse("sophos", line, timezone=ZoneInfo("Europe/Paris"))
    assert_fields(doc, {"event.module": "sophos", "event.dataset": "sophos.xg", **expected})


@pytest.mark.parametrize("text", ["hello", 'device="other" colour="blue"', ""])
def test_sophos_rejects_other_text(text: str) -> None:
    with pytest.raises(ParseError):
        parse("sophos", text)


@settings(max_examples=2000, deadline=None)
@given(hostile_lines(SAMPLES))
def test_sophos_hostile_input_never_crashes(text: str) -> None:
    survives("sophos", text)
