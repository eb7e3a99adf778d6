"""Vigie benchmarks (``python -m bench``): see ``bench/__main__.py`` for what they measure."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"  # the same ../shared/corpus the tests read
RESULTS = Path(__file__).resolve().parent / "results"
