"""``vigie detect``: files → the real normaliser and correlator → final alert versions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from services.cli import app
from services.correlator.offline import OfflineDetection
from services.correlator.rules import load_rules

RULES = """
title: SSH failures from one address
id: 0c1d7e5a-3b7f-4f5e-9a51-1f0d2e3c4b01
level: high
correlation: {type: event_count, rules: [ssh_fail], group-by: [source.ip], timespan: 5m,
              condition: {gte: 3}}
---
title: SSH failure
name: ssh_fail
logsource: {product: linux, service: sshd}
detection:
  selection: {event.outcome: failure, system.auth.ssh.event: Failed}
  condition: selection
---
title: SSH password accepted
id: 0c1d7e5a-3b7f-4f5e-9a51-1f0d2e3c4b02
level: low
logsource: {product: linux, service: sshd}
detection:
  selection: {system.auth.ssh.event: Accepted}
  condition: selection
"""
NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def failed(second: int, user: str = "alice", address: str = "203.0.113.7") -> str:
    return (
        f"Jan  5 10:00:{second:02d} host sshd[42]: Failed password for {user} "
        f"from {address} port {40000 + second} ssh2"
    )


ACCEPTED = "Jan  5 10:01:00 host sshd[43]: Accepted password for bob from 198.51.100.9 port 5 ssh2"


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "ssh.yml").write_text(RULES)
    return folder


def _log(tmp_path: Path, lines: list[str], name: str = "auth.log") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def _run(rules_dir: Path, *files: Path, **options: object) -> tuple[OfflineDetection, object]:
    ruleset = load_rules([rules_dir])
    detection = OfflineDetection(ruleset, now=lambda: NOW, **options)  # type: ignore[arg-type]
    errors: list[str] = []
    return detection, (detection.run(files, err=errors.append), errors)


def test_offline_detection_keeps_the_final_version_of_each_alert(
    rules_dir: Path, tmp_path: Path
) -> None:
    log = _log(
        tmp_path, [failed(s) for s in range(5)] + [failed(9, address="198.51.100.3"), ACCEPTED]
    )
    detection, (summary, errors) = _run(rules_dir, log)
    assert errors == []
    brute, accepted = detection.alerts
    assert (brute.rule.title, brute.group, brute.count, brute.version) == (
        "SSH failures from one address", {"source.ip": "203.0.113.7"}, 5, 3,
    )  # fmt: skip
    assert (accepted.rule.title, accepted.count) == ("SSH password accepted", 1)
    assert brute.first_seen == datetime(2026, 1, 5, 10, 0, 0, tzinfo=UTC)
    assert (summary.parsed.total.records, summary.events, summary.refused) == (7, 7, 0)
    assert summary.lines(per_format=False)[1:] == [
        "7 events correlated, 0 refused, 2 alerts",
        "  1 alert: SSH failures from one address [0c1d7e5a-3b7f-4f5e-9a51-1f0d2e3c4b01]",
        "  1 alert: SSH password accepted [0c1d7e5a-3b7f-4f5e-9a51-1f0d2e3c4b02]",
    ]


def test_offline_detection_below_the_threshold_raises_nothing(
    rules_dir: Path, tmp_path: Path
) -> None:
    detection, (summary, _) = _run(rules_dir, _log(tmp_path, [failed(0), failed(1)]))
    assert detection.alerts == [] and summary.events == 2


def test_offline_detection_windows_span_files(rules_dir: Path, tmp_path: Path) -> None:
    first = _log(tmp_path, [failed(0), failed(1)], "a.log")
    second = _log(tmp_path, [failed(2)], "b.log")
    detection, _ = _run(rules_dir, first, second)
    (alert,) = detection.alerts
    assert alert.count == 3


def test_offline_detection_counts_late_hits_as_the_stream_does(
    rules_dir: Path, tmp_path: Path
) -> None:
    lines = [failed(50), failed(51), failed(0)]  # the last one is 50 s behind its window
    late = _log(tmp_path, lines)
    detection, (summary, _) = _run(rules_dir, late, allowed_lateness=timedelta(seconds=10))
    assert detection.alerts == [] and summary.hits["hits_late"] == 1
    assert "1 hits ignored as late" in summary.lines(per_format=False)[-1]
    detection, (summary, _) = _run(rules_dir, late, allowed_lateness=timedelta(minutes=5))
    assert len(detection.alerts) == 1 and summary.hits["hits_late"] == 0


def test_offline_detection_reports_records_that_fail(rules_dir: Path, tmp_path: Path) -> None:
    _, (summary, errors) = _run(rules_dir, _log(tmp_path, [failed(0)]), fmt="cisco_asa")
    assert summary.parsed.total.failures == 1 and summary.events == 0
    assert len(errors) == 1 and "auth.log:1: cisco_asa" in errors[0]


def test_cli_detect_prints_final_alerts_and_a_summary(rules_dir: Path, tmp_path: Path) -> None:
    log = _log(tmp_path, [failed(s) for s in range(4)])
    result = CliRunner().invoke(app, ["detect", "--rules", str(rules_dir), str(log)])
    assert result.exit_code == 0, result.output
    (line,) = result.stdout.splitlines()
    alert = orjson.loads(line)
    assert (alert["rule"]["title"], alert["count"], alert["version"]) == (
        "SSH failures from one address", 4, 2,
    )  # fmt: skip
    assert "4 records, 4 documents, 0 failures" in result.stderr
    assert "4 events correlated, 0 refused, 1 alerts" in result.stderr


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--format", "nope"], "unknown format 'nope'"),
        (["--timezone", "Nowhere/Zone"], "unknown timezone"),
    ],
)
def test_cli_detect_usage_errors_exit_2(
    rules_dir: Path, tmp_path: Path, options: list[str], message: str
) -> None:
    log = _log(tmp_path, [failed(0)])
    result = CliRunner().invoke(app, ["detect", "--rules", str(rules_dir), *options, str(log)])
    assert result.exit_code == 2 and message in result.stderr


def test_cli_detect_without_a_loaded_rule_exits_2(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "bad.yml").write_text("title: x\ndetection: {condition: nothing}\n")
    result = CliRunner().invoke(
        app, ["detect", "--rules", str(empty), str(_log(tmp_path, [failed(0)]))]
    )
    assert result.exit_code == 2
    assert "rule not loaded (error):" in result.stderr and "no rule loaded" in result.stderr


def test_cli_detect_exit_1_when_a_rule_or_a_record_fails(rules_dir: Path, tmp_path: Path) -> None:
    (rules_dir / "broken.yml").write_text("title: broken\ndetection: {condition: nothing}\n")
    log = _log(tmp_path, [failed(s) for s in range(3)])
    result = CliRunner().invoke(app, ["detect", "--rules", str(rules_dir), str(log)])
    assert result.exit_code == 1
    assert len(result.stdout.splitlines()) == 1  # the loaded rules still ran
    assert "rule not loaded (error):" in result.stderr and "broken.yml: broken" in result.stderr
