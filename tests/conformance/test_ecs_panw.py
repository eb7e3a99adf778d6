"""PAN-OS through Normalizer.handle: Elastic's panw.panos expected output, and every corpus file.

Timezone of a pair: the folder's ``test-common-config.yml`` ``tz_offset``, else ``+09:30`` (the
``PAIR_SOURCES`` row: Elastic's test configuration set it, and that file is not in the corpus).
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

FOLDER = "panw/panos"
PAIRS = CORPUS / "ecs-expected" / FOLDER


@pytest.mark.parametrize("pair", pairs_in(FOLDER), ids=lambda pair: pair.source)
def test_ecs_panw_matches_elastic(corpus: Path, pair: Pair) -> None:
    assert_conforms(FOLDER, pair)


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
