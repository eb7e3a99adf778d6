"""FortiGate through Normalizer.handle against Elastic's fortinet_fortigate.log expected output.

One known, deliberate difference: Elastic keeps the backslash of ``\\"`` inside a quoted value
(``forwardedfor``); Vigie unescapes it (bug-report case ``fortigate-quoted-value-no-key-injection``
requires ``msg="user \\"admin\\" test"`` to read ``user "admin" test``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conformance.ecs_compare import Pair, assert_conforms, pairs_in

FOLDER = "fortinet_fortigate/log"


@pytest.mark.parametrize("pair", pairs_in(FOLDER), ids=lambda pair: pair.source)
def test_ecs_fortigate_matches_elastic(corpus: Path, pair: Pair) -> None:
    assert_conforms(FOLDER, pair)


def test_ecs_fortigate_pairs_are_present(corpus: Path) -> None:
    assert len(pairs_in(FOLDER)) >= 13, f"expected Elastic's FortiGate pairs under {FOLDER}"
