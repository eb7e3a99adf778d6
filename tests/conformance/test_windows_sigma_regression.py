"""SigmaHQ's regression samples (Windows) through the ``windows`` parser and the correlator's rule
loader: the rule of each sample fires on the sample's documents.

This checks that the parser writes the fields where the correlator's ECS pipeline
(``services/correlator/ecs_pipeline.yml``) looks for them.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
import yaml

from services.correlator.model import DetectionRule
from services.correlator.rules import load_rules
from services.normalizer.parsers import windows
from tests.conformance.test_ecs_windows import REGRESSION, json_objects, regression_samples

RULE_FOLDERS = ("rules", "rules-emerging-threats", "rules-threat-hunting")


@cache
def rules_by_id() -> dict[str, DetectionRule]:
    ruleset = load_rules([REGRESSION.parent / folder for folder in RULE_FOLDERS])
    assert ruleset.errors == [], ruleset.errors
    return {rule.meta.id: rule for rule in ruleset.detections}


def _fires(path: Path) -> bool:
    info = yaml.safe_load((path.parent / "info.yml").read_text())
    rule = rules_by_id()[info["rule_metadata"][0]["id"]]
    docs = [windows.document(event) for event in json_objects(path)]
    return any(rule.matches(doc) for doc in docs)


@pytest.mark.parametrize(
    "path",
    regression_samples(),
    ids=lambda p: p.parent.name,
)
def test_windows_sigma_regression_rule_fires(corpus: Path, path: Path) -> None:
    assert _fires(path), f"{path.parent.name}: the rule does not fire on its own sample"
