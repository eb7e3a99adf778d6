"""Cisco ASA through Normalizer.handle against Elastic's cisco_asa.log expected output.

The ``test-302020-direction`` pairs check that built ICMP connections are oriented by their
inbound/outbound word (faddr is the source of an inbound flow, the destination otherwise) and
that ``destination.nat.ip``/``source.nat.ip`` appear only when gaddr differs from laddr.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from pprint import pformat

import pytest

from schemas.ecs import EcsEvent, get_field
from services.normalizer.core import Normalizer
from tests.conformance.ecs_compare import Pair, config_timezone, load_pairs, score
from tests.conftest import CORPUS
from tests.unit.normalizer.factories import raw_event

PAIRS = CORPUS / "ecs-expected" / "cisco_asa" / "log"
RECEIVED = datetime(2026, 3, 2, 12, 0, 0, tzinfo=UTC)
THRESHOLD = 0.9


def pairs() -> list[Pair]:
    return load_pairs(PAIRS) if PAIRS.is_dir() else []


def normalize(pair: Pair) -> dict:
    normalizer = Normalizer(default_timezone=config_timezone(PAIRS) or "UTC")
    outputs = normalizer.handle(raw_event(pair.record, format="cisco_asa", received_at=RECEIVED))
    assert len(outputs) == 1 and isinstance(outputs[0], EcsEvent), outputs
    return outputs[0].doc


@pytest.mark.parametrize("pair", pairs(), ids=lambda pair: pair.source)
def test_ecs_cisco_asa_matches_elastic(corpus: Path, pair: Pair) -> None:
    matched, total, mismatches = score(pair.expected, normalize(pair))
    assert total > 20  # a pair Elastic filled; an empty expectation would pass anything
    assert matched >= THRESHOLD * total, f"{matched}/{total}\n{pformat(mismatches)}"


@pytest.mark.parametrize(
    "field",
    [
        "source.ip",
        "destination.ip",
        "network.direction",
        "source.nat.ip",
        "destination.nat.ip",
        "event.action",
    ],
)
def test_ecs_cisco_asa_302020_direction_exactly(corpus: Path, field: str) -> None:
    direction = [pair for pair in pairs() if pair.source.startswith("test-302020-direction")]
    if not direction:
        pytest.skip("test-302020-direction is absent from the corpus")
    for pair in direction:
        assert get_field(normalize(pair), field) == get_field(pair.expected, field), pair.source
