"""Format detection on every record of the corpus files whose format is known.

The expected format of each file is stated here from its provenance (``SOURCES.md``), not from
the detector; Zeek TSV files are whole batches (their header names the columns).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from services.normalizer.detect import detect
from tests.conftest import CORPUS

LINE_FILES = [  # (file, format of every non-blank line)
    ("network/cef/test-cef.log", "cef"),
    ("network/firewall/pfsense/test-pfsense-bsd.log", "pfsense"),
    ("ecs-expected/fortinet_fortigate/log/test-fortinet-7-6.log", "fortigate"),
    ("ecs-expected/fortinet_fortigate/log/test-fortinet-fix.log", "fortigate"),
    ("ecs-expected/cisco_asa/log/test-302020-direction.log", "cisco_asa"),
    ("ecs-expected/cisco_asa/log/test-repeat-deny.log", "cisco_asa"),
    ("ecs-expected/panw/panos/test-panw-panos-threat-url-no-xff-sample.log", "paloalto"),
    ("ecs-expected/suricata/eve/test-eve-tls-empty-issuerdn.log", "suricata"),
    ("ecs-expected/aws/cloudtrail/test-console-login-json.log", "cloudtrail"),
    ("ecs-expected/azure/signinlogs/test-signinlogs.log", "azure_signin"),
    ("cloud/okta/test-okta-system-yes-flattened-events.log", "okta"),
    ("network/zeek/elastic-json/test-conn.log", "zeek.conn"),
    ("ecs-expected/system/auth/test-sudo-no-tty.log", "syslog"),
    ("syslog/elastic-system-auth/test-auth-ubuntu1204.log", "syslog"),
    ("syslog/loghub/OpenSSH/OpenSSH_2k.log", "syslog"),
    ("syslog/loghub/Linux/Linux_2k.log", "syslog"),
]


@pytest.mark.parametrize(("relative", "fmt"), LINE_FILES, ids=[f for f, _ in LINE_FILES])
def test_detect_corpus_every_line_of_a_known_file(corpus: Path, relative: str, fmt: str) -> None:
    path = corpus / relative
    if not path.is_file():
        pytest.skip(f"{path} is absent from the corpus")
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    assert Counter(detect(line) for line in lines) == {fmt: len(lines)}


def suricata_files() -> list[Path]:
    return sorted((CORPUS / "network" / "suricata").rglob("*.json"))


@pytest.mark.parametrize("path", suricata_files(), ids=lambda p: p.parent.parent.name)
def test_detect_corpus_suricata_eve_files(corpus: Path, path: Path) -> None:
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    assert {detect(line) for line in lines} == {"suricata"}


def zeek_tsv_files() -> list[Path]:
    return sorted((CORPUS / "network" / "zeek" / "Baseline").rglob("*.log"))


@pytest.mark.parametrize("path", zeek_tsv_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_detect_corpus_zeek_tsv_files_with_their_header(corpus: Path, path: Path) -> None:
    text = path.read_text()
    assert detect(text) == ("zeek" if "\n#fields" in text else "syslog")


def test_detect_corpus_windows_events(corpus: Path) -> None:
    """The Winlogbeat events of Elastic's pairs, each as the JSON line a shipper sends."""
    folders = ("system/security", "windows/sysmon_operational")
    inputs = [
        path
        for folder in folders
        for path in (corpus / "ecs-expected" / folder).glob("test-*.json")
        if not path.name.endswith("-expected.json")
    ]
    events = [event for path in inputs for event in json.loads(path.read_text())["events"]]
    assert events and {detect(json.dumps(event)) for event in events} == {"windows"}
