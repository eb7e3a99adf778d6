"""``make conformance``: how closely Vigie's ECS documents match Elastic's, written as a report.

``python -m tests.conformance.report [--corpus DIR] [--out DIR]`` runs every pair of
``<corpus>/ecs-expected`` whose folder has a row in ``ecs_compare.PAIR_SOURCES`` through
``Normalizer.handle``, exactly as the ``test_ecs_*`` tests do (``ecs_compare.compare``), and
writes ``<out>/conformance.json`` and ``<out>/conformance.md`` (default ``reports/``): per pair,
the matched and total count of Elastic's compared fields and their share, and each mismatch
(field, Elastic's value, Vigie's); the pair folders that have no row (not run); the ignored field
prefixes with the reason for each. It names the corpus it ran on — its path and a SHA-256 over
the ``ecs-expected`` files, the corpus having no version control of its own — and the date.

Without the corpus it prints why and writes nothing (exit 0: there is nothing to report on).
The exit status does not judge the shares; the conformance tests do.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from tests.conformance.ecs_compare import (
    IGNORED,
    MIN_SHARE,
    PAIR_SOURCES,
    Pair,
    compare,
    pairs_in,
    timezone_of,
)
from tests.conftest import CORPUS, ROOT

MAX_VALUE_CHARS = 120  # the Markdown table shows values cut to this; the JSON keeps them whole


def build(corpus: Path, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> dict[str, Any]:
    """The report as a JSON-ready dict (see the module docstring)."""
    pairs = [
        _pair(folder, pair, corpus) for folder in PAIR_SOURCES for pair in pairs_in(folder, corpus)
    ]
    matched, total = sum(p["matched"] for p in pairs), sum(p["total"] for p in pairs)
    return {
        "date": now().isoformat(timespec="seconds"),
        "corpus": {"path": str(corpus.resolve()), "ecs_expected_sha256": _digest(corpus)},
        "threshold": MIN_SHARE,
        "summary": {
            "pairs": len(pairs),
            "passing": sum(p["passing"] for p in pairs),
            "matched": matched,
            "total": total,
            "share": round(matched / total, 4) if total else 0.0,
        },
        "pairs": pairs,
        "not_run": _not_run(corpus),
        "ignored": [{"prefix": prefix, "reason": reason} for prefix, reason in IGNORED.items()],
    }


def _pair(folder: str, pair: Pair, corpus: Path) -> dict[str, Any]:
    outcome = compare(folder, pair, corpus)
    return {
        "folder": folder,
        "pair": pair.source,
        "format": PAIR_SOURCES[folder].format,
        "timezone": timezone_of(folder, corpus),
        "matched": outcome.matched,
        "total": outcome.total,
        "share": round(outcome.share, 4),
        "passing": outcome.error is None and outcome.share >= MIN_SHARE,
        "error": outcome.error,
        "mismatches": [
            {"field": key, "expected": want, "got": got} for key, want, got in outcome.mismatches
        ],
    }


def _not_run(corpus: Path) -> list[dict[str, str]]:
    root = corpus / "ecs-expected"
    folders = sorted({str(f.parent.relative_to(root)) for f in root.rglob("*-expected.json")})
    reason = "no row in tests/conformance/ecs_compare.py PAIR_SOURCES (no format hint)"
    return [
        {"folder": folder, "reason": reason} for folder in folders if folder not in PAIR_SOURCES
    ]


def _digest(corpus: Path) -> str:
    root = corpus / "ecs-expected"
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def markdown(report: dict[str, Any]) -> str:
    summary, corpus = report["summary"], report["corpus"]
    lines = [
        "# ECS conformance against Elastic's expected output",
        "",
        f"- Date: {report['date']}",
        f"- Corpus: `{corpus['path']}` (ecs-expected SHA-256 `{corpus['ecs_expected_sha256']}`)",
        (
            f"- Pairs: {summary['pairs']}, at or above {report['threshold']:.0%} of Elastic's "
            f"fields: {summary['passing']}; fields matched overall: "
            f"{summary['matched']}/{summary['total']} ({summary['share']:.1%})"
        ),
        "",
        "| pair | format | timezone | matched/total | share | status |",
        "|---|---|---|---|---|---|",
    ]
    for p in report["pairs"]:
        status = "ok" if p["passing"] else "error" if p["error"] else "below threshold"
        lines.append(f"| {p['folder']}/{p['pair']} | {p['format']} | {p['timezone']} | "
                     f"{p['matched']}/{p['total']} | {p['share']:.1%} | {status} |")  # fmt: skip
    lines += ["", "## Mismatches", ""]
    for p in report["pairs"]:
        if p["error"] or p["mismatches"]:
            lines += [f"### {p['folder']}/{p['pair']}", ""]
            lines += [f"Error: {_escape(p['error'])}", ""] if p["error"] else []
            lines += _mismatch_table(p["mismatches"])
    if not any(p["error"] or p["mismatches"] for p in report["pairs"]):
        lines += ["None.", ""]
    lines += ["## Not run", ""]
    lines += [f"- {n['folder']}: {n['reason']}" for n in report["not_run"]] or ["None."]
    lines += ["", "## Ignored fields", "", "| prefix | reason |", "|---|---|"]
    lines += [f"| `{i['prefix']}` | {_escape(i['reason'])} |" for i in report["ignored"]]
    return "\n".join(lines) + "\n"


def _mismatch_table(mismatches: list[dict[str, Any]]) -> list[str]:
    if not mismatches:
        return []
    rows = [f"| `{m['field']}` | {_cell(m['expected'])} | {_cell(m['got'])} |" for m in mismatches]
    return ["| field | Elastic | Vigie |", "|---|---|---|", *rows, ""]


def _cell(value: Any) -> str:
    """A value as JSON (a string quoted, so that "5" and 5 differ), or *absent*."""
    if value is None:
        return "*absent*"
    text = json.dumps(value, ensure_ascii=False)
    if len(text) > MAX_VALUE_CHARS:
        text = text[: MAX_VALUE_CHARS - 1] + "…"
    return f"`{_escape(text)}`"


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--out", type=Path, default=ROOT / "reports")
    args = parser.parse_args(argv)
    if not (args.corpus / "ecs-expected").is_dir():
        print(f"conformance report skipped: {args.corpus / 'ecs-expected'} is absent "
              "(the report needs ../shared/corpus)")  # fmt: skip
        return 0
    report = build(args.corpus)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "conformance.json").write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2))
    (args.out / "conformance.md").write_text(markdown(report))
    summary = report["summary"]
    print(f"{summary['passing']}/{summary['pairs']} pairs at or above {MIN_SHARE:.0%}; "
          f"wrote {args.out / 'conformance.md'} and {args.out / 'conformance.json'}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
