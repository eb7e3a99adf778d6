"""Security and System channel events → ECS users, sources, processes and outcomes (Winlogbeat
JSON form; the other forms give the same fields, see test_windows.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from schemas.ecs import EcsEvent, get_field
from services.normalizer.core import Normalizer
from tests.conftest import CASES_FILE, load_cases
from tests.unit.normalizer.factories import ABSENT, assert_fields, raw_event
from tests.unit.normalizer.windows_events import parse, winlogbeat


def _security(code: int, data: dict[str, str], **kwargs: Any) -> dict[str, Any]:
    return parse(winlogbeat(code, data, **kwargs))


SUBJECT = {"SubjectUserSid": "S-1-5-21-1-2-3-1001", "SubjectUserName": "admin1",
           "SubjectDomainName": "EXAMPLE", "SubjectLogonId": "0x5a1b"}  # fmt: skip
SECURITY_CASES = [
    pytest.param(
        4624,
        {
            **SUBJECT,
            "TargetUserSid": "S-1-5-21-1-2-3-1002",
            "TargetUserName": "user3@example.com",
            "TargetDomainName": "EXAMPLE",
            "TargetLogonId": "0x77",
            "LogonType": "10",
            "IpAddress": "2001:db8::20",
            "IpPort": "50500",
            "ProcessId": "0x1a4",
            "ProcessName": "C:\\Windows\\System32\\svchost.exe",
        },
        {
            "event.outcome": "success",
            "event.action": "logged-in",
            "user.name": "user3",
            "user.id": "S-1-5-21-1-2-3-1002",
            "winlog.logon.type": "RemoteInteractive",
            "winlog.logon.id": "0x5a1b",
            "source.ip": "2001:db8::20",
            "source.port": 50500,
            "process.pid": 420,
            "process.name": "svchost.exe",
            "related.user": ["user3", "admin1"],
            "related.ip": ["2001:db8::20"],
        },
        id="4624-upn-ipv6-remote",
    ),
    pytest.param(
        4624,
        {"IpAddress": "not-an-address", "IpPort": "-", "WorkstationName": "-"},
        {
            "source.ip": ABSENT,
            "source.port": ABSENT,
            "source.domain": ABSENT,
            "winlog.event_data.IpAddress": "not-an-address",
        },
        id="4624-no-address",
    ),
    pytest.param(
        4634,
        {
            "TargetUserName": "user2",
            "TargetDomainName": "EXAMPLE",
            "TargetLogonId": "0x77",
            "LogonType": "3",
        },
        {
            "event.action": "logged-out",
            "event.type": ["end"],
            "user.name": "user2",
            "winlog.logon.id": "0x77",
        },
        id="4634-logoff",
    ),
    pytest.param(
        4648,
        {
            **SUBJECT,
            "TargetUserName": "admin2",
            "TargetDomainName": "EXAMPLE",
            "TargetServerName": "host-b.example.com",
            "IpAddress": "192.0.2.30",
            "IpPort": "0",
            "ProcessName": "C:\\Windows\\System32\\runas.exe",
        },
        {
            "user.name": "admin1",
            "user.target.name": "admin2",
            "user.effective.name": "admin2",
            "user.effective.domain": "EXAMPLE",
            "process.executable": "C:\\Windows\\System32\\runas.exe",
            "process.name": "runas.exe",
            "source.ip": "192.0.2.30",
            "source.port": 0,
            "related.user": ["admin1", "admin2"],
        },
        id="4648-explicit-credentials",
    ),
    pytest.param(
        4672,
        {**SUBJECT, "PrivilegeList": "SeDebugPrivilege\n\t\t\tSeTcbPrivilege"},
        {
            "event.category": ["iam"],
            "event.type": ["admin"],
            "user.name": "admin1",
            "winlog.event_data.PrivilegeList": "SeDebugPrivilege\n\t\t\tSeTcbPrivilege",
        },
        id="4672-special-privileges",
    ),
    pytest.param(
        4688,
        {
            **SUBJECT,
            "NewProcessId": "0x1f4",
            "NewProcessName": "C:\\Windows\\System32\\cmd.exe",
            "ProcessId": "0x3e8",
            "ParentProcessName": "C:\\Windows\\explorer.exe",
            "CommandLine": 'cmd.exe /c "whoami /all"',
            "TargetUserName": "-",
        },
        {
            "event.category": ["process"],
            "event.type": ["start"],
            "process.pid": 500,
            "process.executable": "C:\\Windows\\System32\\cmd.exe",
            "process.name": "cmd.exe",
            "process.parent.pid": 1000,
            "process.parent.name": "explorer.exe",
            "process.args": ["cmd.exe", "/c", "whoami /all"],
            "process.args_count": 3,
            "user.name": "admin1",
            "user.effective": ABSENT,
        },
        id="4688-process-creation",
    ),
    pytest.param(
        4720,
        {
            **SUBJECT,
            "TargetSid": "S-1-5-21-1-2-3-1005",
            "TargetUserName": "svc9",
            "TargetDomainName": "EXAMPLE",
        },
        {
            "event.action": "added-user-account",
            "event.type": ["user", "creation"],
            "user.name": "admin1",
            "user.target.name": "svc9",
            "user.target.id": "S-1-5-21-1-2-3-1005",
            "related.user": ["admin1", "svc9"],
        },
        id="4720-user-created",
    ),
    pytest.param(
        4732,
        {
            **SUBJECT,
            "MemberName": "-",
            "MemberSid": "S-1-5-21-1-2-3-1005",
            "TargetUserName": "Administrators",
            "TargetDomainName": "Builtin",
            "TargetSid": "S-1-5-32-544",
        },
        {
            "event.action": "added-member-to-group",
            "group.name": "Administrators",
            "group.id": "S-1-5-32-544",
            "group.domain": "Builtin",
            "user.target.id": "S-1-5-21-1-2-3-1005",
            "user.target.group.name": "Administrators",
            "user.name": "admin1",
        },
        id="4732-member-added-to-local-group",
    ),
    pytest.param(
        4728,
        {
            **SUBJECT,
            "MemberName": "CN=User Nine,OU=Staff,DC=example,DC=com",
            "TargetUserName": "Domain Admins",
            "TargetDomainName": "EXAMPLE",
        },
        {
            "user.target.name": "User Nine",
            "user.target.domain": "example",
            "related.user": ["admin1", "User Nine"],
        },
        id="4728-member-dn",
    ),
    pytest.param(
        4740,
        {**SUBJECT, "TargetUserName": "user1", "TargetDomainName": "EXAMPLE"},
        {"event.action": "locked-out-user-account", "user.target.name": "user1"},
        id="4740-lockout",
    ),
    pytest.param(
        4781,
        {**SUBJECT, "OldTargetUserName": "old1", "NewTargetUserName": "new1"},
        {"user.target.name": "old1", "user.changes.name": "new1"},
        id="4781-rename",
    ),
    pytest.param(
        4697,
        {
            **SUBJECT,
            "ServiceName": "EvilSvc",
            "ServiceType": "0x10",
            "ServiceFileName": "C:\\Temp\\evil.exe",
        },
        {
            "event.action": "service-installed",
            "service.name": "EvilSvc",
            "service.type": "Win32 Own Process",
            "user.name": "admin1",
        },
        id="4697-service-installed",
    ),
    pytest.param(
        4698,
        {**SUBJECT, "TaskName": "\\Updater"},
        {
            "event.action": "scheduled-task-created",
            "winlog.scheduled_task.name": "\\Updater",
            "event.category": ["iam", "configuration"],
        },
        id="4698-task-created",
    ),
]


@pytest.mark.parametrize(("code", "data", "expected"), SECURITY_CASES)
def test_windows_security_event_mapping(code: int, data: dict[str, str], expected: dict) -> None:
    assert_fields(_security(code, data, keywords=["Audit Success"]), expected)


@pytest.mark.parametrize(
    ("code", "data", "outcome", "extra"),
    [(4625, {}, "failure", {}), (4771, {"Status": "0x18"}, "failure", {}),
     (4768, {"Status": "0x6"}, "failure", {}), (4768, {"Status": "0x0"}, "success", {}),
     (4776, {"Status": "0xc0000064"}, "failure",
      {"winlog.logon.failure.status": "User logon with misspelled or bad user account"}),
     (4720, {}, "success", {})],
)  # fmt: skip
def test_windows_security_outcome_without_audit_keywords(
    code: int, data: dict[str, str], outcome: str, extra: dict[str, Any]
) -> None:
    assert_fields(_security(code, data), {"event.outcome": outcome, **extra})


def test_windows_log_cleared_user_comes_from_user_data() -> None:
    user_data = {"xml_name": "LogFileCleared", "SubjectUserSid": "S-1-5-21-1-2-3-1001",
                 "SubjectUserName": "admin1", "SubjectDomainName": "EXAMPLE",
                 "SubjectLogonId": "0x5a1b"}  # fmt: skip
    doc = parse(winlogbeat(1102, provider="Microsoft-Windows-Eventlog", user_data=user_data))
    assert_fields(doc, {"event.action": "audit-log-cleared", "user.name": "admin1",
                        "user.id": "S-1-5-21-1-2-3-1001", "winlog.logon.id": "0x5a1b",
                        "winlog.user_data.xml_name": "LogFileCleared"})  # fmt: skip


def test_windows_system_service_installed() -> None:
    data = {"ServiceName": "EvilSvc", "ImagePath": "C:\\Temp\\evil.exe", "StartType": "auto start"}
    doc = _security(7045, data, channel="System", provider="Service Control Manager")
    assert_fields(doc, {"event.dataset": "system.system", "event.action": "service-installed",
                        "service.name": "EvilSvc", "winlog.event_data.ImagePath": "C:\\Temp\\evil.exe",
                        "event.outcome": ABSENT})  # fmt: skip


CASE_ID = "windows-logon-ip-and-account-mapping"
COMMENTARY = {"note"}


def test_windows_bug_report_case_logon_ip_and_account_mapping() -> None:
    case = load_cases().get(CASE_ID)
    if case is None:
        pytest.skip(f"case {CASE_ID} is not in {CASES_FILE} (absent file or case)")
    for n, (record, expected) in enumerate(zip(case["input"], case["expected"], strict=True)):
        (output,) = Normalizer().handle(
            raw_event(json.dumps(record), id=f"w-{n}", format="windows")
        )
        assert isinstance(output, EcsEvent), output
        for path, want in expected.items():  # null in a case means "no value": absent or null
            if path not in COMMENTARY:
                assert get_field(output.doc, path) == want, (n, path)
