"""Shared by the tests of the firewall and SIEM-interchange parsers (CEF, LEEF, FortiGate, ASA,
pfSense, Check Point, Sophos).

``parse`` calls a parser directly (fixed receive time, chosen timezone); ``normalize`` runs a
line through the real ``Normalizer``; ``case_lines`` gives a bug-report case's lines with their
exact expectations; ``hostile_lines`` feeds the property tests with random and mutated lines and
``survives`` is their assertion: one document or a ``ParseError``, never another exception.
"""

from __future__ import annotations

from datetime import UTC, tzinfo
from typing import Any

import orjson
import pytest
from hypothesis import strategies as st

from schemas.ecs import EcsEvent
from services.normalizer.core import Normalizer
from services.normalizer.parsers import PARSERS, ParseContext, ParseError
from tests.conftest import CASES_FILE, load_cases
from tests.unit.normalizer.factories import RECEIVED, raw_event

COMMENTARY = {"note"}  # keys of a case's ``expected`` that explain rather than expect
CASES = load_cases()


def parse(fmt: str, text: str, *, timezone: tzinfo = UTC) -> dict[str, Any]:
    (doc,) = PARSERS[fmt](text, ParseContext(RECEIVED, timezone))
    return doc


def normalize(fmt: str, text: str, *, timezone: str = "UTC") -> dict[str, Any]:
    outputs = Normalizer(default_timezone=timezone).handle(raw_event(text, format=fmt))
    assert len(outputs) == 1 and isinstance(outputs[0], EcsEvent), outputs
    return outputs[0].doc


def case_lines(case_id: str) -> list[tuple[str, dict[str, Any]]]:
    """The (line, expected fields) of a bug-report case; skips when the case file lacks it."""
    if case_id not in CASES:
        pytest.skip(f"case {case_id} is not in {CASES_FILE} (absent file or case)")
    given, expected = CASES[case_id]["input"], CASES[case_id]["expected"]
    lines = given if isinstance(given, list) else [given]
    wanted = expected if isinstance(expected, list) else [expected]
    assert len(lines) == len(wanted)
    return [(line, {k: v for k, v in w.items() if k not in COMMENTARY})
            for line, w in zip(lines, wanted, strict=True)]  # fmt: skip


_SPECIALS = st.sampled_from(list('|=\\"[]; ,:<>%^\t\n') + ["\\|", "\\=", '\\"', '="', "x09"])
_PIECES = st.one_of(st.text(max_size=8), _SPECIALS)


def hostile_lines(samples: list[str]) -> st.SearchStrategy[str]:
    """Random text, and valid samples with random pieces spliced in or cut out."""
    mutated = st.tuples(
        st.sampled_from(samples),
        st.integers(0, 10_000),
        st.integers(0, 40),
        st.lists(_PIECES, max_size=6).map("".join),
    ).map(lambda t: t[0][: t[1] % (len(t[0]) + 1)] + t[3] + t[0][t[1] % (len(t[0]) + 1) + t[2] :])
    return st.one_of(st.text(max_size=300), mutated, st.sampled_from(samples))


def survives(fmt: str, text: str) -> None:
    """The parser returns one JSON-shaped document or raises ParseError — nothing else."""
    try:
        docs = PARSERS[fmt](text, ParseContext(RECEIVED, UTC))
    except ParseError as exc:
        assert exc.reason
        return
    assert len(docs) == 1 and isinstance(docs[0], dict)
    orjson.dumps(docs[0])  # what the bus will do with it: no NaN, no non-string keys
