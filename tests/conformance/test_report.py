"""``make conformance``'s report: what it states, and its answer when the corpus is absent."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conformance.ecs_compare import IGNORED, PAIR_SOURCES, Pair, compare, pairs_in
from tests.conformance.report import build, main

MOMENT = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def test_report_states_every_pair_its_mismatches_and_the_ignored_fields(
    corpus: Path, tmp_path: Path
) -> None:
    assert main(["--corpus", str(corpus), "--out", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "conformance.json").read_text())
    text = (tmp_path / "conformance.md").read_text()
    assert report["corpus"]["path"] == str(corpus.resolve()) and str(corpus.resolve()) in text
    assert len(report["corpus"]["ecs_expected_sha256"]) == 64
    expected = [(f, p.source) for f in PAIR_SOURCES for p in pairs_in(f, corpus)]
    assert [(p["folder"], p["pair"]) for p in report["pairs"]] == expected
    assert report["not_run"] == []  # every pair folder of the corpus has a PAIR_SOURCES row
    for entry in report["pairs"]:
        pair = next(p for p in pairs_in(entry["folder"], corpus) if p.source == entry["pair"])
        outcome = compare(entry["folder"], pair, corpus)
        assert (entry["matched"], entry["total"]) == (outcome.matched, outcome.total)
        assert [m["field"] for m in entry["mismatches"]] == [m[0] for m in outcome.mismatches]
        assert f"| {entry['folder']}/{entry['pair']} |" in text
        assert all(f"`{m['field']}`" in text for m in entry["mismatches"])
    assert {i["prefix"]: i["reason"] for i in report["ignored"]} == IGNORED
    assert all(f"`{prefix}`" in text for prefix in IGNORED)


def test_report_date_and_summary(corpus: Path) -> None:
    report = build(corpus, now=lambda: MOMENT)
    assert report["date"] == "2026-03-02T12:00:00+00:00"
    summary, pairs = report["summary"], report["pairs"]
    assert summary["pairs"] == len(pairs) > 0
    assert summary["matched"] == sum(p["matched"] for p in pairs)
    assert summary["passing"] == sum(p["share"] >= 0.9 and p["error"] is None for p in pairs)


def test_report_a_pair_without_a_document_is_an_error_not_a_crash(corpus: Path) -> None:
    bad = Pair("made-up#0", "", {"event": {"kind": "event"}})
    outcome = compare("aws/cloudtrail", bad, corpus)
    assert outcome.doc is None and outcome.share == 0.0
    assert "empty record" in (outcome.error or "")


def test_report_skips_with_a_reason_without_the_corpus(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "reports"
    assert main(["--corpus", str(tmp_path / "absent"), "--out", str(out)]) == 0
    assert "conformance report skipped" in capsys.readouterr().out
    assert not out.exists()
