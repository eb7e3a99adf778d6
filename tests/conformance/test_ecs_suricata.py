"""Suricata EVE through Normalizer.handle: Elastic's suricata.eve output, and the corpus EVE files.

Counting: an EVE file holds one JSON event per line; every non-empty line is one record sent as
one RawEvent, and must give exactly one ECS document (the corpus has no malformed line).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from schemas.dlq import DeadLetter
from schemas.ecs import EcsEvent
from services.normalizer.core import Normalizer
from tests.conformance.ecs_compare import Pair, assert_conforms, pairs_in
from tests.conftest import CORPUS
from tests.unit.normalizer.factories import raw_event

FOLDER = "suricata/eve"
EVE_FILES = CORPUS / "network" / "suricata" / "suricata-verify"


@pytest.mark.parametrize("pair", pairs_in(FOLDER), ids=lambda pair: pair.source)
def test_ecs_suricata_matches_elastic(corpus: Path, pair: Pair) -> None:
    assert_conforms(FOLDER, pair)


def eve_files() -> list[Path]:
    return sorted(EVE_FILES.rglob("*.json")) if EVE_FILES.is_dir() else []


@pytest.mark.parametrize("path", eve_files(), ids=lambda path: str(path.relative_to(EVE_FILES)))
def test_ecs_suricata_every_corpus_event_is_accounted_for(corpus: Path, path: Path) -> None:
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    normalizer = Normalizer()
    outputs = [
        normalizer.handle(raw_event(line, id=f"{path.name}-{n}", format="suricata"))
        for n, line in enumerate(lines)
    ]
    events = [o for out in outputs for o in out if isinstance(o, EcsEvent)]
    letters = [o for out in outputs for o in out if isinstance(o, DeadLetter)]
    assert len(events) + len(letters) == len(lines) > 0
    assert letters == [], [letter.error for letter in letters]
    # Every EVE line carries a timestamp: none falls back to the receive time.
    assert all(e.doc["@timestamp"] != e.doc["event"]["ingested"] for e in events)
    assert all(e.doc["event"]["dataset"] == "suricata.eve" for e in events)


def test_ecs_suricata_corpus_covers_the_mapped_event_types(corpus: Path) -> None:
    if not eve_files():
        pytest.skip(f"no EVE file under {EVE_FILES}")
    seen = {
        event.doc["suricata"]["eve"]["event_type"]
        for path in eve_files()
        for line in path.read_text().splitlines()
        if line.strip()
        for event in Normalizer().handle(raw_event(line, format="suricata"))
        if isinstance(event, EcsEvent)
    }
    assert {"alert", "dns", "tls", "http", "flow", "fileinfo", "stats"} <= seen
