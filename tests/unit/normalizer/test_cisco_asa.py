"""Cisco ASA %ASA- messages → ECS: orientation of connections, NAT, AAA and VPN messages."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings

from services.normalizer.parsers import ParseError
from services.normalizer.parsers.cisco_asa_messages import MESSAGES
from services.normalizer.parsers.community_id import community_id
from tests.unit.normalizer.factories import ABSENT, assert_fields
from tests.unit.normalizer.firewall_support import hostile_lines, parse, survives

H = "<166>Mar  1 10:00:00 asa-a : "
DENIED = {"event.type": ["connection", "denied"], "event.outcome": "failure",
          "event.action": "firewall-rule", "event.category": ["network"]}  # fmt: skip
LOGGED_IN = {"event.category": ["authentication", "network"], "event.type": ["allowed", "info"],
             "event.outcome": "success", "event.action": "logged-in"}  # fmt: skip
LOGON_FAILED = {"event.category": ["authentication", "network"], "event.type": ["denied", "info"],
                "event.outcome": "failure", "event.action": "logon-failed"}  # fmt: skip
ALICE_VPN = "Group <vpn-users> User <alice> IP <198.51.100.7> "

CASES: list[Any] = [
    (
        "6-302013",
        (
            "Built inbound TCP connection 4242 for outside:198.51.100.7/52000 "
            "(198.51.100.7/52000) to inside:192.0.2.10/443 (203.0.113.10/443)"
        ),
        {
            "event.action": "flow-creation",
            "event.type": ["connection", "start"],
            "network.direction": "inbound",
            "network.transport": "tcp",
            "network.iana_number": "6",
            "source.ip": "198.51.100.7",
            "source.port": 52000,
            "source.nat": ABSENT,
            "destination.ip": "192.0.2.10",
            "destination.port": 443,
            "destination.nat.ip": "203.0.113.10",
            "destination.nat.port": ABSENT,
            "observer.ingress.interface.name": "outside",
            "observer.egress.interface.name": "inside",
            "cisco.asa.connection_id": "4242",
            "cisco.asa.mapped_destination_ip": "203.0.113.10",
            "related.ip": ["198.51.100.7", "192.0.2.10", "203.0.113.10"],
        },
    ),
    (
        "6-302013",
        (
            "Built outbound TCP connection 4243 for outside:198.51.100.7/443 "
            "(198.51.100.7/443) to inside:192.0.2.10/51515 (203.0.113.10/40000)"
        ),
        {
            "network.direction": "outbound",
            "source.ip": "192.0.2.10",
            "source.port": 51515,
            "source.nat.ip": "203.0.113.10",
            "source.nat.port": 40000,
            "destination.ip": "198.51.100.7",
            "destination.port": 443,
            "destination.nat": ABSENT,
            "observer.ingress.interface.name": "inside",
            "observer.egress.interface.name": "outside",
        },
    ),
    (
        "6-302015",
        (
            "Built inbound UDP connection 17 for outside:198.51.100.7/53 (198.51.100.7/53)"
            "(LOCAL\\alice) to inside:192.0.2.53/53 (192.0.2.53/53)"
        ),
        {
            "source.user.name": "alice",
            "network.transport": "udp",
            "destination.port": 53,
            "related.user": ["alice"],
        },
    ),
    (
        "6-302014",
        (
            "Teardown TCP connection 4242 for outside:198.51.100.7/52000 to "
            "inside:192.0.2.10/443 duration 0:01:02 bytes 1234 TCP FINs from outside"
        ),
        {
            "event.action": "flow-expiration",
            "event.type": ["connection", "end"],
            "event.outcome": ABSENT,
            "event.duration": 62_000_000_000,
            "network.bytes": 1234,
            "event.reason": "TCP FINs",
            "cisco.asa.termination_initiator": "outside",
            "event.end": "2026-03-01T10:00:00Z",
            "event.start": "2026-03-01T09:58:58Z",
            "source.ip": "198.51.100.7",
            "destination.port": 443,
        },
    ),
    (
        "6-302016",
        (
            "Teardown UDP connection 17 for outside:198.51.100.7/53 to inside:192.0.2.53/53 "
            "duration 0:00:00 bytes 64"
        ),
        {"event.outcome": "success", "network.bytes": 64},
    ),
    (
        "6-302021",
        (
            "Teardown ICMP connection for faddr 198.51.100.7/0 gaddr 203.0.113.10/0 "
            "laddr 192.0.2.10/0 type 8 code 0"
        ),
        {
            "source.ip": "192.0.2.10",
            "source.nat.ip": "203.0.113.10",
            "destination.ip": "198.51.100.7",
            "cisco.asa.icmp_type": 8,
            "network.type": "icmp",
        },
    ),
    (
        "2-106001",
        (
            "Inbound TCP connection denied from 198.51.100.7/4444 to 192.0.2.10/22 flags "
            "SYN  on interface outside"
        ),
        {
            **DENIED,
            "network.direction": "inbound",
            "source.port": 4444,
            "destination.port": 22,
            "observer.ingress.interface.name": "outside",
        },
    ),
    (
        "1-106007",
        "Deny inbound UDP from 198.51.100.7/53 to 192.0.2.10/53 due to DNS Query",
        {**DENIED, "network.protocol": "dns", "destination.ip": "192.0.2.10"},
    ),
    (
        "3-106014",
        ("Deny inbound icmp src outside:198.51.100.7 dst inside:192.0.2.10 (type 8, code 0)"),
        {
            **DENIED,
            "cisco.asa.icmp_type": 8,
            "cisco.asa.icmp_code": 0,
            "source.ip": "198.51.100.7",
            "destination.ip": "192.0.2.10",
        },
    ),
    (
        "6-106015",
        (
            "Deny TCP (no connection) from 192.0.2.10/443 to 198.51.100.7/52000 flags RST "
            " on interface inside"
        ),
        {**DENIED, "source.port": 443, "network.transport": "tcp"},
    ),
    (
        "4-106023",
        (
            "Deny tcp src outside:198.51.100.7/52000 dst inside:192.0.2.10/3389 by "
            'access-group "outside_access_in" [0x0, 0x0]'
        ),
        {
            **DENIED,
            "cisco.asa.rule_name": "outside_access_in",
            "destination.port": 3389,
            "network.community_id": community_id("tcp", "198.51.100.7", 52000, "192.0.2.10", 3389),
        },
    ),
    (
        "4-106023",
        (
            "Deny protocol 47 src outside:198.51.100.7 dst inside:192.0.2.10 by "
            'access-group "outside_access_in" [0x0, 0x0]'
        ),
        {"network.iana_number": "47", "network.transport": "gre", "source.port": ABSENT},
    ),
    (
        "6-106100",
        (
            "access-list outside_access_in denied tcp outside/198.51.100.7(52000) -> "
            "inside/192.0.2.10(22) hit-cnt 1 first hit [0x91c26a3, 0x0]"
        ),
        {
            **DENIED,
            "cisco.asa.rule_name": "outside_access_in",
            "source.port": 52000,
            "observer.egress.interface.name": "inside",
        },
    ),
    (
        "6-106100",
        (
            "access-list inside_out permitted udp inside/192.0.2.10(51000) -> "
            "outside/198.51.100.7(53) hit-cnt 1 first hit [0x0, 0x0]"
        ),
        {"event.type": ["connection", "allowed"], "event.outcome": "success"},
    ),
    (
        "6-109005",
        (
            "Authentication succeeded for user 'alice' from 192.0.2.10/51000 to "
            "198.51.100.7/80 on interface inside"
        ),
        {
            **LOGGED_IN,
            "source.user.name": "alice",
            "source.ip": "192.0.2.10",
            "destination.port": 80,
            "observer.ingress.interface.name": "inside",
        },
    ),
    (
        "6-109006",
        (
            "Authentication failed for user 'mallory' from 198.51.100.7/51000 to "
            "192.0.2.10/80 on interface outside."
        ),
        {
            **LOGON_FAILED,
            "source.user.name": "mallory",
            "observer.ingress.interface.name": "outside",
        },
    ),
    (
        "6-109034",
        (
            "Authentication failed for network user bob from 198.51.100.9/51000 to "
            "192.0.2.10/443. Interactive challenge processing is not supported for https connection"
        ),
        {**LOGON_FAILED, "source.user.name": "bob", "source.ip": "198.51.100.9"},
    ),
    (
        "6-113004",
        "AAA user authentication Successful : server =  192.0.2.5 : user = alice",
        {**LOGGED_IN, "source.user.name": "alice", "destination.ip": "192.0.2.5"},
    ),
    (
        "6-113005",
        (
            "AAA user authentication Rejected : reason = Invalid password : server = "
            "192.0.2.5 : user = ***** : user IP = 198.51.100.7"
        ),
        {
            **LOGON_FAILED,
            "event.reason": "Invalid password",
            "source.ip": "198.51.100.7",
            "source.user.name": "*****",
            "related.user": ABSENT,
        },
    ),
    (
        "6-113008",
        "AAA transaction status ACCEPT : user = EXAMPLE\\alice",
        {**LOGGED_IN, "source.user.name": "alice", "source.user.domain": "EXAMPLE"},
    ),
    (
        "6-113015",
        (
            "AAA user authentication Rejected : reason = Invalid password : local "
            "database : user = bob : user IP = 198.51.100.8"
        ),
        {**LOGON_FAILED, "source.user.name": "bob", "source.ip": "198.51.100.8"},
    ),
    (
        "4-113019",
        (
            "Group = vpn-users, Username = alice@example.com, IP = 198.51.100.7, Session "
            "disconnected. Session Type: SSL, Duration: 1h:02m:03s, Bytes xmt: 1000, Bytes rcv: "
            "2000, Reason: User Requested"
        ),
        {
            "event.action": "client-vpn-disconnected",
            "event.duration": 3_723_000_000_000,
            "source.user.name": "alice",
            "source.user.email": "alice@example.com",
            "source.user.domain": "example.com",
            "source.user.group.name": "vpn-users",
            "source.bytes": 1000,
            "destination.bytes": 2000,
            "event.reason": "User Requested",
        },
    ),
    (
        "6-605004",
        'Login denied from 198.51.100.7/52000 to outside:192.0.2.1/ssh for user "admin"',
        {
            **LOGON_FAILED,
            "network.protocol": "ssh",
            "destination.port": ABSENT,
            "source.user.name": "admin",
            "observer.egress.interface.name": "outside",
        },
    ),
    (
        "6-605005",
        ('Login permitted from 192.0.2.50/52000 to inside:192.0.2.1/https for user "admin"'),
        {**LOGGED_IN, "network.protocol": "https", "source.ip": "192.0.2.50"},
    ),
    (
        "5-611101",
        "User authentication succeeded: IP address: 192.0.2.50, Uname: admin",
        {**LOGGED_IN, "server.user.name": "admin", "source.ip": "192.0.2.50"},
    ),
    (
        "5-611102",
        "User authentication failed: IP address: 198.51.100.7, Uname: root",
        {**LOGON_FAILED, "server.user.name": "root", "related.user": ["root"]},
    ),
    (
        "5-611103",
        "User logged out: Uname: admin",
        {"event.action": "logged-out", "user.name": "admin"},
    ),
    (
        "6-716001",
        ALICE_VPN + "WebVPN session started.",
        {
            "event.action": "client-vpn-connected",
            "event.type": ["connection", "start"],
            "source.user.name": "alice",
            "source.ip": "198.51.100.7",
            "source.user.group.name": "vpn-users",
        },
    ),
    (
        "6-716002",
        ALICE_VPN + "WebVPN session terminated: User Requested.",
        {"event.action": "client-vpn-disconnected", "event.reason": "User Requested"},
    ),
    (
        "6-722022",
        ALICE_VPN + "TCP SVC connection established without compression",
        {"event.type": ["connection", "info"], "source.user.name": "alice"},
    ),
    (
        "6-722023",
        ALICE_VPN + "UDP SVC connection terminated without compression",
        {"event.type": ["connection", "end"], "event.outcome": "success"},
    ),
    (
        "4-722051",
        ALICE_VPN + "IPv4 Address <192.0.2.200> IPv6 address <::> assigned to session",
        {"event.action": "address-assigned", "cisco.asa.assigned_ip": "192.0.2.200"},
    ),
    (
        "6-305011",
        (
            "Built dynamic TCP translation from inside:192.0.2.10/51515 to "
            "outside:203.0.113.10/40000"
        ),
        {
            "event.action": "nat-slot",
            "event.type": ["creation"],
            "event.category": ["network", "configuration"],
            "source.port": 51515,
            "destination.ip": "203.0.113.10",
        },
    ),
    (
        "6-305012",
        (
            "Teardown dynamic TCP translation from inside:192.0.2.10/51515 to "
            "outside:203.0.113.10/40000 duration 0:00:30"
        ),
        {"event.type": ["deletion"], "event.duration": 30_000_000_000},
    ),
    (
        "7-710002",
        "TCP access permitted from 192.0.2.50/52000 to inside:192.0.2.1/https",
        {"event.type": ["connection", "allowed"], "network.protocol": "https"},
    ),
    (
        "7-710003",
        "TCP access denied by ACL from 198.51.100.7/52000 to outside:192.0.2.1/22",
        {**DENIED, "destination.port": 22, "observer.egress.interface.name": "outside"},
    ),
    (
        "7-710005",
        "UDP request discarded from 198.51.100.7/137 to outside:192.0.2.1/137",
        {**DENIED, "network.transport": "udp"},
    ),
    (
        "5-111008",
        "User 'enable_15' executed the 'write memory' command.",
        {
            "event.code": "111008",
            "event.severity": 5,
            "log.level": "notification",
            "event.category": ["network"],
            "event.action": ABSENT,
            "message": "User 'enable_15' executed the 'write memory' command.",
        },
    ),
]


@pytest.mark.parametrize(("tag", "body", "expected"), CASES,
                         ids=[f"{c[0]}-{n}" for n, c in enumerate(CASES)])  # fmt: skip
def test_cisco_asa_maps_like_elastic(tag: str, body: str, expected: dict[str, Any]) -> None:
    doc = parse("cisco_asa", f"{H}%ASA-{tag}: {body}")
    severity, code = tag.split("-")
    assert_fields(doc, {
        "event.module": "cisco_asa", "event.dataset": "cisco_asa.log", "event.code": code,
        "event.severity": int(severity), "observer.vendor": "Cisco", "observer.product": "asa",
        "observer.hostname": "asa-a", "@timestamp": "2026-03-01T10:00:00Z", **expected,
    })  # fmt: skip


@pytest.mark.parametrize("code", ["302013", "302014", "302015", "302016", "302020", "302021",
                                  "106001", "106006", "106007", "106014", "106015", "106023",
                                  "106100", "113004", "113005", "113008", "113015", "113019",
                                  "605004", "605005", "611101", "611102", "611103", "716001",
                                  "716002", "722022", "722023", "722051", "305011", "305012",
                                  "710002", "710003", "710005",
                                  *(f"1090{n:02d}" for n in range(1, 35))])  # fmt: skip
def test_cisco_asa_covers_the_required_message_ids(code: str) -> None:
    assert MESSAGES[code].patterns


def test_cisco_asa_repeated_message_is_counted_and_unwrapped() -> None:
    doc = parse("cisco_asa", "Jan 23 15:10:55 192.0.2.1 %ASA-2-106006: message repeated 2 "
                "times: [ Deny inbound UDP from 198.51.100.66/137 to 192.0.2.42/137 on "
                "interface inside]")  # fmt: skip
    assert_fields(doc, {"cisco.asa.message_repeats": 2, "source.ip": "198.51.100.66",
                        "cisco.asa.source_interface": "inside", "host.hostname": "192.0.2.1",
                        "network.transport": "udp", **DENIED})  # fmt: skip


@pytest.mark.parametrize("prefix", ["", "<166>", "2026-03-01T10:00:00Z asa-a : ", "asa-a: "])
def test_cisco_asa_header_is_optional(prefix: str) -> None:
    doc = parse(
        "cisco_asa",
        f"{prefix}%FTD-6-302016: Teardown UDP connection 1 for "
        "outside:198.51.100.7/53 to inside:192.0.2.53/53 duration 0:00:01 bytes 9",
    )
    assert doc["destination"]["ip"] == "192.0.2.53" and doc["event"]["code"] == "302016"


@pytest.mark.parametrize(
    "text",
    [
        "no tag here",
        "%ASA-9-302013: x",
        "%ASA-6-30201: short",
        "x" * 2000 + " %ASA-6-302013: late tag",
    ],
)
def test_cisco_asa_rejects_text_without_a_tag(text: str) -> None:
    with pytest.raises(ParseError):
        parse("cisco_asa", text)


SAMPLES = [f"{H}%ASA-{tag}: {body}" for tag, body, _ in CASES]


@settings(max_examples=2000, deadline=None)
@given(hostile_lines(SAMPLES))
def test_cisco_asa_hostile_input_never_crashes(text: str) -> None:
    survives("cisco_asa", text)
