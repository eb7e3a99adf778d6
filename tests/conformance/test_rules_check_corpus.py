"""``rules check`` over the corpus rule sets: SigmaHQ rules, the specification's correlation
fixtures (which name rules the fixtures do not include) and Hayabusa's correlation rules.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from services.correlator.check import check_rules, report
from services.correlator.rules import load_rule_text
from tests.conftest import CORPUS

CORRELATION = CORPUS / "sigma" / "correlation"
FIXTURES = CORRELATION / "sigma-specification" / "tests" / "schema" / "correlation"


def fixtures() -> list[Path]:
    return sorted(FIXTURES.glob("*.yml")) if FIXTURES.is_dir() else []


def test_rules_check_sigmahq_rules_load(corpus: Path) -> None:
    checked = check_rules([corpus / "sigma" / "rules"])
    loaded = [r for r in checked.rules if r.status == "loaded"]
    assert len(checked.rules) == 154
    assert len(loaded) / len(checked.rules) >= 0.95, [r.reason for r in checked.rules]
    assert all(r.reason for r in checked.rules if r.status != "loaded")


def test_rules_check_hayabusa_correlations_load(corpus: Path) -> None:
    checked = check_rules([CORRELATION / "hayabusa-rules"])
    assert checked.ok, checked.rules
    kinds = sorted((r.kind, r.type, r.generate) for r in checked.rules)
    assert (
        kinds
        == [("correlation", "event_count", True)]
        + [("correlation", "value_count", True)] * 2
        + [("detection", None, False)] * 3
    )


def test_rules_check_lists_every_specification_fixture_with_its_reason(corpus: Path) -> None:
    checked = check_rules([FIXTURES])
    by_file = {Path(r.path).name: r for r in checked.rules}
    assert set(by_file) == {p.name for p in fixtures()} and not checked.ok
    assert by_file["event_count_ecs.yml"].reason == (
        "duplicate rule id or name '0e95725d-7320-415d-80f7-004da920fc11' "
        f"(first defined in {FIXTURES / 'event_count.yml'})"
    )  # the two fixtures share an id
    for name, rule in by_file.items():
        if name != "event_count_ecs.yml":
            first = yaml.safe_load((FIXTURES / name).read_text())["correlation"]["rules"][0]
            assert (rule.status, rule.reason) == ("error", f"references unknown rule {first}")


@pytest.mark.parametrize("path", fixtures(), ids=lambda p: p.stem)
def test_rules_check_specification_fixture_loads_beside_its_rules(corpus: Path, path: Path) -> None:
    """With stand-ins for the rules it names, each fixture is a correlation Vigie runs, except
    value_percentile, listed as unsupported."""
    document = yaml.safe_load(path.read_text())
    stand_ins = [_stand_in(name) for name in document["correlation"]["rules"]]
    checked = report(load_rule_text("\n---\n".join([path.read_text(), *stand_ins])))
    (correlation,) = [r for r in checked.rules if r.kind == "correlation"]
    assert correlation.type == document["correlation"]["type"]
    if correlation.type == "value_percentile":
        assert correlation.status == "unsupported"
        assert "value_percentile is not supported" in (correlation.reason or "")
    else:
        assert checked.ok, checked.rules


def _stand_in(reference: str) -> str:
    key = "id" if len(reference) == 36 and reference.count("-") == 4 else "name"
    return yaml.safe_dump({
        "title": f"stand-in {reference}", key: reference,
        "logsource": {"product": "windows", "category": "process_creation"},
        "detection": {"selection": {"Image|endswith": "\\cmd.exe"}, "condition": "selection"},
    })  # fmt: skip
