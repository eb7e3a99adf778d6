"""Hayabusa's correlation rules (and SigmaHQ's legacy remote failed-logon rule) on generated
password-guessing sequences: Windows Security XML events shaped like the ``sample-evtx`` embedded
in the Hayabusa rule files, one per line, through ``vigie detect``'s engine (the ``windows``
parser, then the correlator). Each rule fires at its threshold and not below it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
import yaml

from services.correlator.model import RuleSet
from services.correlator.offline import OfflineDetection
from services.correlator.rules import load_rules
from tests.conftest import CORPUS

LOGON = CORPUS / "sigma/correlation/hayabusa-rules/hayabusa/builtin/Security/LogonLogoff/Logon"
WRONG_PASSWORD = LOGON / "Sec_4625_Med_LogonFail_WrongPW_PW-Guessing_Correlation.yml"
UNKNOWN_USER = LOGON / "Sec_4625_Med_LogonFail_UserGuessing_Correlation.yml"
REMOTE_FAILURES = (
    CORPUS / "sigma/correlation/sigmahq-legacy-aggregation/unsupported/windows"
    / "win_security_susp_failed_remote_logons_single_source.yml"
)  # fmt: skip
REMOTE_TITLE = "Multiple Users Remotely Failing To Authenticate From Single Source"
START = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
ATTACKER = "203.0.113.7"
# 4648 (explicit credentials) has no embedded sample: its EventData, in the samples' System shape.
NULL_GUID = "{00000000-0000-0000-0000-000000000000}"
EXPLICIT_FIELDS = {
    "SubjectUserSid": "S-1-5-21-1-2-3-1104", "SubjectUserName": "svc-web",
    "SubjectDomainName": "OFFSEC", "SubjectLogonId": "0x3e7", "LogonGuid": NULL_GUID,
    "TargetUserName": "x", "TargetDomainName": "OFFSEC", "TargetLogonGuid": NULL_GUID,
    "TargetServerName": "fs01.offsec.lan", "TargetInfo": "fs01.offsec.lan", "ProcessId": "0x4",
    "ProcessName": "C:\\Windows\\System32\\lsass.exe", "IpAddress": "x", "IpPort": "445",
}  # fmt: skip
EXPLICIT_DATA = "".join(
    ["<EventData>", *(f'<Data Name="{k}">{v}</Data>' for k, v in EXPLICIT_FIELDS.items()),
     "</EventData>"]
)  # fmt: skip


def _sample(path: Path) -> str:
    """The embedded sample-evtx of a Hayabusa rule file, on one line."""
    (xml,) = [d["sample-evtx"] for d in yaml.safe_load_all(path.read_text()) if "sample-evtx" in d]
    return " ".join(xml.split())


def _event(template: str, at: datetime, record: int, **data: str) -> str:
    stamp = at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    xml = re.sub(r'SystemTime="[^"]*"', f'SystemTime="{stamp}"', template)
    xml = re.sub(
        r"<EventRecordID>\d+</EventRecordID>", f"<EventRecordID>{record}</EventRecordID>", xml
    )
    for name, value in data.items():
        text = escape(value)
        xml, found = re.subn(
            rf'(<Data Name="{name}">)[^<]*(</Data>)', lambda m, v=text: m[1] + v + m[2], xml
        )
        assert found == 1, name
    return xml


def wrong_passwords(count: int, every: int = 30, user: str = "alice") -> list[str]:
    template = _sample(WRONG_PASSWORD)
    return [_event(template, START + timedelta(seconds=every * n), 100 + n,
                   TargetUserName=user, IpAddress=ATTACKER) for n in range(count)]  # fmt: skip


def unknown_users(users: list[str], logon_type: str = "8") -> list[str]:
    template = _sample(UNKNOWN_USER)
    return [
        _event(template, START + timedelta(seconds=20 * n), 200 + n, TargetUserName=user,
               IpAddress=ATTACKER, LogonType=logon_type)
        for n, user in enumerate(users)
    ]  # fmt: skip


def explicit_logons(users: list[str]) -> list[str]:
    template = re.sub(
        r"<EventData>.*</EventData>", lambda _: EXPLICIT_DATA, _sample(WRONG_PASSWORD)
    )
    template = template.replace("<EventID>4625</EventID>", "<EventID>4648</EventID>")
    return [_event(template, START + timedelta(seconds=15 * n), 300 + n, TargetUserName=user,
                   IpAddress=ATTACKER) for n, user in enumerate(users)]  # fmt: skip


@cache
def ruleset() -> RuleSet:
    rules = load_rules([LOGON.parents[4], REMOTE_FAILURES])
    assert rules.errors == [] and len(rules.correlations) == 4, rules.errors
    return rules


def _alerts(tmp_path: Path, lines: list[str]) -> dict[str, int]:
    path = tmp_path / "security.xml"
    path.write_text("\n".join(lines) + "\n")
    detection = OfflineDetection(ruleset(), now=lambda: START)
    summary = detection.run([path], err=pytest.fail)
    assert summary.parsed.total.documents == len(lines) == summary.events
    assert summary.parsed.by_format.keys() == {"windows"}
    return {alert.rule.title: alert.count for alert in detection.alerts}


USERS = [f"user{n:02d}" for n in range(12)]
SEQUENCES = [
    # name, events (built when the test runs: they read the corpus), {alert title: its count}
    ("pw-guessing-5", lambda: wrong_passwords(5), {"PW Guessing": 5}),
    ("pw-guessing-4", lambda: wrong_passwords(4), {}),
    ("pw-guessing-5-over-6-minutes", lambda: wrong_passwords(5, every=90), {}),
    ("pw-guessing-computer-account", lambda: wrong_passwords(6, user="FS01$"), {}),
    ("user-guessing-4-users", lambda: unknown_users(USERS[:4]), {"User Guessing": 4}),
    ("user-guessing-3-users", lambda: unknown_users(USERS[:3] * 3), {}),
    ("pw-spray-5-users", lambda: explicit_logons(USERS[:5]), {"PW Spray": 5}),
    ("pw-spray-4-users", lambda: explicit_logons(USERS[:4] * 2), {}),
    ("remote-11-users", lambda: unknown_users(USERS[:11], logon_type="3"), {
        "User Guessing": 11, REMOTE_TITLE: 11,
    }),
    ("remote-10-users", lambda: unknown_users(USERS[:10], logon_type="3"), {"User Guessing": 10}),
]  # fmt: skip


@pytest.mark.parametrize(("events", "expected"), [pytest.param(*s[1:], id=s[0]) for s in SEQUENCES])
def test_hayabusa_correlations_fire_at_their_threshold(
    corpus: Path, tmp_path: Path, events: Callable[[], list[str]], expected: dict[str, int]
) -> None:
    assert _alerts(tmp_path, events()) == expected
