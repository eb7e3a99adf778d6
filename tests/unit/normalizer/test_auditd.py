"""Linux audit records → ECS, line by line (records from Elastic's auditd pipeline tests, with
documentation addresses)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.ecs import EcsEvent
from services.normalizer.core import Normalizer
from services.normalizer.parsers import PARSERS, ParseError
from tests.unit.normalizer.factories import ABSENT, assert_fields, raw_event
from tests.unit.normalizer.json_sources import CONTEXT

A = "msg=audit(1489519256.192:19600329):"
SSHD = 'exe="/usr/sbin/sshd" hostname=? addr=203.0.113.9 terminal=ssh'
PROCTITLE_ARGV = b"bash\x00-c\x00id".hex().upper()
AUDIT_CASES = [
    pytest.param(
        "type=SYSCALL msg=audit(1485893834.891:18877199): arch=c000003e syscall=44 success=yes "
        "exit=184 a0=9 items=0 ppid=1240 pid=1281 auid=4294967295 uid=0 gid=0 euid=0 suid=0 "
        'fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses=4294967295 comm="charon" exe=2F7573722F6C6'
        "962657865632F7374726F6E677377616E2F636861726F6E202864656C6574656429 key=(null)",
        {
            "@timestamp": "2017-01-31T20:17:14.891Z",
            "event.action": "syscall",
            "event.category": ["process"],
            "event.type": ["info"],
            "event.outcome": "success",
            "auditd.log.record_type": "SYSCALL",
            "auditd.log.sequence": 18877199,
            "auditd.log.success": True,
            "auditd.log.syscall": "44",
            "auditd.log.key": ABSENT,
            "host.architecture": "x86_64",
            "network.direction": "egress",
            "process.executable": "/usr/libexec/strongswan/charon (deleted)",
            "process.name": "charon",
            "process.pid": 1281,
            "process.parent.pid": 1240,
            "process.exit_code": 184,
            "user.id": "0",
            "user.audit.id": "4294967295",
            "user.effective.group.id": "0",
            "user.saved.id": "0",
            "user.filesystem.group.id": "0",
        },
        id="syscall-hex-exe",
    ),
    pytest.param(
        f'type=USER_CMD {A} user pid=4151 uid=497 auid=700 ses=11988 msg=\'cwd="/" cmd=2F7573722F'
        "6C696236342F6E6167696F732F706C7567696E732F636865636B5F617374657269736B5F7369705F706565"
        "7273202D7020323032 terminal=? res=success'",
        {
            "event.action": "ran-command",
            "event.outcome": "success",
            "user.id": "497",
            "user.audit.id": "700",
            "process.working_directory": "/",
            "process.args_count": 3,
            "process.args": ["/usr/lib64/nagios/plugins/check_asterisk_sip_peers", "-p", "202"],
            "auditd.log.terminal": ABSENT,
            "message": ABSENT,
        },
        id="user-cmd-hex-cmd",
    ),
    pytest.param(
        f"type=CRYPTO_SESSION {A} pid=1298 uid=0 auid=4294967295 ses=4294967295 msg='op=start "
        "direction=from-server cipher=chacha20-poly1305@openssh.com ksize=512 mac= spid=1299 "
        f"suid=74 rport=63927 laddr=192.0.2.2 lport=22  {SSHD} res=success'",
        {
            "event.action": "started-crypto-session",
            "auditd.log.lport": 22,
            "auditd.log.rport": 63927,
            "auditd.log.ksize": 512,
            "auditd.log.mac": ABSENT,
            "user.saved.id": "74",
            "source.ip": "203.0.113.9",
            "source.address": "203.0.113.9",
            "related.ip": ["203.0.113.9"],
            "process.executable": "/usr/sbin/sshd",
            "user.terminal": "ssh",
        },
        id="crypto-session-numbers",
    ),
    pytest.param(
        f"type=USER_LOGIN {A} pid=1298 uid=0 auid=4294967295 ses=4294967295 msg='op=login "
        f'acct="alice" {SSHD} res=failed\'',
        {
            "event.action": "logged-in",
            "event.category": ["authentication"],
            "event.type": ["start"],
            "event.outcome": "failure",
            "user.name": "alice",
            "user.effective.name": "alice",
            "user.id": "4294967295",
            "related.user": ["alice"],
        },
        id="user-login-failed",
    ),
    pytest.param(
        f"type=ADD_USER {A} pid=1264 uid=0 auid=1000 ses=3 msg='op=add-user id=1001 "
        'exe="/usr/sbin/useradd" hostname=? addr=? terminal=? res=success\'',
        {
            "event.action": "added-user-account",
            "event.category": ["iam"],
            "event.type": ["user", "creation"],
            "user.id": "1000",
            "user.effective.id": "0",
            "user.target.id": "1001",
            "auditd.log.id": "1001",
            "source.address": ABSENT,
        },
        id="add-user",
    ),
    pytest.param(
        "type=LOGIN msg=audit(1489636960.072:19623791): pid=28281 uid=0 old auid=700 new "
        "auid=701 old ses=6793 new ses=12286",
        {
            "event.action": "changed-login-id-to",
            "user.id": "700",
            "user.effective.id": "701",
            "auditd.log.old_ses": "6793",
            "auditd.log.new_ses": "12286",
        },
        id="login-old-new",
    ),
    pytest.param(
        f"type=VIRT_CONTROL {A} pid=1431 uid=0 auid=100 ses=3 msg='user=root reason=api "
        'op=create vm=? vm-pid=? hostname=? exe="/usr/bin/dockerd-current" res=success\'',
        {
            "event.category": ["host"],
            "event.type": ["creation"],
            "user.name": "root",
            "user.audit.id": "100",
            "auditd.log.vm-pid": ABSENT,
        },
        id="virt-control",
    ),
    pytest.param(
        f"type=VIRT_MACHINE_ID {A} pid=5637 uid=0 msg='virt=kvm vm=\"rhel-work3\" res=success'",
        {"event.type": ["creation"], "container.name": "rhel-work3", "container.runtime": "kvm"},
        id="virt-machine-id",
    ),
    pytest.param(
        "type=EXECVE msg=audit(1581371984.206:579393): argc=1 a0=top",
        {
            "process.args": ["top"],
            "process.args_count": 1,
            "process.executable": "top",
            "event.action": "execve",
        },
        id="execve-plain",
    ),
    pytest.param(
        'type=EXECVE msg=audit(1700000000.5:9): argc=3 a0="bash" a1="-c" a2_len=10 '
        "a2[1]=68656C6C6F a2[0]=6563686F20",
        {
            "process.args": ["bash", "-c", "echo hello"],
            "process.args_count": 3,
            "auditd.log.a0": "bash",
            "auditd.log.a2[0]": "echo ",
            "@timestamp": "2023-11-14T22:13:20.5Z",
        },
        id="execve-hex-chunks",
    ),
    pytest.param(
        'type=EXECVE msg=audit(1700000000.123:9): a2="x" a3=7920',
        {
            "process.args": ["[... 2 truncated arguments ...]", "x", "y "],
            "process.executable": ABSENT,
        },
        id="execve-truncated",
    ),
    pytest.param(
        f"type=PROCTITLE {A} proctitle={PROCTITLE_ARGV}",
        {"auditd.log.proctitle": "bash -c id"},
        id="proctitle-argv",
    ),
    pytest.param(
        f'type=PROCTITLE {A} proctitle="bash"',
        {"auditd.log.proctitle": "bash"},
        id="proctitle-quoted",
    ),
    pytest.param(
        f"type=TTY {A} tty pid=27930 uid=1000 comm=cafe data=6563686F0D",
        {"auditd.log.data": "echo^M", "process.name": "cafe", "event.action": "typed"},
        id="tty-caret-and-hex-looking-literal",
    ),
    pytest.param(
        f"type=PATH {A} item=0 name=2F746D702F6120622E7368 nametype=NORMAL",
        {"auditd.log.name": "/tmp/a b.sh", "auditd.log.item": "0"},
        id="path-hex-name",
    ),
    pytest.param(
        f"type=SERVICE_STOP {A} pid=1 uid=0 msg='unit=firewalld comm=\"systemd\" res=success'",
        {
            "event.action": "stopped-service",
            "auditd.log.unit": "firewalld",
            "process.name": "systemd",
        },
        id="service-stop-unit",
    ),
    pytest.param(
        f'type=CONFIG_CHANGE {A} auid=1000 ses=3 op="add_rule" key=(null) list=4 res=0',
        {"event.outcome": "failure", "auditd.log.op": "add_rule"},
        id="config-change-res0",
    ),
    pytest.param(
        f'type=SYSCALL {A} arch=c00000b7 syscall=221 success=no exit=-13 key="exec"',
        {
            "event.outcome": "failure",
            "process.exit_code": -13,
            "auditd.log.key": "exec",
            "host.architecture": "c00000b7",
        },
        id="syscall-failed-no-res",
    ),
    pytest.param(
        f"node=web-1 type=SYSCALL {A} arch=c000003e syscall=87 success=yes exit=0 "
        'key="delete"\x1dARCH=x86_64 SYSCALL=unlink AUID="alice" UID="root"',
        {
            "auditd.log.node": "web-1",
            "auditd.log.key": "delete",
            "auditd.log.SYSCALL": "unlink",
            "auditd.log.AUID": "alice",
            "event.action": "deleted",
            "event.category": ["file"],
        },
        id="enriched",
    ),
    pytest.param(
        f"type=1300 {A} arch=c000003e syscall=59 success=yes",
        {"auditd.log.record_type": "SYSCALL"},
        id="numeric-type",
    ),
    pytest.param(
        f"type=DAEMON_END {A} auditd normal halt, sending auid=? pid=? subj=? res=success",
        {
            "event.action": "shutdown-audit",
            "event.outcome": "success",
            "auditd.log.auid": ABSENT,
            "message": ABSENT,
        },
        id="daemon-end-free-text",
    ),
    pytest.param(
        "type=UNKNOWN[1329] msg=g",
        {"auditd.log.record_type": "UNKNOWN[1329]", "message": "g", "@timestamp": ABSENT},
        id="no-audit-header",
    ),
    pytest.param(
        f"Mar  1 10:00:00 host-a audispd: node=host-a type=USER_AUTH {A} pid=1 uid=0 auid=1000 "
        f"msg='op=PAM:authentication acct=\"bob\" {SSHD} res=success'",
        {
            "log.syslog.appname": "audispd",
            "host.hostname": "host-a",
            "user.name": "bob",
            "event.action": "authenticated",
            "@timestamp": "2017-03-14T19:20:56.192Z",
        },
        id="syslog-audispd",
    ),
    pytest.param(
        "<4>Mar  1 10:00:00 host-a kernel: [ 1234.5678] audit: type=1400 "
        'audit(1700000000.123:457): apparmor="DENIED" operation="open" profile="/usr/sbin/cupsd" '
        'name="/etc/shadow" pid=12 comm="cupsd" requested_mask="r" denied_mask="r" fsuid=0',
        {
            "auditd.log.record_type": "AVC",
            "event.action": "violated-apparmor-policy",
            "log.syslog.appname": "kernel",
            "process.pid": 12,
            "auditd.log.name": "/etc/shadow",
        },
        id="kernel-printk-avc",
    ),
]


@pytest.mark.parametrize(("line", "expected"), AUDIT_CASES)
def test_auditd_record_mapping(line: str, expected: dict[str, Any]) -> None:
    (doc,) = PARSERS["auditd"](line, CONTEXT)
    assert_fields(doc, {"event.module": "auditd", "event.dataset": "auditd.log",
                        "event.kind": "event", **expected})  # fmt: skip


def test_auditd_through_the_normalizer_keeps_the_record() -> None:
    line = "type=EXECVE msg=audit(1581371984.206:579393): argc=1 a0=top"
    (output,) = Normalizer().handle(raw_event(line, format="auditd"))
    assert isinstance(output, EcsEvent)
    assert output.doc["event"]["original"] == line
    assert output.doc["@timestamp"] == "2020-02-10T21:59:44.206Z"


@pytest.mark.parametrize(
    "text",
    ["hello", "Jul 27 14:41:59 combo kernel: audit(1122475266.4294965305:0): initialized",
     "<13>Mar  1 10:00:00 host-a audispd: no record here", "typo=SYSCALL msg=audit(1:2): a=b"],
)  # fmt: skip
def test_auditd_text_without_a_record_is_a_parse_error(text: str) -> None:
    with pytest.raises(ParseError, match="not an audit record"):
        PARSERS["auditd"](text, CONTEXT)


_VALID = [param.values[0] for param in AUDIT_CASES]
_PIECES = st.sampled_from(["'", '"', "=", " ", "\x1d", "msg='", "a0=", "[", "]", "(", ")", ":",
                           "audit(", "type=", "ZZ", "00", "99999999999999999999"])  # fmt: skip


@st.composite
def _mutated(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(_VALID))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        text = (
            text[:at]
            + draw(st.one_of(_PIECES, st.text(max_size=5)))
            + text[at + draw(st.integers(0, 12)) :]
        )
    return text


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=200), _mutated()))
def test_auditd_hostile_input_only_raises_parse_error(text: str) -> None:
    try:
        (doc,) = PARSERS["auditd"](text, CONTEXT)
    except ParseError:
        return
    assert isinstance(doc["auditd"]["log"]["record_type"], str)
