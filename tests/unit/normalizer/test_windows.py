"""Windows event parser: the wire forms, the Security/System mapping, errors and hostile input."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.normalizer.parsers import PARSERS, ParseError
from services.normalizer.parsers.windows_fields import split_command_line
from tests.unit.normalizer.factories import ABSENT, assert_fields
from tests.unit.normalizer.json_sources import CONTEXT
from tests.unit.normalizer.windows_events import (
    AUDIT_FAILURE,
    HOST,
    SECURITY,
    evtx_tree,
    parse,
    winlogbeat,
)  # fmt: skip

FAILED_LOGON = {
    "SubjectUserSid": "S-1-0-0", "SubjectUserName": "-", "SubjectDomainName": "-",
    "SubjectLogonId": "0x0", "TargetUserSid": "S-1-0-0", "TargetUserName": "user1",
    "TargetDomainName": "EXAMPLE", "Status": "0xc000006d", "FailureReason": "%%2313",
    "SubStatus": "0xc000006a", "LogonType": "3", "WorkstationName": "WS-7",
    "IpAddress": "::ffff:192.0.2.10", "IpPort": "51234",
}  # fmt: skip
XML_4625 = (
    "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"
    "<Provider Name='Microsoft-Windows-Security-Auditing' "
    "Guid='{54849625-5478-4994-A5BA-3E3B0328C30D}'/><EventID>4625</EventID><Version>0</Version>"
    "<Level>0</Level><Task>12544</Task><Opcode>0</Opcode><Keywords>0x8010000000000000</Keywords>"
    "<TimeCreated SystemTime='2026-03-01T10:00:00.123456Z'/><EventRecordID>1001</EventRecordID>"
    "<Correlation/><Execution ProcessID='636' ThreadID='4120'/><Channel>Security</Channel>"
    f"<Computer>{HOST}</Computer><Security/></System><EventData>"
    + "".join(f"<Data Name='{k}'>{v}</Data>" for k, v in FAILED_LOGON.items())
    + "</EventData></Event>"
)
XMLTODICT_4625 = json.dumps({"Event": {
    "@xmlns": "http://schemas.microsoft.com/win/2004/08/events/event",
    "System": {
        "Provider": {"@Name": SECURITY, "@Guid": "{54849625-5478-4994-A5BA-3E3B0328C30D}"},
        "EventID": "4625", "Keywords": AUDIT_FAILURE, "EventRecordID": "1001",
        "TimeCreated": {"@SystemTime": "2026-03-01T10:00:00.123456Z"}, "Channel": "Security",
        "Computer": HOST,
    },
    "EventData": {"Data": [{"@Name": k, "#text": v} for k, v in FAILED_LOGON.items()]},
}})  # fmt: skip
NXLOG_4625 = json.dumps({
    "EventTime": "2026-03-01 10:00:00", "Hostname": HOST, "Keywords": -9218868437227405312,
    "EventType": "AUDIT_FAILURE", "SeverityValue": 4, "Severity": "ERROR", "EventID": 4625,
    "SourceName": SECURITY, "RecordNumber": 1001, "Channel": "Security", "Category": "Logon",
    "Opcode": "Info", "Message": "An account failed to log on.", **FAILED_LOGON,
})  # fmt: skip
FORMS = {
    "evtx-tree": evtx_tree(4625, FAILED_LOGON, keywords=AUDIT_FAILURE),
    "xmltodict": XMLTODICT_4625,
    "xml": XML_4625,
    "nxlog": NXLOG_4625,
    "winlogbeat": winlogbeat(4625, FAILED_LOGON, keywords=["Audit Failure"]),
}
FAILED_LOGON_ECS = {
    "event.code": "4625", "event.kind": "event", "event.outcome": "failure",
    "event.action": "logon-failed", "event.category": ["authentication"], "event.type": ["start"],
    "event.dataset": "system.security", "event.module": "system", "event.provider": SECURITY,
    "winlog.channel": "Security", "winlog.event_id": "4625", "winlog.record_id": "1001",
    "winlog.computer_name": HOST, "winlog.keywords": ["Audit Failure"], "host.name": HOST,
    "winlog.event_data.TargetUserName": "user1", "winlog.event_data.IpAddress": "::ffff:192.0.2.10",
    "user.name": "user1", "user.domain": "EXAMPLE", "user.id": "S-1-0-0",
    "source.ip": "192.0.2.10", "source.port": 51234, "source.domain": "WS-7",
    "related.user": ["user1"], "related.ip": ["192.0.2.10"], "winlog.logon.type": "Network",
    "winlog.logon.failure.status": "This is either due to a bad username or authentication information",
    "winlog.logon.failure.sub_status": "User logon with misspelled or bad password",
    "winlog.logon.failure.reason": "Unknown user name or bad password.",
}  # fmt: skip


@pytest.mark.parametrize("form", FORMS)
def test_windows_every_form_gives_the_same_ecs_fields(form: str) -> None:
    assert_fields(parse(FORMS[form]), FAILED_LOGON_ECS)


@pytest.mark.parametrize(
    ("form", "timestamp"),
    [("evtx-tree", "2026-03-01T10:00:00.123456Z"), ("xml", "2026-03-01T10:00:00.123456Z"),
     ("nxlog", "2026-03-01T10:00:00Z")],  # NXLog's EventTime is local time, to the second
)  # fmt: skip
def test_windows_timestamp_is_the_creation_time(form: str, timestamp: str) -> None:
    assert_fields(parse(FORMS[form]), {"@timestamp": timestamp})


def test_windows_evtx_tree_system_fields_as_winlogbeat_writes_them() -> None:
    doc = parse(evtx_tree(4625, {"LogonGuid": "3F2504E0-4F89-11D3-9A0C-0305E82C3301"}))
    assert_fields(doc, {
        "winlog.provider_guid": "{54849625-5478-4994-a5ba-3e3b0328c30d}",
        "winlog.event_data.LogonGuid": "{3f2504e0-4f89-11d3-9a0c-0305e82c3301}",
        "winlog.process.pid": 636, "winlog.process.thread.id": 4120, "winlog.version": 2,
        "winlog.task": "Logon", "winlog.opcode": "Info", "log.level": "information",
        "winlog.time_created": "2026-03-01T10:00:00.123456Z",
    })  # fmt: skip


def test_windows_event_data_names_lose_their_spaces_and_values_become_text() -> None:
    data = {"Threat Name": "Virus:DOS/EICAR_Test_File", "Severity ID": 5, "Initiated": True}
    doc = parse(evtx_tree(1116, data, channel="Microsoft-Windows-Windows Defender/Operational",
                          provider="Microsoft-Windows-Windows Defender"))  # fmt: skip
    assert doc["winlog"]["event_data"] == {
        "ThreatName": "Virus:DOS/EICAR_Test_File",
        "SeverityID": "5",
        "Initiated": "true",
    }
    assert_fields(doc, {"event.dataset": "windows.forwarded", "event.action": ABSENT})


FORWARDED_XML = (
    "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"
    "<Provider Name='Service Control Manager'/><EventID Qualifiers='16384'>7036</EventID>"
    "<Level>4</Level><Keywords>0x8080000000000000</Keywords><Channel>System</Channel>"
    f"<Computer>{HOST}</Computer></System><EventData><Data>Windows Update</Data>"
    "<Data>running</Data><Binary>7700</Binary></EventData><RenderingInfo Culture='en-US'>"
    "<Message>The Windows Update service entered the running state.</Message>"
    "<Level>Information</Level><Opcode>Info</Opcode><Keywords><Keyword>Classic</Keyword>"
    "</Keywords></RenderingInfo></Event>"
)


def test_windows_forwarded_xml_rendering_info_and_unnamed_data() -> None:
    assert_fields(
        parse(FORWARDED_XML),
        {
            "winlog.event_id": "7036",
            "winlog.event_data": {
                "param1": "Windows Update",
                "param2": "running",
                "Binary": "7700",
            },
            "message": "The Windows Update service entered the running state.",
            "log.level": "information",
            "winlog.keywords": ["Classic"],
            "winlog.opcode": "Info",
            "event.dataset": "system.system",
            "event.outcome": ABSENT,
        },
    )


def test_windows_batches_and_syslog_wrapping() -> None:
    array = f"[{FORMS['winlogbeat']}, {FORMS['evtx-tree']}]"
    assert [d["event"]["code"] for d in PARSERS["windows"](array, CONTEXT)] == ["4625", "4625"]
    ndjson = FORMS["nxlog"] + "\n" + FORMS["winlogbeat"]
    assert len(PARSERS["windows"](ndjson, CONTEXT)) == 2
    wrapped = parse(f"<13>Mar  1 10:00:00 wec-1 NXLOG: {FORMS['nxlog']}")
    assert_fields(wrapped, {"event.code": "4625", "log.syslog.hostname": "wec-1",
                            "user.name": "user1"})  # fmt: skip


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    "<Event><System><EventID>1</EventID></System><EventData><Data Name='x'>&lol2;</Data>"
    "</EventData></Event>"
)
BAD_INPUTS = [
    pytest.param("hello world", "not a Windows event", id="text"),
    pytest.param('{"foo": 1}', "no winlog, Event or EventID", id="json-other"),
    pytest.param("[1, 2]", "not an object", id="json-array-of-numbers"),
    pytest.param('{"winlog": {"channel": "Security"}}', "event id", id="no-event-id"),
    pytest.param('{"EventID": "abc", "Channel": "x"}', "not a number", id="event-id-text"),
    pytest.param('{"EventID": 70000, "Channel": "x"}', "0 to 65535", id="event-id-too-big"),
    pytest.param('{"winlog": {"event_id": 1, "event_data": "x"}}', "not an object", id="data-str"),
    pytest.param('{"Event": {"EventData": {}}}', "System", id="tree-without-system"),
    pytest.param(BILLION_LAUGHS, "DTD", id="billion-laughs"),
    pytest.param('<!doctype Event SYSTEM "file:///etc/passwd"><Event/>', "DTD", id="external-dtd"),
    pytest.param("<Event><System>", "not well-formed", id="unclosed-xml"),
    pytest.param("<Events><Event/></Events>", "not <Event>", id="xml-other-root"),
    pytest.param("<13>Mar  1 10:00:00 h NXLOG: <14>x", "not a Windows event", id="double-pri"),
]


@pytest.mark.parametrize(("text", "reason"), BAD_INPUTS)
def test_windows_bad_input_is_a_parse_error(text: str, reason: str) -> None:
    with pytest.raises(ParseError, match=reason):
        PARSERS["windows"](text, CONTEXT)


def test_windows_deep_xml_nesting_is_harmless() -> None:
    deep = "<a>" * 5000 + "x" + "</a>" * 5000
    xml = f"<Event><System><EventID>1</EventID></System><EventData><Data Name='d'>{deep}</Data></EventData></Event>"
    assert parse(xml)["winlog"]["event_data"] == {"d": "x"}


@pytest.mark.parametrize(
    ("line", "args"),
    [('cmd.exe /c "echo hi"', ["cmd.exe", "/c", "echo hi"]),
     ('"C:\\Program Files\\a.exe" -x', ["C:\\Program Files\\a.exe", "-x"]),
     ('a\\\\"b c"', ["a\\b c"]), ('a\\"b', ['a"b']), ("a\\b", ["a\\b"]),
     ('"a""b"', ['a"b']), ("", []), ("  x \t y ", ["x", "y"]), ('"unterminated arg', ["unterminated arg"])],
)  # fmt: skip
def test_windows_command_line_split_as_windows_does(line: str, args: list[str]) -> None:
    assert split_command_line(line) == args


_VALID = list(FORMS.values())
_PIECES = st.sampled_from(['"', "{", "}", "[", "]", "<", ">", "&", ":", ",", "\\", "\x00", "null",
                           "<!DOCTYPE", "-1", "1e999", '{"Event":', '"winlog":'])  # fmt: skip


@st.composite
def _mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(_VALID))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        cut = draw(st.integers(0, 20))
        text = text[:at] + draw(st.one_of(_PIECES, st.text(max_size=6))) + text[at + cut :]
    return text


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=200), _mutated()))
def test_windows_hostile_input_only_raises_parse_error(text: str) -> None:
    try:
        docs = PARSERS["windows"](text, CONTEXT)
    except ParseError:
        return
    assert docs and all(isinstance(d["event"]["code"], str) for d in docs)
