"""SigmaHQ's 40 regression pairs through ``vigie detect``'s engine (files → the real normaliser →
the correlator), every sample against every regression rule: each sample fires its own rule and
no other, and against SigmaHQ's rules in ``sigma/rules`` only the overlaps listed here.

The 40th pair, ``cisco_cli_dot1x_disabled``, is a Cisco IOS line (``%PARSER-5-CFGLOG_LOGGEDCMD``).
Vigie has no Cisco IOS parser (``cisco_asa`` refuses it: no ``%ASA-`` tag), so the ``syslog``
parser reads it without ``observer.vendor``, and the ``product: cisco`` route (``observer.vendor:
Cisco``, logsources.yml) keeps the rule off it. Its keywords do match the line: with the vendor a
Cisco IOS parser would write, the rule fires (last test).
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import orjson
import pytest
import yaml

from services.correlator.model import RuleSet
from services.correlator.offline import OfflineDetection
from services.correlator.rules import load_rules
from services.normalizer.offline import OfflineRun
from tests.conftest import CORPUS

REGRESSION = CORPUS / "sigma" / "regression"
RULE_FOLDERS = ("rules", "rules-emerging-threats", "rules-threat-hunting")
CISCO = "cisco_cli_dot1x_disabled"
NO_IOS_PARSER = (
    "no Cisco IOS parser: the line gets no observer.vendor, so product cisco is not routed"
)
# sample folder -> rules of sigma/rules (ids) it also fires, each a genuine overlap
OVERLAPS = {
    # The sample runs powershell -enc with a base64 'Invoke-' payload; fb843269 flags any
    # powershell/pwsh command line with -e/-en/-enc/-ec, its own payload unseen.
    "proc_creation_win_powershell_base64_invoke": {"fb843269-508c-4b76-8b8d-88679db22ce7"},
}
NOW = datetime(2026, 12, 31, tzinfo=UTC)


def samples() -> list[Path]:
    """The sample files of every pair: EVTX (the JSON twins are pretty-printed, not lines) and
    Cisco's raw line."""
    if not REGRESSION.is_dir():
        return []
    return sorted(
        p for p in (REGRESSION / "regression_data").rglob("*") if p.suffix in (".evtx", ".raw")
    )


def _param(path: Path) -> object:
    marks = (
        [pytest.mark.xfail(strict=True, reason=NO_IOS_PARSER)] if path.parent.name == CISCO else []
    )
    return pytest.param(path, id=path.parent.name, marks=marks)


@cache
def regression_rules() -> RuleSet:
    ruleset = load_rules([REGRESSION / folder for folder in RULE_FOLDERS])
    assert ruleset.errors == [] and len(ruleset.detections) == 40, ruleset.errors
    return ruleset


@cache
def sigmahq_rules() -> RuleSet:
    return load_rules([CORPUS / "sigma" / "rules"])


def _own_rule(sample: Path) -> str:
    info = yaml.safe_load((sample.parent / "info.yml").read_text())
    return str(info["rule_metadata"][0]["id"])


def _fired(ruleset: RuleSet, sample: Path) -> set[str]:
    detection = OfflineDetection(ruleset, now=lambda: NOW)
    summary = detection.run([sample], err=pytest.fail)
    assert summary.parsed.total.documents > 0 and summary.refused == 0
    return {alert.rule.id for alert in detection.alerts}


def test_regression_corpus_has_40_pairs(corpus: Path) -> None:
    assert len({p.parent for p in samples()}) == 40


@pytest.mark.parametrize("sample", [_param(p) for p in samples()])
def test_regression_sample_fires_its_own_rule_and_no_other(corpus: Path, sample: Path) -> None:
    assert _fired(regression_rules(), sample) == {_own_rule(sample)}


@pytest.mark.parametrize("sample", samples(), ids=lambda p: p.parent.name)
def test_regression_sample_against_sigmahq_rules_fires_only_listed_overlaps(
    corpus: Path, sample: Path
) -> None:
    """``sigma/rules`` holds some regression rules too (same id): those may fire as well."""
    fired = _fired(sigmahq_rules(), sample)
    assert fired - {_own_rule(sample)} == OVERLAPS.get(sample.parent.name, set())


def test_regression_cisco_rule_fires_once_the_line_names_its_vendor(corpus: Path) -> None:
    (sample,) = (REGRESSION / "regression_data" / "rules" / "cisco" / "aaa" / CISCO).glob("*.raw")
    docs: list[dict] = []
    OfflineRun(now=lambda: NOW).run([sample], out=lambda line: docs.append(orjson.loads(line)),
                                    err=pytest.fail)  # fmt: skip
    (doc,) = docs
    (rule,) = [r for r in regression_rules().detections if r.meta.id == _own_rule(sample)]
    assert doc["vigie"]["format"] == "syslog" and "observer" not in doc
    assert not rule.matches(doc)
    assert rule.matches({**doc, "observer": {"vendor": "Cisco"}})
