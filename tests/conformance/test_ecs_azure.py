"""Entra ID sign-in logs through Normalizer.handle: Elastic's azure.signinlogs output, and the
corpus Sigma sign-in rules run on Vigie's documents (each sees the fields it tests).

Elastic's expected file here is an older revision (ECS 1.5); its values still describe the
records. Counting: one sign-in record per line, each one RawEvent, each one ECS document.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from schemas.dlq import DeadLetter
from schemas.ecs import EcsEvent
from services.correlator.model import RuleSet
from services.correlator.rules import load_rules
from services.normalizer.core import Normalizer
from tests.conformance.ecs_compare import Pair, assert_conforms, pairs_in
from tests.conftest import CORPUS
from tests.unit.normalizer.factories import raw_event
from tests.unit.normalizer.test_azure_signin import failed, sign_in

FOLDER = "azure/signinlogs"
PAIRS = CORPUS / "ecs-expected" / FOLDER


@pytest.mark.parametrize("pair", pairs_in(FOLDER), ids=lambda pair: pair.source)
def test_ecs_azure_signinlogs_matches_elastic(corpus: Path, pair: Pair) -> None:
    assert_conforms(FOLDER, pair)


def test_ecs_azure_signinlogs_corpus_records_are_all_accounted_for(corpus: Path) -> None:
    lines = [
        line
        for path in sorted(PAIRS.glob("test-*.log"))
        for line in path.read_text().splitlines()
        if line.strip()
    ]
    outputs = [
        Normalizer().handle(raw_event(line, id=f"az-{n}", format="azure_signin"))
        for n, line in enumerate(lines)
    ]
    events = [o for out in outputs for o in out if isinstance(o, EcsEvent)]
    letters = [o for out in outputs for o in out if isinstance(o, DeadLetter)]
    assert len(events) + len(letters) == len(lines) > 0
    assert letters == [], [letter.error for letter in letters]
    # Error 50140 ("Keep me signed in" interrupt) is a failed sign-in step, from the caller's IP.
    assert [(e.doc["event"]["outcome"], e.doc["error"]["code"]) for e in events] == [
        ("failure", "50140")
    ] * 2
    assert [e.doc["source"]["ip"] for e in events] == ["81.171.241.231", "8.8.8.8"]


RULES = CORPUS / "sigma" / "rules" / "cloud" / "azure" / "signin_logs"
RULE_HITS = [  # a sign-in of each kind the Entra ID rules describe, and the rules it must fire
    (failed(50053, "Account is locked"), ["Account Lockout"]),
    (
        failed(53003, "Blocked by Conditional Access"),
        [
            "Sign-in Failure Due to Conditional Access Requirements Not Met",
            "User Access Blocked by Azure Conditional Access",
        ],
    ),
    (
        failed(500121, "Authentication failed during strong authentication request."),
        ["Multifactor Authentication Interrupted"],
    ),
    (
        sign_in(
            {
                "authenticationRequirement": "multiFactorAuthentication",
                "status": {"errorCode": 500121, "additionalDetails": "MFA denied; user declined"},
            },
            resultType="500121",
        ),
        ["Multifactor Authentication Denied"],
    ),
    (sign_in(), ["Azure AD Only Single Factor Authentication Required"]),
]


@pytest.fixture(scope="module")
def signin_rules(corpus: Path) -> RuleSet:
    ruleset = load_rules([RULES])
    assert ruleset.errors == [] and len(ruleset.detections) >= 12
    return ruleset


@pytest.mark.parametrize(("given", "titles"), RULE_HITS)
def test_ecs_azure_signinlogs_rules_see_the_fields_they_test(
    signin_rules: RuleSet, given: dict[str, Any], titles: list[str]
) -> None:
    (output,) = Normalizer().handle(raw_event(json.dumps(given), format="azure_signin"))
    assert isinstance(output, EcsEvent), output
    fired = [rule.meta.title for rule in signin_rules.detections if rule.matches(output.doc)]
    assert sorted(fired) == titles
