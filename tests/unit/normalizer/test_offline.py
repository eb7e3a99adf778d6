"""``vigie parse`` through typer's CliRunner, and the offline module's record splitting.

Real corpus files go through the command as a subprocess in
``tests/conformance/test_vigie_parse_corpus.py``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from services.cli import app
from services.normalizer.offline import OfflineRun, zeek_batches
from tests.unit.normalizer.test_detect import SURICATA, ZEEK_TSV

CEF = "<134>Mar  1 10:00:00 fw-a CEF:0|V|P|1|2|N|3|src=192.0.2.1 dst=198.51.100.2"
BROKEN_CEF = "<134>Mar  1 10:00:00 fw-a CEF:0|short"
SSH = "Mar  1 10:00:00 h sshd[1]: Failed password for root from 192.0.2.9 port 22 ssh2"


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def invoke(*args: str | Path) -> tuple[int, list[dict[str, Any]], list[str]]:
    result = CliRunner().invoke(app, ["parse", *map(str, args)])
    docs = [json.loads(line) for line in result.stdout.splitlines()]
    return result.exit_code, docs, result.stderr.splitlines()


def test_offline_auto_detects_each_line_and_reports_failures(tmp_path: Path) -> None:
    path = write(tmp_path, "mixed.log", f"{CEF}\n\n{SURICATA}\r\n{BROKEN_CEF}\n{SSH}")
    code, docs, errors = invoke(path)
    assert code == 1
    assert [d["vigie"]["format"] for d in docs] == ["cef", "suricata", "syslog"]
    assert [d["event"]["original"] for d in docs] == [CEF, SURICATA, SSH]
    assert {d["organization"]["id"] for d in docs} == {"local"}
    assert errors[0].startswith(f"{path}:4: cef: ")  # the blank line 2 is no record
    assert errors[1:] == [
        "4 records, 3 documents, 1 failures",
        "  cef: 2 records, 1 documents, 1 failures",
        "  suricata: 1 records, 1 documents, 0 failures",
        "  syslog: 1 records, 1 documents, 0 failures",
    ]


def test_offline_declared_format_tenant_and_timezone(tmp_path: Path) -> None:
    path = write(tmp_path, "auth.log", "Jul  1 10:00:00 h app: m\n")
    code, (doc,), errors = invoke(
        "--format", "syslog", "--tenant", "acme", "--timezone", "Europe/Paris", path
    )
    assert code == 0 and errors == ["1 records, 1 documents, 0 failures"]  # no per-format lines
    assert doc["organization"]["id"] == "acme"
    assert doc["@timestamp"].endswith("-07-01T08:00:00Z")
    assert doc["vigie"]["source"] == f"file:{path}"


def test_offline_every_line_fails_under_a_wrong_format(tmp_path: Path) -> None:
    path = write(tmp_path, "ssh.log", f"{SSH}\n{SSH}\n")
    code, docs, errors = invoke("--format", "cef", path)
    assert (code, docs) == (1, [])
    assert [e.split(": ")[0] for e in errors[:2]] == [f"{path}:1", f"{path}:2"]
    assert errors[2] == "2 records, 0 documents, 2 failures"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "nope"], "unknown format 'nope'"),
        (["--timezone", "Mars/Olympus"], "unknown timezone"),
        (["--tenant", " "], "tenant must not be empty"),
    ],
)
def test_offline_usage_errors_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    path = write(tmp_path, "a.log", f"{SSH}\n")
    code, docs, errors = invoke(*args, path)
    assert (code, docs) == (2, []) and message in errors[0]


def test_offline_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["parse", str(tmp_path / "absent.log")])
    assert result.exit_code == 2 and "does not exist" in result.stderr


def test_offline_invalid_utf8_is_kept_and_flagged(tmp_path: Path) -> None:
    path = write(tmp_path, "latin1.log", SSH.encode() + b" caf\xe9\n")
    code, (doc,), _ = invoke(path)
    assert code == 0
    assert doc["vigie"]["flags"] == ["invalid_utf8"]
    assert doc["event"]["original"] == SSH + " caf\ufffd"


def test_offline_zeek_tsv_file_is_one_batch_with_a_document_per_line(tmp_path: Path) -> None:
    second = "1300475168.1\tC2\t192.0.2.2\t53\t198.51.100.2\t53\tudp"
    path = write(tmp_path, "conn.log", f"{ZEEK_TSV}\n{second}\n#close\t2026-03-02-12-00-00\n")
    code, docs, errors = invoke(path)
    assert code == 0
    assert [d["event"]["original"] for d in docs] == [ZEEK_TSV.splitlines()[-1], second]
    assert len({d["event"]["id"] for d in docs}) == 2
    assert errors[:2] == [
        "1 records, 2 documents, 0 failures",
        "  zeek: 1 records, 2 documents, 0 failures",
    ]


def test_offline_reruns_give_the_same_ids(tmp_path: Path) -> None:
    path = write(tmp_path, "a.log", f"{SSH}\n{CEF}\n")
    first, second = invoke(path)[1], invoke(path)[1]
    assert [d["event"]["id"] for d in first] == [d["event"]["id"] for d in second]
    assert len({d["event"]["id"] for d in first}) == 2


def test_offline_run_takes_time_from_now(tmp_path: Path) -> None:
    path = write(tmp_path, "a.log", f"{SSH}\n")
    out: list[bytes] = []
    moment = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    OfflineRun(now=lambda: moment).run([path], out=out.append, err=print)
    assert json.loads(out[0])["event"]["ingested"] == "2026-03-02T12:00:00Z"


HEADER = [(1, b"#separator \\x09"), (2, b"#fields\ta")]


@pytest.mark.parametrize(
    ("lines", "size", "batches"),
    [
        ([*HEADER, (3, b"x"), (4, b"y"), (5, b"z")], 2,
         [(3, b"#separator \\x09\n#fields\ta\nx\ny"), (5, b"#separator \\x09\n#fields\ta\nz")]),
        ([*HEADER, (3, b"x"), (4, b"#close"), (5, b"#fields\tb"), (6, b""), (7, b"y")], 10,
         [(3, b"#separator \\x09\n#fields\ta\nx"), (7, b"#close\n#fields\tb\ny")]),
        ([*HEADER, (3, b"#close")], 10, []),
        ([(1, b"x")], 10, [(1, b"x")]),  # no header: the parser says so, one failure
    ],
    ids=["split-by-size", "concatenated-logs", "header-only", "headerless"],
)  # fmt: skip
def test_offline_zeek_batches(
    lines: list[tuple[int, bytes]], size: int, batches: list[tuple[int, bytes]]
) -> None:
    assert list(zeek_batches(lines, size)) == batches
