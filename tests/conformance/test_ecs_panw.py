"""PAN-OS through Normalizer.handle: Elastic's panw.panos expected output, and every corpus file.

Timezone of a pair: the folder's ``test-common-config.yml`` ``tz_offset``, else the
``event.timezone`` Elastic's expected document records (its test configuration set ``+09:30``,
and that configuration file is not in the corpus), else UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from pprint import pformat

import pytest

from schemas.dlq import DeadLetter
from schemas.ecs import EcsEvent
from services.normalizer.core import Normalizer
from tests.conformance.ecs_compare import Pair, config_timezone, load_pairs, score
from tests.conftest import CORPUS
from tests.unit.normalizer.factories import raw_event

PAIRS = CORPUS / "ecs-expected" / "panw" / "panos"
RECEIVED = datetime(2026, 3, 2, 12, 0, 0, tzinfo=UTC)
THRESHOLD = 0.9


def pairs() -> list[Pair]:
    return load_pairs(PAIRS) if PAIRS.is_dir() else []


def timezone_of(pair: Pair) -> str:
    recorded = pair.expected.get("event", {}).get("timezone")
    return config_timezone(PAIRS) or recorded or "UTC"


@pytest.mark.parametrize("pair", pairs(), ids=lambda pair: pair.source)
def test_ecs_panw_matches_elastic(corpus: Path, pair: Pair) -> None:
    normalizer = Normalizer(default_timezone=timezone_of(pair))
    outputs = normalizer.handle(raw_event(pair.record, format="paloalto", received_at=RECEIVED))
    assert len(outputs) == 1 and isinstance(outputs[0], EcsEvent), outputs
    matched, total, mismatches = score(pair.expected, outputs[0].doc)
    assert total > 40  # a pair Elastic filled; an empty expectation would pass anything
    assert matched >= THRESHOLD * total, f"{matched}/{total}\n{pformat(mismatches)}"


def test_ecs_panw_every_corpus_record_is_accounted_for(corpus: Path) -> None:
    files = sorted(PAIRS.glob("*.log"))
    if not files:
        pytest.skip(f"no PAN-OS log file under {PAIRS}")
    normalizer = Normalizer()
    for path in files:
        lines = [line for line in path.read_text().splitlines() if line.strip()]
        outputs = [
            normalizer.handle(raw_event(line, id=f"{path.name}-{n}", format="panos"))
            for n, line in enumerate(lines)
        ]
        events = [o for out in outputs for o in out if isinstance(o, EcsEvent)]
        letters = [o for out in outputs for o in out if isinstance(o, DeadLetter)]
        assert len(events) + len(letters) == len(lines)
        assert letters == [], [letter.error for letter in letters]
        assert all(e.doc["panw"]["panos"]["type"] in ("TRAFFIC", "THREAT") for e in events)
