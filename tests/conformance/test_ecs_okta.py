"""Okta System Log events from the corpus through Normalizer.handle (raw only: Elastic's
expected output for this file is not in the corpus), and the corpus Sigma Okta rules run on
Vigie's documents (each sees the fields it tests).

Counting: one LogEvent per line, each one RawEvent, each exactly one ECS document; the checks
below are the ones that hold whatever Elastic's output: outcome vocabulary, "null" addresses.
"""

from __future__ import annotations

import json
from ipaddress import ip_address
from pathlib import Path
from typing import Any

import pytest

from schemas.dlq import DeadLetter
from schemas.ecs import EcsEvent
from services.correlator.model import RuleSet
from services.correlator.rules import load_rules
from services.normalizer.core import Normalizer
from tests.conftest import CORPUS
from tests.unit.normalizer.factories import raw_event
from tests.unit.normalizer.test_okta import event

OKTA_FILES = CORPUS / "cloud" / "okta"


def okta_files() -> list[Path]:
    return sorted(OKTA_FILES.glob("*.log")) if OKTA_FILES.is_dir() else []


@pytest.mark.parametrize("path", okta_files(), ids=lambda path: path.name)
def test_ecs_okta_every_corpus_event_is_accounted_for(corpus: Path, path: Path) -> None:
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    normalizer = Normalizer()
    outputs = [
        normalizer.handle(raw_event(line, id=f"{path.name}-{n}", format="okta"))
        for n, line in enumerate(lines)
    ]
    events = [o for out in outputs for o in out if isinstance(o, EcsEvent)]
    letters = [o for out in outputs for o in out if isinstance(o, DeadLetter)]
    assert len(events) + len(letters) == len(lines) > 0
    assert letters == [], [letter.error for letter in letters]
    for line, output in zip(lines, events, strict=True):
        record, doc = json.loads(line), output.doc
        assert doc["event"]["action"] == record["eventType"]
        assert doc["event"]["dataset"] == "okta.system"
        assert doc["@timestamp"] == record["published"]
        assert doc["event"]["outcome"] in ("success", "failure", "unknown")
        assert doc["okta"]["uuid"] == record["uuid"]
        client_ip = (record.get("client") or {}).get("ipAddress")
        if client_ip in (None, "null"):
            assert "ip" not in doc.get("source", {}), record["uuid"]
        else:
            assert doc["source"]["ip"] == str(ip_address(client_ip))


RULES = CORPUS / "sigma" / "rules" / "identity" / "okta"
RULE_HITS = [  # an event of each kind the Okta rules describe, and the rules it must fire
    (
        event(legacyEventType="core.user_auth.login_failed", actor={"alternateId": "hunter2"}),
        ["Potential Okta Password in AlternateID Field"],
    ),
    (event(legacyEventType="core.user_auth.login_failed"), []),  # an address: no password
    (
        event(securityContext={"isProxy": True}),
        ["Okta User Session Start Via An Anonymising Proxy Service"],
    ),
    (
        event(eventType="user.account.lock", displayMessage="Max sign in attempts exceeded"),
        ["Okta User Account Locked Out"],
    ),
    (event(eventType="user.lifecycle.create"), ["New Okta User Created"]),
    (event(), []),
]


@pytest.fixture(scope="module")
def okta_rules(corpus: Path) -> RuleSet:
    ruleset = load_rules([RULES])
    assert ruleset.errors == [] and len(ruleset.detections) >= 9
    return ruleset


@pytest.mark.parametrize(("given", "titles"), RULE_HITS)
def test_ecs_okta_rules_see_the_fields_they_test(
    okta_rules: RuleSet, given: dict[str, Any], titles: list[str]
) -> None:
    (output,) = Normalizer().handle(raw_event(json.dumps(given), format="okta"))
    assert isinstance(output, EcsEvent), output
    fired = [rule.meta.title for rule in okta_rules.detections if rule.matches(output.doc)]
    assert sorted(fired) == titles
