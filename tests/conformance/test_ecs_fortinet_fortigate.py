"""FortiGate through Normalizer.handle against Elastic's fortinet_fortigate.log expected output.

One known, deliberate difference: Elastic keeps the backslash of ``\\"`` inside a quoted value
(``forwardedfor``); Vigie unescapes it (bug-report case ``fortigate-quoted-value-no-key-injection``
requires ``msg="user \\"admin\\" test"`` to read ``user "admin" test``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from pprint import pformat

import pytest

from schemas.ecs import EcsEvent
from services.normalizer.core import Normalizer
from tests.conformance.ecs_compare import Pair, config_timezone, load_pairs, score
from tests.conftest import CORPUS
from tests.unit.normalizer.factories import raw_event

PAIRS = CORPUS / "ecs-expected" / "fortinet_fortigate" / "log"
RECEIVED = datetime(2026, 3, 2, 12, 0, 0, tzinfo=UTC)
THRESHOLD = 0.9


def pairs() -> list[Pair]:
    return load_pairs(PAIRS) if PAIRS.is_dir() else []


@pytest.mark.parametrize("pair", pairs(), ids=lambda pair: pair.source)
def test_ecs_fortigate_matches_elastic(corpus: Path, pair: Pair) -> None:
    normalizer = Normalizer(default_timezone=config_timezone(PAIRS) or "UTC")
    outputs = normalizer.handle(raw_event(pair.record, format="fortigate", received_at=RECEIVED))
    assert len(outputs) == 1 and isinstance(outputs[0], EcsEvent), outputs
    matched, total, mismatches = score(pair.expected, outputs[0].doc)
    assert total > 20  # a pair Elastic filled; an empty expectation would pass anything
    assert matched >= THRESHOLD * total, f"{matched}/{total}\n{pformat(mismatches)}"


def test_ecs_fortigate_pairs_are_present(corpus: Path) -> None:
    assert len(pairs()) >= 13, f"expected Elastic's FortiGate pairs under {PAIRS}"
