"""``vigie intel load``: explicit scope, dry runs, refusals; publishing needs a Kafka bus."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
import yaml
from typer.testing import CliRunner

from services.cli import app

runner = CliRunner()


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "vigie.yaml"
    path.write_text(yaml.safe_dump({"data_dir": str(tmp_path), "tenants": [{"id": "acme"}]}))
    return path


@pytest.fixture
def feed(tmp_path: Path) -> Path:
    path = tmp_path / "feed.csv"
    path.write_text("type,value\nip,203.0.113.5\nemail,a@example.com\n")
    return path


def test_dry_run_prints_indicators_and_reasons(config: Path, feed: Path) -> None:
    result = runner.invoke(
        app, ["intel", "load", str(feed), "--tenant", "acme", "--confidence", "85", "--dry-run",
              "-c", str(config)],
    )  # fmt: skip
    assert result.exit_code == 1  # an entry was skipped
    [line] = result.stdout.splitlines()
    assert {k: orjson.loads(line)[k] for k in ("tenant", "value", "confidence", "feed")} == {
        "tenant": "acme", "value": "203.0.113.5", "confidence": 85, "feed": "feed.csv",
    }  # fmt: skip
    assert "skipped line 3: type 'email' is not supported" in result.stderr
    assert "1 indicators for tenant acme checked" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "exactly one of --tenant T or --global"),
        (["--tenant", "acme", "--global"], "exactly one of --tenant T or --global"),
        (["--tenant", "initech"], "tenant 'initech' is not configured"),
        (["--global"], "the bus is not Kafka"),
        (["--global", "--format", "yara", "--dry-run"], "--format 'yara'"),
        (["--global", "--format", "stix", "--dry-run"], "not valid JSON"),
    ],
)
def test_usage_errors_exit_2(config: Path, feed: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["intel", "load", str(feed), *args, "-c", str(config)])
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""
