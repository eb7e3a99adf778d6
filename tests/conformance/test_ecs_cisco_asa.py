"""Cisco ASA through Normalizer.handle against Elastic's cisco_asa.log expected output.

The ``test-302020-direction`` pairs check that built ICMP connections are oriented by their
inbound/outbound word (faddr is the source of an inbound flow, the destination otherwise) and
that ``destination.nat.ip``/``source.nat.ip`` appear only when gaddr differs from laddr.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from schemas.ecs import get_field
from tests.conformance.ecs_compare import Pair, assert_conforms, compare, pairs_in

FOLDER = "cisco_asa/log"


@pytest.mark.parametrize("pair", pairs_in(FOLDER), ids=lambda pair: pair.source)
def test_ecs_cisco_asa_matches_elastic(corpus: Path, pair: Pair) -> None:
    assert_conforms(FOLDER, pair)


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
    direction = [p for p in pairs_in(FOLDER) if p.source.startswith("test-302020-direction")]
    if not direction:
        pytest.skip("test-302020-direction is absent from the corpus")
    for pair in direction:
        doc = compare(FOLDER, pair).doc
        assert doc is not None and get_field(doc, field) == get_field(pair.expected, field), pair
