"""Check Point Log Exporter (syslog and generic formats) → ECS, as Elastic's checkpoint does."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings

from services.normalizer.parsers import ParseError
from tests.unit.normalizer.factories import ABSENT, assert_fields
from tests.unit.normalizer.firewall_support import hostile_lines, parse, survives

H = "<134>1 2026-03-01T10:00:00Z gw-a CheckPoint 1930 - "
ACCEPT = (
    H + '[action:"Accept"; flags:"444676"; ifdir:"outbound"; ifname:"eth0"; logid:"0"; '
    'loguid:"{0x5e80a05a,0x0,0xbba3afa,0xd2c10858}"; origin:"192.0.2.1"; sequencenum:"2"; '
    'version:"5"; __policy_id_tag:"product=VPN-1 & FireWall-1[db_tag={DF90};mgmt=gw-a;'
    'policy_name=Standard\\]"; dst:"198.51.100.10"; inzone:"Internal"; layer_name:"Network"; '
    'rule_action:"Accept"; rule_uid:"1fde807b-6300-4b1a-914f-f1c1f3e2e7d2"; outzone:"External"; '
    'product:"VPN-1 & FireWall-1"; proto:"6"; s_port:"61794"; service:"443"; '
    'service_id:"https"; src:"192.0.2.100"; xlatedport:"0"; xlatedst:"0.0.0.0"; '
    'xlatesport:"26680"; xlatesrc:"203.0.113.7"]'
)
PREVENT = (
    H + '[action:"Prevent"; rule_action:"Prevent"; origin:"192.0.2.1"; product:"SmartDefense"; '
    'src:"198.51.100.66"; dst:"192.0.2.100"; proto:"17"; s_port:"5353"; service:"53"; '
    'attack:"DNS tunnel"; severity:"4"; file_md5:"44d88612fea8a8f36de82e1278abb02f"]'
)
LOGIN = (
    H + '[action:"Failed Log In"; operation:"Log In"; administrator:"admin"; '
    'client_ip:"198.51.100.7"; origin:"192.0.2.1"; product:"SmartConsole"; '
    'sys_message::"wrong password \\"x\\""; audit_status:"Failure"]'
)
GENERIC = ('time="1772359200" action="Drop" rule_action="Drop" origin="192.0.2.1" '
           'src="198.51.100.7" dst="192.0.2.10" proto="17" s_port="5353" service="53" '
           'product="VPN-1 & FireWall-1" rule_name="Cleanup rule"')  # fmt: skip
SAMPLES = [ACCEPT, PREVENT, LOGIN, GENERIC]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        pytest.param(
            ACCEPT,
            {
                "event.kind": "event",
                "event.action": "Accept",
                "event.outcome": "success",
                "event.type": ["allowed", "connection"],
                "event.category": ["network"],
                "event.sequence": 2,
                "@timestamp": "2026-03-01T10:00:00Z",
                "observer.vendor": "Checkpoint",
                "observer.type": "firewall",
                "observer.name": "192.0.2.1",
                "observer.product": "VPN-1 & FireWall-1",
                "observer.egress.interface.name": "eth0",
                "observer.egress.zone": "External",
                "observer.ingress.zone": "Internal",
                "network.direction": "outbound",
                "network.transport": "tcp",
                "network.application": "https",
                "network.name": "Network",
                "source.ip": "192.0.2.100",
                "source.port": 61794,
                "source.nat.ip": "203.0.113.7",
                "source.nat.port": 26680,
                "destination.ip": "198.51.100.10",
                "destination.port": 443,
                "destination.nat": ABSENT,
                "rule.uuid": "1fde807b-6300-4b1a-914f-f1c1f3e2e7d2",
                "related.ip": ["192.0.2.100", "203.0.113.7", "198.51.100.10"],
                "checkpoint.loguid": "{0x5e80a05a,0x0,0xbba3afa,0xd2c10858}",
                "checkpoint.rule_action": "Accept",
                "checkpoint.flags": ABSENT,
                "checkpoint.__policy_id_tag": ABSENT,
                "checkpoint.xlatedst": ABSENT,
            },
            id="accept-with-nat",
        ),
        pytest.param(
            PREVENT,
            {
                "event.kind": "alert",
                "event.category": ["network", "intrusion_detection"],
                "event.type": ["connection", "denied"],
                "event.severity": 4,
                "file.hash.md5": "44d88612fea8a8f36de82e1278abb02f",
                "related.hash": ["44d88612fea8a8f36de82e1278abb02f"],
                "network.transport": "udp",
                "checkpoint.attack": "DNS tunnel",
            },
            id="ips-prevent",
        ),
        pytest.param(
            LOGIN,
            {
                "event.action": "logon-failed",
                "event.outcome": "failure",
                "event.category": ["authentication"],
                "event.type": ["denied"],
                "source.user.name": "admin",
                "source.ip": "198.51.100.7",
                "related.user": ["admin"],
                "checkpoint.sys_message": 'wrong password "x"',
            },
            id="failed-login",
        ),
        pytest.param(
            GENERIC,
            {
                "event.action": "Drop",
                "event.type": ["connection", "denied"],
                "@timestamp": "2026-03-01T10:00:00Z",
                "rule.name": "Cleanup rule",
                "source.port": 5353,
                "destination.port": 53,
                "log": ABSENT,
            },
            id="generic-key-value",
        ),
    ],
)
def test_checkpoint_maps_like_elastic(line: str, expected: dict[str, Any]) -> None:
    assert_fields(parse("checkpoint", line), {
        "event.module": "checkpoint", "event.dataset": "checkpoint.firewall", **expected,
    })  # fmt: skip


@pytest.mark.parametrize("text", ["hello", H + "[junk]", 'colour="blue" size="3"'])
def test_checkpoint_rejects_text_without_its_fields(text: str) -> None:
    with pytest.raises(ParseError):
        parse("checkpoint", text)


@settings(max_examples=2000, deadline=None)
@given(hostile_lines(SAMPLES))
def test_checkpoint_hostile_input_never_crashes(text: str) -> None:
    survives("checkpoint", text)
