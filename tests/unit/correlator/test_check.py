"""``vigie rules check``: every rule listed as loaded / unsupported / error, never skipped."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from services.cli import app
from services.correlator.check import classify, report
from services.correlator.rules import load_rule_text

BASE = """
title: Failed logon
id: 9d0d3a3e-1f1e-4a51-8a55-8f1a3e0c2b01
name: failed_logon
level: low
logsource: {product: windows, service: security}
detection: {selection: {EventID: 4625}, condition: selection}
"""
CORRELATION = """
title: Many failed logons
id: 9d0d3a3e-1f1e-4a51-8a55-8f1a3e0c2b02
level: high
correlation: {type: event_count, rules: [failed_logon], group-by: [IpAddress], timespan: 5m,
              condition: {gte: 5}}
"""
PERCENTILE = """
title: Rare process
correlation: {type: value_percentile, rules: [failed_logon], timespan: 1d,
              condition: {field: Image, lte: 1}}
"""
DANGLING = """
title: Dangling
correlation: {type: event_count, rules: [no_such_rule], timespan: 5m, condition: {gte: 5}}
"""
UNROUTED = """
title: Unrouted
logsource: {product: nowhere}
detection: {selection: {a: 1}, condition: selection}
"""
FILTER = """
title: A filter
filter: {rules: [failed_logon], selection: {a: 1}, condition: not selection}
"""
BAD = """
title: Bad modifier
logsource: {product: windows}
detection: {selection: {a|nosuchmodifier: 1}, condition: selection}
"""


def _doc(*parts: str) -> str:
    return "\n---\n".join(parts)


def test_check_report_lists_every_rule_with_its_status() -> None:
    text = _doc(BASE, CORRELATION, PERCENTILE, DANGLING, UNROUTED, FILTER, BAD)
    reports = {r.title: r for r in report(load_rule_text(text)).rules}
    assert {title: r.status for title, r in reports.items()} == {
        "Failed logon": "loaded", "Many failed logons": "loaded", "Rare process": "unsupported",
        "Dangling": "error", "Unrouted": "loaded", "A filter": "unsupported",
        "Bad modifier": "error",
    }  # fmt: skip
    base, corr = reports["Failed logon"], reports["Many failed logons"]
    assert (base.kind, base.level, base.logsource, base.generate) == (
        "detection", "low", {"product": "windows", "service": "security"}, False,
    )  # fmt: skip
    assert (corr.kind, corr.type, corr.rules, corr.generate) == (
        "correlation", "event_count", (base.id,), True,
    )  # fmt: skip
    assert reports["Dangling"].reason == "references unknown rule no_such_rule"
    assert "value_percentile is not supported" in (reports["Rare process"].reason or "")
    assert reports["Unrouted"].warnings and "no route" in reports["Unrouted"].warnings[0]


def test_check_report_summary_and_ok() -> None:
    checked = report(load_rule_text(_doc(BASE, CORRELATION, UNROUTED)))
    assert checked.ok
    assert checked.summary() == "3 rules: 3 loaded (1 with warnings), 0 unsupported, 0 errors"
    failing = report(load_rule_text(_doc(BASE, DANGLING, FILTER)))
    assert not failing.ok
    assert failing.summary() == "3 rules: 1 loaded (0 with warnings), 1 unsupported, 1 errors"


@pytest.mark.parametrize(
    ("reason", "status"),
    [
        ("Sigma filter documents are not supported", "unsupported"),
        ("The pipe syntax ... pySigma doesn't supports this syntax.", "unsupported"),
        ("unsupported value type SigmaQueryExpression", "unsupported"),
        ("references unknown rule x", "error"),
        ("invalid YAML: mapping values are not allowed here", "error"),
    ],
)
def test_check_classify(reason: str, status: str) -> None:
    assert classify(reason) == status


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    (tmp_path / "good.yml").write_text(_doc(BASE, CORRELATION))
    return tmp_path


def test_cli_rules_check_text_lists_rules_and_exits_0_when_all_load(rules_dir: Path) -> None:
    result = CliRunner().invoke(app, ["rules", "check", str(rules_dir)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["loaded", "detection", "low"]
    assert any(line.split()[:3] == ["loaded", "correlation", "high"] for line in lines)
    assert lines[-1] == "2 rules: 2 loaded (0 with warnings), 0 unsupported, 0 errors"


def test_cli_rules_check_json_one_object_per_rule_and_exit_1(rules_dir: Path) -> None:
    (rules_dir / "bad.yaml").write_text(_doc(DANGLING, "title: [unclosed"))
    result = CliRunner().invoke(app, ["rules", "check", "--json", str(rules_dir)])
    assert result.exit_code == 1
    objects = [orjson.loads(line) for line in result.stdout.splitlines()]
    assert sorted(o["status"] for o in objects) == ["error", "loaded", "loaded"]
    (error,) = [o for o in objects if o["status"] == "error"]
    assert error["path"].endswith("bad.yaml") and error["reason"].startswith("invalid YAML")
    assert result.stderr.strip() == "3 rules: 2 loaded (0 with warnings), 0 unsupported, 1 errors"


def test_cli_rules_check_reports_a_missing_path_and_a_bad_pipeline(rules_dir: Path) -> None:
    missing = CliRunner().invoke(app, ["rules", "check", str(rules_dir / "absent.yml")])
    assert missing.exit_code == 1 and "no such file or directory" in missing.stdout
    (rules_dir / "pipeline.yml").write_text("transformations: [{type: no_such_transformation}]")
    bad = CliRunner().invoke(
        app, ["rules", "check", "--pipeline", str(rules_dir / "pipeline.yml"), str(rules_dir)]
    )
    assert bad.exit_code == 2 and "usage error: pipeline" in bad.stderr


def test_cli_rules_check_with_a_pipeline_file(rules_dir: Path) -> None:
    (rules_dir / "pipeline.yml").write_text("name: none\npriority: 10\ntransformations: []\n")
    result = CliRunner().invoke(
        app, ["rules", "check", "--json", "--pipeline", str(rules_dir / "pipeline.yml"),
              str(rules_dir / "good.yml")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 2
