"""``vigie parse`` as a subprocess (``python -m services parse``) on corpus files of every kind.

Records are counted here independently of the command: non-blank lines of a line file, data
lines of a Zeek TSV file (one batch, its documents one per data line), the 4 records of
``new-user-security.evtx`` (see ``test_ecs_windows.SAMPLE_COUNTS``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

FILES = {  # file → the format the auto run must report for it
    "network/cef/test-cef.log": "cef",
    "network/firewall/pfsense/test-pfsense-bsd.log": "pfsense",
    "ecs-expected/fortinet_fortigate/log/test-fortinet-7-6.log": "fortigate",
    "ecs-expected/cisco_asa/log/test-302020-direction.log": "cisco_asa",
    "ecs-expected/panw/panos/test-panw-panos-threat-url-no-xff-sample.log": "paloalto",
    "ecs-expected/suricata/eve/test-eve-tls-empty-issuerdn.log": "suricata",
    "ecs-expected/aws/cloudtrail/test-console-login-json.log": "cloudtrail",
    "ecs-expected/azure/signinlogs/test-signinlogs.log": "azure_signin",
    "cloud/okta/test-okta-system-yes-flattened-events.log": "okta",
    "network/zeek/elastic-json/test-conn.log": "zeek.conn",
    "network/zeek/Baseline/opt.basic/dns.log": "zeek",
    "windows/omerbenamram-evtx-samples/new-user-security.evtx": "evtx",
    "ecs-expected/system/auth/test-sudo-no-tty.log": "syslog",
}


def vigie_parse(*args: str | Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "services", "parse", *map(str, args)]
    return subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )


def expected_records(path: Path) -> tuple[int, int]:
    """(records, documents) of a corpus file, counted without the command."""
    if path.suffix == ".evtx":
        return 4, 4
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    if lines[0].startswith("#"):
        return 1, len([line for line in lines if not line.startswith("#")])
    return len(lines), len(lines)


def test_vigie_parse_corpus_files_with_auto(corpus: Path) -> None:
    paths = [corpus / name for name in FILES]
    run = vigie_parse("--tenant", "acme", *paths)
    assert run.returncode == 0, run.stderr
    docs = [json.loads(line) for line in run.stdout.splitlines()]
    counts = {FILES[name]: expected_records(corpus / name) for name in FILES}
    records, documents = (sum(c[i] for c in counts.values()) for i in (0, 1))
    summary = run.stderr.splitlines()
    assert summary[0] == f"{records} records, {documents} documents, 0 failures"
    assert summary[1:] == [
        f"  {fmt}: {counts[fmt][0]} records, {counts[fmt][1]} documents, 0 failures"
        for fmt in sorted(counts)
    ]
    assert len(docs) == documents
    assert {d["organization"]["id"] for d in docs} == {"acme"}
    assert [d["vigie"]["format"] for d in docs].count("evtx") == 4
    assert all(d["event"]["original"] and d["event"]["dataset"] for d in docs)


def test_vigie_parse_corpus_evtx_records_keep_their_own_original(corpus: Path) -> None:
    run = vigie_parse(corpus / "windows/omerbenamram-evtx-samples/new-user-security.evtx")
    docs = [json.loads(line) for line in run.stdout.splitlines()]
    assert run.returncode == 0, run.stderr
    assert sorted(d["event"]["code"] for d in docs) == ["4720", "4728", "4732", "4732"]
    for doc in docs:
        tree = json.loads(doc["event"]["original"])["Event"]
        assert str(tree["System"]["EventRecordID"]) == doc["winlog"]["record_id"]


def test_vigie_parse_corpus_wrong_format_reports_every_line(corpus: Path) -> None:
    path = corpus / "network/firewall/pfsense/test-pfsense-bsd.log"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    lines = [n for n, line in enumerate(path.read_text().splitlines(), 1) if line.strip()]
    run = vigie_parse("--format", "cef", path)
    errors = run.stderr.splitlines()
    assert (run.returncode, run.stdout) == (1, "")
    assert [e.split(": ")[0] for e in errors[:-1]] == [f"{path}:{n}" for n in lines]
    assert all(": cef: " in e for e in errors[:-1])
    assert errors[-1] == f"{len(lines)} records, 0 documents, {len(lines)} failures"
