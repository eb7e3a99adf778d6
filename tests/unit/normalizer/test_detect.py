"""Format detection: one real record per format (from the corpus and the parsers' unit tests), the
JSON batch shapes, the Normalizer's use of it for ``auto`` or no hint, and hostile text."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.dlq import DeadLetter
from schemas.ecs import EcsEvent
from services.normalizer.core import Normalizer
from services.normalizer.detect import JSON_SIGNATURES, TEXT_SIGNATURES, ZEEK_LOG_KEYS, detect
from services.normalizer.parsers import PARSERS
from tests.unit.normalizer.factories import raw_event
from tests.unit.normalizer.test_azure_signin import sign_in
from tests.unit.normalizer.test_cloudtrail import record as cloudtrail_record
from tests.unit.normalizer.test_m365_audit import audit
from tests.unit.normalizer.test_okta import event as okta_event
from tests.unit.normalizer.test_windows import FORMS as WINDOWS_FORMS

ZEEK_TSV = (
    "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n"
    "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\n"
    "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\n"
    "1300475167.096535\tCHhAvVGS1DHFjwGM9\t192.0.2.1\t5353\t198.51.100.1\t5353\tudp"
)
ZEEK_CONN = (
    '{"ts":1547188415.857497,"uid":"CAcJw21BbVedgFnYH3","id.orig_h":"192.0.2.167",'
    '"id.orig_p":38339,"id.resp_h":"192.0.2.1","id.resp_p":53,"proto":"udp","service":"dns",'
    '"conn_state":"SF","history":"Dd"}'
)
SURICATA = (
    '{"timestamp":"2026-06-27T08:13:26.024477-0400","flow_id":1655946452134946,"in_iface":"eno8",'
    '"event_type":"tls","src_ip":"203.0.113.20","src_port":46927,"dest_ip":"198.51.100.10",'
    '"dest_port":636,"proto":"TCP","tls":{"subject":"CN=example.com","issuerdn":""}}'
)


def dumps(value: Any) -> str:
    return json.dumps(value)


DETECTED = [  # (format, record)
    ("cef", ("CEF:0|Elastic|Vaporware|1.0.0-alpha|18|Web request|low|eventId=3457 "
      "requestMethod=POST proto=TCP src=192.0.2.156 spt=33876 dst=198.51.100.1 dpt=443")),
    ("cef", "<134>Mar  1 10:00:00 h CEF:1|V|P|1|2|N|3|x=y"),
    ("leef", ("<13>Mar  1 10:00:00 qradar-a LEEF:1.0|Example|IDS|2.1|4001|src=192.0.2.1\t"
      "dst=198.51.100.2")),
    ("leef", "LEEF:2.0|V|P|1|E|^|src=192.0.2.1^dst=198.51.100.2"),
    ("fortigate", ('2026-04-03T00:31:09.976660+00:00 192.0.2.1 date=2026-04-02 time=17:31:09 '
      'devname="FGVMEVVDEADBEEF00" devid="FGVMEVVDEADBEEF00" eventtime=1775176270239669800 '
      'tz="-0700" logid="0100032002" type="event" subtype="system" level="alert"')),
    ("fortigate", '<189>logver=700 devid="FGT60F0000000000" logid="0000000013" type="traffic"'),
    ("cisco_asa", ("<166>Aug 18 2026 18:24:29 asa-fw-01 : %ASA-6-302020: Built inbound ICMP "
      "connection for faddr 203.0.113.20/28416 gaddr 198.51.100.10/0 laddr 198.51.100.10/0")),
    ("cisco_asa", ("Jan 23 15:10:55 192.0.2.1 %ASA-2-106006: message repeated 2 times: [ Deny "
      "inbound UDP from 192.0.2.66/137 to 198.51.100.42/137 on interface inside]")),
    ("cisco_asa", "<166>Mar  1 10:00:00 ftd-a : %FTD-6-430003: EventPriority: Low"),
    ("paloalto", ("Nov 30 16:44:36 PA-220 1,2018/11/30 16:44:36,012801096514,THREAT,url,2049,"
      "2018/11/30 16:44:36,192.0.2.224,198.51.100.1,192.0.2.63,198.51.100.1,rule,,,ssl,vsys1")),
    ("paloalto", ("1,2026/03/02 12:00:00,012345678901,TRAFFIC,end,2561,2026/03/02 12:00:01,"
      "192.0.2.10,198.51.100.20")),
    ("pfsense", ("<134>Jul  3 19:10:30 filterlog[72237]: 146,,,1535324496,igb1.12,match,block,in,"
      "4,0x0,,63,12617,0,DF,6,tcp,60,192.0.2.50,198.51.100.1,49724,853,0,S,1891286705,,64240,,")),
    ("checkpoint", ('<134>1 2026-03-01T10:00:00Z gw-a CheckPoint 1930 - [action:"Accept"; '
      'ifdir:"outbound"; origin:"192.0.2.1"; product:"VPN-1 & FireWall-1"; src:"192.0.2.100"]')),
    ("checkpoint", ('time="1772359200" action="Drop" rule_action="Drop" origin="192.0.2.1" '
      'src="198.51.100.7" dst="192.0.2.10" product="VPN-1 & FireWall-1" rule_name="Cleanup"')),
    ("sophos", ('<30>device="SFW" date=2026-03-01 time=10:00:00 timezone="CET" '
      'device_name="XG230" device_id=C010000000000 log_id=010101600001 log_type="Firewall"')),
    ("sophos", ('device_name="SFW" timestamp="2026-03-01T10:00:00+0100" device_model="XG230" '
      'log_id=010101400002 log_type="Firewall" log_component="Firewall Rule"')),
    ("auditd", "type=EXECVE msg=audit(1581371984.206:579393): argc=1 a0=top"),
    ("auditd", "node=web-1 type=SYSCALL msg=audit(1485893834.891:18877199): arch=c000003e"),
    ("auditd", "<4>Mar  1 10:00:00 h kernel: audit: type=1400 audit(1700000000.1:9): apparmor"),
    ("zeek", ZEEK_TSV),
    ("zeek", "### BTest baseline data\n" + ZEEK_TSV),
    ("zeek", '{"_path":"dns","ts":1547188415.8,"uid":"C1","id.orig_h":"192.0.2.1","query":"a"}'),
    ("zeek.conn", ZEEK_CONN),
    ("zeek.conn", ZEEK_CONN + "\n" + ZEEK_CONN),
    ("zeek", '{"ts":1547188415.8,"uid":"C1","id.orig_h":"192.0.2.1","id.resp_h":"192.0.2.2"}'),
    ("suricata", SURICATA),
    ("suricata", SURICATA + "\n" + SURICATA),
    *[("windows", text) for text in WINDOWS_FORMS.values()],
    ("windows", "<14>Mar  1 10:00:00 dc-1 NXLOG: " + WINDOWS_FORMS["nxlog"]),
    ("windows", '<?xml version="1.0"?>\n' + WINDOWS_FORMS["xml"]),
    ("cloudtrail", dumps(cloudtrail_record())),
    ("cloudtrail", dumps({"Records": [cloudtrail_record(), cloudtrail_record()]})),
    ("cloudtrail", dumps([cloudtrail_record()])),
    ("okta", dumps(okta_event())),
    ("okta", (dumps({"actor.alternateId": "user1@example.com", "eventType": "user.session.start",
                     "published": "2026-12-01T10:00:00.123Z"}))),
    ("azure_signin", dumps(sign_in())),
    ("azure_signin", dumps({"records": [sign_in()]})),
    ("azure_signin", (dumps({"operationName": "Sign-in activity",
                             "properties": {"userPrincipalName": "user1@example.com"}}))),
    ("m365_audit", dumps(audit())),
    ("m365_audit", "\ufeff" + dumps([audit(), audit()])),
    ("m365_audit", json.dumps(audit(), indent=2)),  # pretty-printed: the first line is "{"
    ("syslog", ("Aug  6 19:42:10 server01 sudo[18432]: alice : PWD=/home/alice ; USER=root ; "
      "COMMAND=/usr/bin/id")),
    ("syslog", "<13>1 2026-01-01T00:00:00Z h app - - - hello"),
    ("syslog", "1300475167.096535\tCHhAvVGS1DHFjwGM9\t192.0.2.1"),  # Zeek TSV without header
    ("syslog", '{"some": "json", "nobody": "claims"}'),
    ("syslog", "[INFO] service started"),
    ("syslog", "[]"),
    ("syslog", "{not json"),
    ("syslog", ""),
]  # fmt: skip


@pytest.mark.parametrize(("fmt", "text"), DETECTED, ids=[f"{f}-{n}" for n, (f, _) in
                                                         enumerate(DETECTED)])  # fmt: skip
def test_detect_recognises_each_format(fmt: str, text: str) -> None:
    assert detect(text) == fmt


def test_detect_signatures_name_registered_formats() -> None:
    named = {row[0] for row in TEXT_SIGNATURES} | {fmt for fmt, _ in JSON_SIGNATURES}
    named |= {log for _, log in ZEEK_LOG_KEYS}
    assert named <= set(PARSERS), named - set(PARSERS)


def test_detect_reads_only_the_head_of_a_long_record() -> None:
    # A marker far down a long message is not the record's format: the cost stays bounded.
    text = "Mar  1 10:00:00 h app: " + "x" * 10_000 + " CEF:0|V|P|1|2|N|3|"
    assert detect(text) == "syslog"


@pytest.mark.parametrize("hint", [None, "auto"])
def test_detect_is_used_by_the_normalizer_without_a_hint(hint: str | None) -> None:
    (output,) = Normalizer().handle(raw_event(SURICATA, format=hint))
    assert isinstance(output, EcsEvent), output
    assert output.doc["vigie"]["format"] == "suricata"
    assert output.doc["event"]["dataset"] == "suricata.eve"


def test_detect_the_normalizer_takes_its_detector_from_the_constructor() -> None:
    seen: list[str] = []

    def fixed(text: str) -> str:
        seen.append(text)
        return "cef"

    normalizer = Normalizer(detector=fixed)
    (auto,) = normalizer.handle(raw_event("CEF:0|V|P|1|2|N|3|x=y\r\n", format="auto"))
    (declared,) = normalizer.handle(raw_event(SURICATA, format="suricata"))
    assert isinstance(auto, EcsEvent) and isinstance(declared, EcsEvent)
    assert seen == ["CEF:0|V|P|1|2|N|3|x=y"]  # only for "auto", on the text the parser reads
    assert (auto.doc["vigie"]["format"], declared.doc["vigie"]["format"]) == ("cef", "suricata")


def test_detect_a_wrong_guess_is_a_dead_letter_with_the_parser_reason() -> None:
    (output,) = Normalizer().handle(raw_event('{"_path": 5, "uid": "C1"}', format="auto"))
    assert isinstance(output, DeadLetter)
    assert output.error.startswith("zeek: ")


_MARKERS = st.sampled_from(
    ["CEF:0|", "LEEF:2.0|", "%ASA-6-302013: ", "filterlog[1]: ", "CheckPoint 1 - [", 'origin:"',
     ",2026/03/02 12:00:00,0,TRAFFIC,", 'device="SFW" ', "log_type=", "date=1 time=2 devname=",
     'logid="0000000013"', "type=X msg=audit(1:2): ", "#separator \\x09\n#fields\t", "<Event>",
     '{"event_type": "x", "timestamp": 1}', '{"Records": [', '[{"_path": null}]', '"EventID": 1',
     '{"uid": 1, "id.orig_h": 2, "fuid": 3}', '{"category": "SignInLogs"}', "\ufeff", "\n", "{",
     "[", "\x00", "\ud800"]
)  # fmt: skip


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.one_of(_MARKERS, st.text(max_size=40)), max_size=8).map("".join))
def test_detect_never_raises_and_returns_a_registered_hint(text: str) -> None:
    assert detect(text) in PARSERS
