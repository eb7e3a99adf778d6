"""Linux authentication messages (sshd, PAM, sudo, su, account tools) → ECS, line by line.

Each line goes through the syslog parser, so program dispatch is exercised too.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

import pytest

from services.normalizer.parsers import PARSERS, ParseContext, linux_auth
from tests.unit.normalizer.factories import ABSENT, RECEIVED, assert_fields

H = "Mar  1 10:00:00 host-a "
ATTACKER = "203.0.113.9"
FAILED_LOGIN = {
    "event.kind": "event",
    "event.module": "system",
    "event.dataset": "system.auth",
    "event.category": ["authentication"],
    "event.type": ["info"],
    "event.action": "ssh_login",
    "event.outcome": "failure",
}
PAM_FAILURE = {
    "event.category": ["authentication"],
    "event.type": ["info"],
    "event.action": "authentication_failure",
    "event.outcome": "failure",
}
DISCONNECT = {
    "event.category": ["network"],
    "event.type": ["connection", "end"],
    "event.action": "ssh_disconnect",
    "event.outcome": ABSENT,
}


def parse(line: str) -> dict[str, Any]:
    return PARSERS["syslog"](line, ParseContext(RECEIVED, UTC))[0]


SSHD = [
    pytest.param(
        f"{H}sshd[2201]: Failed password for root from {ATTACKER} port 22 ssh2",
        {
            **FAILED_LOGIN,
            "system.auth.ssh.event": "Failed",
            "system.auth.ssh.method": "password",
            "user.name": "root",
            "source.ip": ATTACKER,
            "source.port": 22,
            "process.name": "sshd",
            "process.pid": 2201,
            "related.user": ["root"],
            "related.ip": [ATTACKER],
        },
        id="failed-password",
    ),
    pytest.param(
        f"{H}sshd[1]: Failed password for invalid user admin from 198.51.100.4 port 40022 ssh2",
        {**FAILED_LOGIN, "user.name": "admin", "source.ip": "198.51.100.4", "source.port": 40022},
        id="failed-password-invalid-user",
    ),
    pytest.param(
        f"{H}sshd[1]: Failed none for invalid user  from 198.51.100.4 port 1 ssh2",
        {**FAILED_LOGIN, "system.auth.ssh.method": "none", "user.name": "", "related.user": ABSENT},
        id="failed-none-empty-user",
    ),
    pytest.param(
        f"{H}sshd[1]: Invalid user test from 192.0.2.10 port 5555",
        {
            **FAILED_LOGIN,
            "system.auth.ssh.event": "Invalid",
            "system.auth.ssh.method": ABSENT,
            "user.name": "test",
            "source.ip": "192.0.2.10",
            "source.port": 5555,
        },
        id="invalid-user",
    ),
    pytest.param(
        f"{H}sshd[1]: Invalid user webmaster from 192.0.2.10",
        {
            **FAILED_LOGIN,
            "user.name": "webmaster",
            "source.ip": "192.0.2.10",
            "source.port": ABSENT,
        },
        id="invalid-user-without-port",
    ),
    pytest.param(
        f"{H}sshd[1]: Accepted password for alice from 192.0.2.20 port 52059 ssh2",
        {
            "event.category": ["authentication", "session"],
            "event.type": ["info"],
            "event.action": "ssh_login",
            "event.outcome": "success",
            "system.auth.ssh.event": "Accepted",
            "system.auth.ssh.method": "password",
            "user.name": "alice",
            "source.ip": "192.0.2.20",
            "source.port": 52059,
        },
        id="accepted-password",
    ),
    pytest.param(
        f"{H}sshd[1]: Accepted publickey for alice from 2001:db8::5 port 52059 ssh2:"
        " RSA SHA256:AbCd",
        {
            "event.outcome": "success",
            "system.auth.ssh.method": "publickey",
            "system.auth.ssh.signature": "RSA SHA256:AbCd",
            "source.ip": "2001:db8::5",
        },
        id="accepted-publickey-ipv6-signature",
    ),
    pytest.param(
        f"{H}sshd[1]: Accepted password for alice from gw.example.com port 22 ssh2",
        {"source.domain": "gw.example.com", "source.ip": ABSENT, "related.ip": ABSENT},
        id="hostname-peer-is-a-domain",
    ),
    pytest.param(
        f"{H}sshd[1]: Failed password for root from {ATTACKER} port 99999 ssh2",
        {**FAILED_LOGIN, "source.ip": ATTACKER, "source.port": ABSENT},
        id="port-out-of-range-dropped",
    ),
    pytest.param(
        f"{H}sshd[1]: Connection closed by {ATTACKER} [preauth]",
        {**DISCONNECT, "source.ip": ATTACKER, "source.port": ABSENT},
        id="connection-closed",
    ),
    pytest.param(
        f"{H}sshd[1]: Connection closed by authenticating user root {ATTACKER} port 40000"
        " [preauth]",
        {**DISCONNECT, "user.name": "root", "source.ip": ATTACKER, "source.port": 40000},
        id="connection-closed-authenticating-user",
    ),
    pytest.param(
        f"{H}sshd[1]: Disconnected from invalid user x 9.9.9.9 port 1 {ATTACKER} port 40000"
        " [preauth]",
        {**DISCONNECT, "user.name": "x 9.9.9.9 port 1", "source.ip": ATTACKER},
        id="disconnected-injected-user",
    ),
    pytest.param(
        f"{H}sshd[1]: Received disconnect from {ATTACKER}: 11: Bye Bye [preauth]",
        {**DISCONNECT, "source.ip": ATTACKER},
        id="received-disconnect",
    ),
    pytest.param(
        f"{H}sshd[1]: Received disconnect from {ATTACKER} port 5000:11: disconnected by user",
        {**DISCONNECT, "source.ip": ATTACKER, "source.port": 5000},
        id="received-disconnect-with-port",
    ),
    pytest.param(
        f"{H}sshd[1]: error: Received disconnect from {ATTACKER}: 11: from 192.0.2.1 port 1",
        {**DISCONNECT, "source.ip": ATTACKER, "source.port": ABSENT},
        id="received-disconnect-reason-is-client-text",
    ),
    pytest.param(
        f"{H}sshd[1]: reverse mapping checking getaddrinfo for host.example.com [198.51.100.7]"
        " failed - POSSIBLE BREAK-IN ATTEMPT!",
        {
            "event.action": "ssh_reverse_mapping_failed",
            "event.category": ["network"],
            "source.ip": "198.51.100.7",
            "source.domain": "host.example.com",
        },
        id="reverse-mapping",
    ),
    pytest.param(
        f"{H}sshd[1]: Address 198.51.100.7 maps to host.example.com, but this does not map back"
        " to the address - POSSIBLE BREAK-IN ATTEMPT!",
        {
            "event.action": "ssh_reverse_mapping_failed",
            "source.ip": "198.51.100.7",
            "source.domain": "host.example.com",
        },
        id="address-maps-back",
    ),
    pytest.param(
        f"{H}sshd[1]: Did not receive identification string from {ATTACKER}",
        {"system.auth.ssh.dropped_ip": ATTACKER, "source.ip": ATTACKER, "event.outcome": ABSENT},
        id="no-identification",
    ),
    pytest.param(
        f"{H}sshd[1]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh"
        f" ruser= rhost={ATTACKER}  user=root",
        {**PAM_FAILURE, "user.name": "root", "source.ip": ATTACKER, "process.name": "sshd"},
        id="pam-auth-failure",
    ),
    pytest.param(
        f"{H}sshd[1]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh"
        " ruser= rhost=host.example.com ",
        {**PAM_FAILURE, "user": ABSENT, "source.domain": "host.example.com"},
        id="pam-auth-failure-hostname-no-user",
    ),
    pytest.param(
        f"{H}sshd[1]: PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser="
        f" rhost={ATTACKER}  user=root",
        {**PAM_FAILURE, "user.name": "root", "source.ip": ATTACKER},
        id="pam-more-failures",
    ),
    pytest.param(
        f"{H}sshd[1]: PAM 1 more authentication failure; logname= uid=0 euid=0 tty=ssh ruser="
        f" rhost={ATTACKER}",
        {**PAM_FAILURE, "user": ABSENT, "source.ip": ATTACKER},
        id="pam-one-more-failure",
    ),
    pytest.param(
        f"{H}sshd[1]: error: PAM: Authentication failure for illegal user admin from {ATTACKER}",
        {**PAM_FAILURE, "user.name": "admin", "source.ip": ATTACKER},
        id="pam-error-line",
    ),
    pytest.param(
        f"{H}sshd[1]: pam_unix(sshd:auth): check pass; user unknown",
        {"event.category": ["authentication"], "event.outcome": ABSENT, "user": ABSENT},
        id="pam-check-pass",
    ),
    pytest.param(
        f"{H}sshd[1]: pam_unix(sshd:session): session opened for user alice by (uid=0)",
        {
            "event.category": ["session"],
            "event.type": ["start"],
            "event.action": "logged-on",
            "event.outcome": "success",
            "user.name": "alice",
            "user.id": ABSENT,
        },
        id="pam-session-opened",
    ),
    pytest.param(
        f"{H}sshd[1]: pam_unix(sshd:session): session closed for user alice",
        {
            "event.type": ["end"],
            "event.action": "logged-off",
            "event.outcome": ABSENT,
            "user.name": "alice",
        },
        id="pam-session-closed",
    ),
    pytest.param(
        f"{H}sshd[1]: Server listening on 0.0.0.0 port 22.",
        {
            "event.kind": "event",
            "event.dataset": "system.auth",
            "event.category": ABSENT,
            "source": ABSENT,
        },
        id="unrecognised-sshd-message-keeps-base",
    ),
    pytest.param(
        f"{H}sshd[1]: input_userauth_request: invalid user webmaster [preauth]",
        {"event.outcome": ABSENT, "source": ABSENT},
        id="userauth-request-is-not-a-second-failure",
    ),
    pytest.param(
        f"Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0"
        f" euid=0 tty=NODEVssh ruser= rhost={ATTACKER}  user=root",
        {
            **PAM_FAILURE,
            "process.name": "sshd",
            "process.pid": 19939,
            "log.syslog.appname": "sshd(pam_unix)",
            "user.name": "root",
            "source.ip": ATTACKER,
        },
        id="old-style-pam-tag",
    ),
    pytest.param(
        "Jun 14 15:16:01 combo su(pam_unix)[2000]: session opened for user news by (uid=0)",
        {"process.name": "su", "event.type": ["start"], "user.name": "news"},
        id="old-style-pam-tag-session",
    ),
]

SUDO_AND_SU = [
    pytest.param(
        f"{H}sudo:  vagrant : TTY=pts/0 ; PWD=/home/vagrant ; USER=root ;"
        " COMMAND=/usr/bin/apt-get update",
        {
            "event.category": ["process"],
            "event.type": ["start"],
            "event.outcome": "success",
            "user.name": "vagrant",
            "user.effective.name": "root",
            "system.auth.sudo": {
                "tty": "pts/0",
                "pwd": "/home/vagrant",
                "user": "root",
                "command": "/usr/bin/apt-get update",
            },
            "related.user": ["vagrant", "root"],
            "process.pid": ABSENT,
            "message": "vagrant : TTY=pts/0 ; PWD=/home/vagrant ; USER=root ;"
            " COMMAND=/usr/bin/apt-get update",
        },
        id="sudo-command",
    ),
    pytest.param(
        f"{H}sudo:      tsg : user NOT in sudoers ; TTY=pts/1 ; PWD=/home/v ; USER=root ;"
        " COMMAND=/bin/ls",
        {
            "event.type": ["info"],
            "event.outcome": "failure",
            "system.auth.sudo.error": "user NOT in sudoers",
            "system.auth.sudo.command": "/bin/ls",
            "user.name": "tsg",
        },
        id="sudo-refused",
    ),
    pytest.param(
        f"{H}sudo: alice : TTY=pts/0 ; PWD=/tmp ; USER=root ; COMMAND=/bin/sh -c a ; b",
        {"system.auth.sudo.command": "/bin/sh -c a ; b", "system.auth.sudo.pwd": "/tmp"},
        id="sudo-command-keeps-separators",
    ),
    pytest.param(
        f"{H}sudo: pam_unix(sudo:session): session opened for user root by vagrant(uid=1000)",
        {
            "event.category": ["session"],
            "user.name": "vagrant",
            "user.id": "1000",
            "user.effective.name": "root",
            "related.user": ["vagrant", "root"],
        },
        id="sudo-pam-session",
    ),
    pytest.param(
        f"{H}sudo: pam_unix(sudo:auth): authentication failure; logname=vagrant uid=1001 euid=0"
        " tty=/dev/pts/1 ruser=tsg rhost=  user=tsg",
        {**PAM_FAILURE, "user.name": "tsg", "source": ABSENT},
        id="sudo-pam-failure-no-rhost",
    ),
    pytest.param(
        f"{H}sudo:  vagrant : (command continued) '/etc/metricbeat/metricbeat.yml)",
        {"event.category": ABSENT, "system": ABSENT, "event.dataset": "system.auth"},
        id="sudo-continuation",
    ),
    pytest.param(
        f"{H}su[4496]: Successful su for tsg by root",
        {
            "event.category": ["authentication"],
            "event.action": "su",
            "event.outcome": "success",
            "user.name": "root",
            "user.effective.name": "tsg",
        },
        id="su-success",
    ),
    pytest.param(
        f"{H}su[4496]: FAILED su for root by alice",
        {"event.outcome": "failure", "user.name": "alice", "user.effective.name": "root"},
        id="su-failed",
    ),
    pytest.param(
        f"{H}su[4496]: + /dev/pts/1 root:tsg",
        {"event.outcome": "success", "user.name": "root", "user.effective.name": "tsg"},
        id="su-plus-tty",
    ),
    pytest.param(
        f"{H}su[4496]: - /dev/pts/1 alice:root",
        {"event.outcome": "failure", "user.name": "alice", "user.effective.name": "root"},
        id="su-minus-tty",
    ),
]

ACCOUNTS = [
    pytest.param(
        f"{H}useradd[4484]: new user: name=tsg, UID=1001, GID=1003, home=/home/tsg,"
        " shell=/bin/bash",
        {
            "event.category": ["iam"],
            "event.type": ["user", "creation"],
            "event.outcome": "success",
            "user.name": "tsg",
            "user.id": "1001",
            "group.id": "1003",
            "system.auth.useradd": {"home": "/home/tsg", "shell": "/bin/bash"},
        },
        id="useradd",
    ),
    pytest.param(
        f"{H}useradd[1]: new user: name=tsg, UID=1001, GID=1003, home=/home/tsg, shell=/bin/bash,"
        " from=/dev/pts/1",
        {"system.auth.useradd.shell": "/bin/bash", "user.name": "tsg"},
        id="useradd-from-tty",
    ),
    pytest.param(
        f"{H}useradd[1]: failed adding user 'x', data deleted",
        {"event.outcome": "failure", "user.name": "x"},
        id="useradd-failed",
    ),
    pytest.param(
        f"{H}groupadd[4480]: new group: name=tsg, GID=1003",
        {"event.type": ["group", "creation"], "group.name": "tsg", "group.id": "1003"},
        id="groupadd",
    ),
    pytest.param(
        f"{H}groupadd[4480]: group added to /etc/gshadow: name=tsg",
        {"group.name": "tsg", "group.id": ABSENT},
        id="groupadd-gshadow",
    ),
    pytest.param(
        f"{H}usermod[100]: add 'alice' to shadow group 'sudo'",
        {
            "event.type": ["user", "change"],
            "event.action": "group-member-added",
            "user.name": "alice",
            "group.name": "sudo",
        },
        id="usermod-add-to-group",
    ),
    pytest.param(
        f"{H}userdel[100]: delete user 'bob'",
        {"event.type": ["user", "deletion"], "user.name": "bob"},
        id="userdel",
    ),
    pytest.param(
        f"{H}userdel[100]: removed group 'bob' owned by 'bob'",
        {"group.name": "bob", "user": ABSENT},
        id="userdel-group",
    ),
    pytest.param(
        f"{H}passwd[4491]: pam_unix(passwd:chauthtok): password changed for tsg",
        {
            "event.category": ["iam"],
            "event.type": ["change"],
            "event.action": "password-changed",
            "event.outcome": "success",
            "user.name": "tsg",
            "user.target.name": "tsg",
        },
        id="passwd-pam",
    ),
    pytest.param(
        f"{H}passwd[100]: password for 'bob' changed by 'root'",
        {"event.action": "password-changed", "user.name": "root", "user.target.name": "bob"},
        id="passwd-shadow",
    ),
    pytest.param(
        f"{H}CRON[3448]: pam_unix(cron:session): session opened for user root by (uid=0)",
        {"event.dataset": "system.auth", "event.type": ["start"], "user.name": "root"},
        id="pam-line-of-an-unregistered-program",
    ),
    pytest.param(
        "Jul  7 08:06:15 combo login(pam_unix)[2421]: session opened for user root by LOGIN(uid=0)",
        {
            "event.dataset": "system.auth",
            "process.name": "login",
            "user.name": "LOGIN",
            "user.effective.name": "root",
        },
        id="old-style-pam-tag-of-an-unregistered-program",
    ),
    pytest.param(
        f"{H}chfn[4492]: changed user 'tsg' information",
        {"event.category": ["iam"], "event.type": ["user", "change"], "user.name": "tsg"},
        id="chfn",
    ),
    pytest.param(
        "Feb 22 10:21:43  sshd[1332]: last message repeated 2 times",
        {"event.dataset": "system.auth", "vigie.repeat_count": 2, "event.outcome": ABSENT},
        id="repeat-without-message-stays-with-its-program",
    ),
    pytest.param(
        f"{H}CRON[99]: (root) CMD (run-parts /etc/cron.hourly)",
        {"event.dataset": "syslog", "event.kind": ABSENT, "user": ABSENT},
        id="unregistered-program-stays-syslog",
    ),
]


@pytest.mark.parametrize(("line", "expected"), SSHD + SUDO_AND_SU + ACCOUNTS)
def test_linux_auth_fields(line: str, expected: dict[str, Any]) -> None:
    assert_fields(parse(line), expected)


@pytest.mark.parametrize(
    "message",
    [
        "Failed password for invalid user a from 192.0.2.1 port 1 ssh2: x y"
        " from 198.51.100.2 port 2 ssh2",
        "Failed password for invalid user a from 192.0.2.1 port 1 from 198.51.100.2 port 2 ssh2",
        "Invalid user a from 192.0.2.1 port 1 from 198.51.100.2 port 2",
        "Invalid user a from 192.0.2.1 from 198.51.100.2",
    ],
)
def test_linux_auth_sshd_peer_is_the_trailing_address(message: str) -> None:
    doc = linux_auth.parse_sshd("sshd", message)
    assert doc["source"]["ip"] == "198.51.100.2"
    assert doc["user"]["name"].startswith("a from 192.0.2.1")


def test_linux_auth_results_do_not_share_mutable_values() -> None:
    message = f"Failed password for root from {ATTACKER} port 22 ssh2"
    first, second = (linux_auth.parse_sshd("sshd", message) for _ in range(2))
    first["event"]["category"].append("tampered")
    assert second["event"]["category"] == ["authentication"]
