"""Sysmon events (evtx tree form) → ECS process, network, file, registry and DNS fields."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.normalizer.factories import ABSENT, assert_fields
from tests.unit.normalizer.windows_events import sysmon

BASE = {"RuleName": "-", "UtcTime": "2026-03-01 09:59:59.875",
        "ProcessGuid": "3F2504E0-4F89-11D3-9A0C-0305E82C3301", "ProcessId": 4460,
        "User": "EXAMPLE\\user1"}  # fmt: skip
HASHES = ("SHA1=5E4F2C531C549BB72A658ED9DD16D491EDDBB286,MD5=FAB4B30C1C4F0A9202A7B42DCF1729DC,"
          "SHA256=1B48A4F8D20026E6C56E3AB4CC4788FA6425C8A75F8D91C2869FA533DE6B209E,"
          "IMPHASH=00000000000000000000000000000000")  # fmt: skip
COMMON = {
    "@timestamp": "2026-03-01T09:59:59.875Z", "event.created": "2026-03-01T10:00:00.123456Z",
    "event.dataset": "windows.sysmon_operational", "event.module": "windows",
    "process.entity_id": "{3f2504e0-4f89-11d3-9a0c-0305e82c3301}", "user.id": "S-1-5-18",
    "user.name": "user1", "user.domain": "EXAMPLE", "rule.name": ABSENT, "event.outcome": ABSENT,
}  # fmt: skip
SYSMON_CASES = [
    pytest.param(1, {
        "Image": "C:\\Windows\\System32\\certutil.exe", "OriginalFileName": "CertUtil.exe",
        "CommandLine": 'certutil -urlcache -f "http://example.com/a b.txt" out.txt',
        "CurrentDirectory": "C:\\Users\\user1\\", "Hashes": HASHES, "RuleName": "T1105",
        "ParentImage": "C:\\Windows\\System32\\cmd.exe", "ParentProcessId": "1200",
        "ParentCommandLine": "cmd.exe",
    }, {
        "event.action": "Process creation", "event.category": ["process"], "event.type": ["start"],
        "process.pid": 4460, "process.name": "certutil.exe", "rule.name": "T1105",
        "process.executable": "C:\\Windows\\System32\\certutil.exe",
        "process.args": ["certutil", "-urlcache", "-f", "http://example.com/a b.txt", "out.txt"],
        "process.args_count": 5, "process.working_directory": "C:\\Users\\user1\\",
        "process.pe.original_file_name": "CertUtil.exe", "process.parent.pid": 1200,
        "process.parent.name": "cmd.exe", "process.parent.args": ["cmd.exe"],
        "process.hash.md5": "fab4b30c1c4f0a9202a7b42dcf1729dc", "process.pe.imphash": ABSENT,
        "related.hash": ["5e4f2c531c549bb72a658ed9dd16d491eddbb286",
                         "fab4b30c1c4f0a9202a7b42dcf1729dc",
                         "1b48a4f8d20026e6c56e3ab4cc4788fa6425c8a75f8d91c2869fa533de6b209e"],
        "related.user": ["user1"], "file.path": ABSENT,
    }, id="1-process-creation"),
    # The flow is the Community ID specification's own TCP test vector.
    pytest.param(3, {
        "Image": "C:\\Tools\\agent.exe", "Protocol": "tcp", "Initiated": True,
        "SourceIsIpv6": False, "SourceIp": "128.232.110.120", "SourcePort": 34855,
        "DestinationIp": "66.35.250.204", "DestinationHostname": "www.example.com",
        "DestinationPort": 80, "DestinationPortName": "http",
    }, {
        "event.category": ["network"], "event.type": ["start", "connection", "protocol"],
        "network.transport": "tcp", "network.protocol": "http", "network.direction": "egress",
        "network.type": "ipv4", "source.ip": "128.232.110.120", "source.port": 34855,
        "destination.ip": "66.35.250.204", "destination.port": 80,
        "destination.domain": "www.example.com",
        "network.community_id": "1:LQU9qZlK+B5F3KDmev6m5PMibrg=",
        "related.ip": ["128.232.110.120", "66.35.250.204"],
    }, id="3-network-connection"),
    pytest.param(7, {
        "Image": "C:\\Windows\\System32\\WerFaultSecure.exe",
        "ImageLoaded": "C:\\Windows\\System32\\dbgcore.dll", "Hashes": HASHES,
        "OriginalFileName": "DBGCORE.DLL", "Company": "Microsoft Corporation", "Signed": True,
        "Signature": "Microsoft Windows", "SignatureStatus": "Valid",
    }, {
        "event.action": ["Image loaded", "load"], "event.category": ["process", "library"],
        "dll.path": "C:\\Windows\\System32\\dbgcore.dll", "dll.name": "dbgcore.dll",
        "file.directory": "C:\\Windows\\System32", "file.extension": "dll",
        "file.hash.sha1": "5e4f2c531c549bb72a658ed9dd16d491eddbb286",
        "dll.pe.original_file_name": "DBGCORE.DLL", "file.pe.company": "Microsoft Corporation",
        "process.pe.company": ABSENT, "dll.code_signature.signed": True,
        "file.code_signature.trusted": True, "file.code_signature.valid": True,
        "dll.code_signature.subject_name": "Microsoft Windows",
    }, id="7-image-loaded"),
    pytest.param(10, {
        "SourceProcessGUID": "0197231E-005A-6928-A50B-000000000D00", "SourceProcessId": 4460,
        "SourceThreadId": 77, "SourceImage": "C:\\Tools\\dumper.exe", "TargetProcessId": 700,
        "TargetImage": "C:\\Windows\\System32\\lsass.exe", "GrantedAccess": "0x1010",
    }, {
        "event.action": "ProcessAccess", "process.executable": "C:\\Tools\\dumper.exe",
        "process.thread.id": 77, "process.pid": 4460,
        "winlog.event_data.TargetImage": "C:\\Windows\\System32\\lsass.exe",
        "winlog.event_data.GrantedAccess": "0x1010",
    }, id="10-process-access"),
    pytest.param(11, {
        "Image": "C:\\Tools\\x.exe", "TargetFilename": "C:\\Users\\user1\\AppData\\a.b\\evil.ps1",
    }, {
        "event.category": ["file"], "event.type": ["creation"], "file.name": "evil.ps1",
        "file.directory": "C:\\Users\\user1\\AppData\\a.b", "file.extension": "ps1",
    }, id="11-file-created"),
    pytest.param(13, {
        "EventType": "SetValue", "Image": "C:\\Windows\\regedit.exe", "Details": "DWORD (0x00000d3d)",
        "TargetObject": "HKLM\\System\\CurrentControlSet\\Control\\Terminal Server\\PortNumber",
    }, {
        "registry.hive": "HKLM", "registry.value": "PortNumber",
        "registry.key": "System\\CurrentControlSet\\Control\\Terminal Server\\PortNumber",
        "registry.data.strings": ["3389"], "registry.data.type": "SZ_DWORD",
        "winlog.event_data.Details": "DWORD (0x00000d3d)",
    }, id="13-registry-dword"),
    pytest.param(13, {
        "TargetObject": "HKU\\S-1-5-21-1\\Software\\x", "Details": "QWORD (0x00000001-0x00000002)",
    }, {"registry.data.strings": [str((1 << 32) + 2)], "registry.data.type": "SZ_QWORD"},
        id="13-registry-qword"),
    pytest.param(12, {"EventType": "DeleteKey", "TargetObject": "HKLM\\Software\\Microsoft\\AMSI"},
                 {"registry.path": "HKLM\\Software\\Microsoft\\AMSI", "registry.data": ABSENT},
                 id="12-registry-delete"),
    pytest.param(17, {"PipeName": "\\REDSUN", "Image": "C:\\Users\\user1\\RedSun.exe"},
                 {"file.name": "\\REDSUN", "event.action": "PipeEvent (Pipe Created)"},
                 id="17-pipe-created"),
    pytest.param(22, {
        "QueryName": "www.example.com", "QueryStatus": "0", "Image": "C:\\Tools\\x.exe",
        "QueryResults": "type:  5 edge.example.net;::ffff:198.51.100.7;2001:db8::7;",
    }, {
        "dns.question.name": "www.example.com", "network.protocol": "dns",
        "sysmon.dns.status": "SUCCESS", "dns.resolved_ip": ["198.51.100.7", "2001:db8::7"],
        "dns.answers": [{"type": "CNAME", "data": "edge.example.net"},
                        {"type": "A", "data": "198.51.100.7"},
                        {"type": "AAAA", "data": "2001:db8::7"}],
        "related.hosts": ["www.example.com", "edge.example.net"],
        "related.ip": ["198.51.100.7", "2001:db8::7"],
    }, id="22-dns-query"),
]  # fmt: skip


@pytest.mark.parametrize(("code", "data", "expected"), SYSMON_CASES)
def test_windows_sysmon_event_mapping(code: int, data: dict[str, Any], expected: dict) -> None:
    doc = sysmon(code, {**BASE, **data})
    assert_fields(doc, {**COMMON, "event.code": str(code), **expected})


def test_windows_sysmon_keeps_every_event_data_field() -> None:
    data = {**BASE, "Image": "C:\\a.exe", "CommandLine": "a", "Hashes": HASHES}
    doc = sysmon(1, data)
    assert set(doc["winlog"]["event_data"]) == set(data)
