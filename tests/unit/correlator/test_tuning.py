"""Per-tenant tuning: loading errors, disable, exclusions, overrides, suppression, isolation."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from schemas.alert import Alert
from schemas.ecs import EcsEvent
from services.correlator.core import Correlator
from services.correlator.main import correlator_for
from services.correlator.model import RuleSet
from services.correlator.state import MemoryState
from services.correlator.tuning import Tuning, load_tuning, read_tuning_text
from services.runtime.settings import RulesSettings, Settings
from tests.unit.correlator.factories import IP, correlation, detection, event

pytest.importorskip("services.correlator.rules")


def tuned(text: str, ruleset: RuleSet | None = None, **options: Any) -> Correlator:
    tuning = read_tuning_text(text)
    assert tuning.errors == []
    rules = ruleset or RuleSet(detections=[detection("sudo"), detection("scan")])
    return Correlator(rules, state=MemoryState(), tuning=tuning, **options)


def feed_all(correlator: Correlator, events: list[EcsEvent]) -> list[Alert]:
    return [alert for e in events for alert in correlator.feed(e)]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("tenant: acme\ndisable: [a\n", "invalid YAML"),
        ("disable: [a]\n", "tenant: Field required"),
        ("tenant: acme\nsilence: [a]\n", "silence: Extra inputs are not permitted"),
        ("tenant: acme\nsuppress: {sudo: {window: 1w}}\n", "window is a positive number"),
        ("tenant: acme\nsuppress: {sudo: {window: 0h}}\n", "window is a positive number"),
        ("tenant: acme\noverrides: {sudo: {level: severe}}\n", "overrides.sudo.level"),
        ("tenant: acme\nexclusions: {sudo: [{}]}\n", "non-empty field mapping"),
        ("tenant: acme\nexclusions: {sudo: [{user.name|nosuch: x}]}\n", "nosuch"),
    ],
)
def test_unusable_tuning_is_an_error_with_its_file_and_reason(text: str, reason: str) -> None:
    tuning = read_tuning_text(text, "acme.yml")
    [error] = tuning.errors
    assert error.path.startswith("acme.yml")
    assert reason in error.reason
    assert tuning.rules.get("acme", {}) == {}


def test_files_and_folders_are_read_and_a_missing_path_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a.yml").write_text("tenant: acme\ndisable: [sudo]\n")
    (tmp_path / "b.yaml").write_text("tenant: '*'\ndisable: [scan]\n---\ntenant: acme\n")
    (tmp_path / "notes.txt").write_text("not yaml: [")
    tuning = load_tuning([tmp_path, tmp_path / "absent"])
    assert tuning.disabled == {"acme": frozenset({"sudo"}), "*": frozenset({"scan"})}
    assert [(e.path, e.reason) for e in tuning.errors] == [
        (str(tmp_path / "absent"), "no such file or directory")
    ]


@pytest.mark.parametrize(
    ("tuning", "tenant", "alerting"),
    [
        ("tenant: acme\ndisable: [sudo]", "acme", {"id-scan"}),
        ("tenant: acme\ndisable: [id-sudo, scan]", "acme", set()),
        ("tenant: acme\ndisable: [sudo]", "globex", {"id-sudo", "id-scan"}),
        ("tenant: '*'\ndisable: [sudo]", "globex", {"id-scan"}),
    ],
)
def test_disable(tuning: str, tenant: str, alerting: set[str]) -> None:
    correlator = tuned(tuning)
    alerts = correlator.feed(event(tenant, "e1", "10:00:00", ("sudo", "scan")))
    assert {a.rule.id for a in alerts} == alerting


def test_tuning_disable_adds_to_the_tenant_settings() -> None:
    tuning = read_tuning_text("tenant: acme\ndisable: [scan]")
    correlator = Correlator(
        RuleSet(detections=[detection("sudo"), detection("scan")]), state=MemoryState(),
        disabled={"acme": frozenset({"sudo"})}, tuning=tuning,
    )  # fmt: skip
    assert correlator.feed(event("acme", "e1", "10:00:00", ("sudo", "scan"))) == []


EXCLUSIONS = """
tenant: acme
exclusions:
  sudo:
    - {user.name: [svc_backup, SVC_deploy]}
    - {process.command_line|contains|all: [nightly, --quiet], host.name|endswith: .example.com}
    - {source.ip|cidr: 198.51.100.0/24}
"""


@pytest.mark.parametrize(
    ("fields", "excluded"),
    [
        ({"user__name": "svc_backup"}, True),
        ({"user__name": "svc_deploy"}, True),  # Sigma strings match case-insensitively
        ({"user__name": "alice"}, False),
        ({"process__command_line": "run --quiet nightly", "host__name": "db1.example.com"}, True),
        ({"process__command_line": "run nightly", "host__name": "db1.example.com"}, False),
        ({"process__command_line": "run --quiet nightly", "host__name": "db1.example.org"}, False),
        ({"source__ip": "198.51.100.7"}, True),
        ({"source__ip": "203.0.113.7"}, False),
        ({}, False),
    ],
)
def test_exclusion_filters_use_the_matcher_modifiers(
    fields: dict[str, Any], excluded: bool
) -> None:
    correlator = tuned(EXCLUSIONS)
    alerts = correlator.feed(event("acme", "e1", "10:00:00", ("sudo", "scan"), **fields))
    assert sorted(a.rule.id for a in alerts) == (
        ["id-scan"] if excluded else ["id-scan", "id-sudo"]
    )
    assert correlator.exclusion_hits == ({("acme", "id-sudo"): 1} if excluded else {})
    assert correlator.stats["hits_excluded"] == int(excluded)
    other = correlator.feed(event("globex", "e2", "10:00:00", ("sudo",), **fields))
    assert [a.rule.id for a in other] == ["id-sudo"]  # another tenant's tuning never applies


def test_an_excluded_event_is_no_correlation_hit() -> None:
    ruleset = RuleSet(
        detections=[detection("failed", generate=False)],
        correlations=[correlation("bf", "event_count", ("failed",), bounds={"gte": 3})],
    )
    text = "tenant: acme\nexclusions: {failed: [{user.name: scanner}]}"
    correlator = tuned(text, ruleset)
    noisy = [event("acme", f"n{i}", f"10:00:0{i}", ("failed",), source__ip=IP,
                   user__name="scanner") for i in range(3)]  # fmt: skip
    assert feed_all(correlator, noisy) == []
    real = [event("acme", f"r{i}", f"10:00:1{i}", ("failed",), source__ip=IP) for i in range(3)]
    [alert] = feed_all(correlator, real)
    assert (alert.rule.id, alert.count, alert.event_ids) == ("id-bf", 3, ["r0", "r1", "r2"])
    assert correlator.exclusion_hits == {("acme", "id-failed"): 3}


def test_overrides_change_level_risk_and_tags_for_the_tenant_only() -> None:
    text = """
tenant: '*'
overrides: {sudo: {tags: [vigie.reviewed]}}
---
tenant: acme
overrides: {id-sudo: {level: low, tags: [attack.t1548.003]}}
"""
    correlator = tuned(text, RuleSet(detections=[detection("sudo", level="high")]))
    [acme] = correlator.feed(event("acme", "e1", "10:00:00", ("sudo",)))
    [globex] = correlator.feed(event("globex", "e1", "10:00:00", ("sudo",)))
    assert (acme.rule.level, acme.risk_score) == ("low", 25.0)
    assert acme.rule.tags == ["vigie.reviewed", "attack.t1548.003"]
    assert acme.threat["technique"]["subtechnique"]["id"] == ["T1548.003"]
    assert (globex.rule.level, globex.risk_score, globex.rule.tags) == (
        "high",
        75.0,
        ["vigie.reviewed"],
    )


SUPPRESS = "tenant: acme\nsuppress: {sudo: {window: 1h, by: [user.name]}}"


def test_suppression_updates_one_alert_per_window_and_group() -> None:
    # a 1 minute dedup window alone would open a new alert for each of these hits
    correlator = tuned(SUPPRESS, dedup_window=timedelta(minutes=1))
    times = [("e1", "10:00:00", "alice"), ("e2", "10:20:00", "alice"), ("e3", "10:25:00", "bob"),
             ("e4", "10:59:59", "alice"), ("e5", "11:00:00", "alice")]  # fmt: skip
    alerts = feed_all(
        correlator, [event("acme", i, t, ("sudo",), user__name=u) for i, t, u in times]
    )
    seen = [(a.id, a.version, a.count, a.event_ids, a.group) for a in alerts]
    first, bob, later = alerts[0].id, alerts[2].id, alerts[4].id
    assert len({first, bob, later}) == 3
    assert seen == [
        (first, 1, 1, ["e1"], {"user.name": "alice"}),
        (first, 2, 2, ["e1", "e2"], {"user.name": "alice"}),
        (bob, 1, 1, ["e3"], {"user.name": "bob"}),
        (first, 3, 3, ["e1", "e2", "e4"], {"user.name": "alice"}),
        (later, 1, 1, ["e5"], {"user.name": "alice"}),  # the window runs from the first alert
    ]
    assert correlator.stats["alerts_suppressed"] == 2
    # a redelivery re-emits the suppressed alert unchanged (within the rule's own episode)
    replayed = correlator.feed(event("acme", "e5", "11:00:00", ("sudo",), user__name="alice"))
    assert [(a.id, a.version, a.count) for a in replayed] == [(later, 1, 1)]
    other = feed_all(correlator, [event("globex", i, t, ("sudo",), user__name=u)
                                  for i, t, u in times])  # fmt: skip
    assert [a.group for a in other] == [{}] * 5  # globex: plain episodes of the rule


def test_suppression_of_a_correlation_counts_the_hits_of_every_episode() -> None:
    ruleset = RuleSet(
        detections=[detection("failed", generate=False)],
        correlations=[correlation("bf", "event_count", ("failed",), bounds={"gte": 2},
                                  span=timedelta(minutes=1))],
    )  # fmt: skip
    correlator = tuned("tenant: acme\nsuppress: {bf: {window: 1h}}", ruleset)
    times = ["10:00:00", "10:00:10", "10:30:00", "10:30:10"]  # two episodes of the correlation
    alerts = feed_all(correlator, [event("acme", f"e{i}", t, ("failed",), source__ip=IP)
                                   for i, t in enumerate(times)])  # fmt: skip
    assert [(a.version, a.count) for a in alerts] == [(1, 2), (2, 4)]
    assert alerts[0].id == alerts[1].id
    assert alerts[1].event_ids == ["e0", "e1", "e2", "e3"]


def test_correlator_for_reads_the_tuning_folder(tmp_path: Path) -> None:
    folder = tmp_path / "tuning"
    folder.mkdir()
    (folder / "acme.yml").write_text(
        "tenant: acme\nexclusions:\n  sudo: [{user.name|startswith: svc_}]\n"
    )
    rules = tmp_path / "sudo.yml"
    rules.write_text(
        "title: sudo\nid: 11111111-2222-3333-4444-555555555555\nname: sudo\n"
        "logsource: {product: linux, service: sudo}\n"
        "detection: {selection: {process.name: sudo}, condition: selection}\nlevel: high\n"
    )
    settings = Settings(
        data_dir=tmp_path, rules=RulesSettings(sigma=[str(rules)], tuning=[str(folder)])
    )
    correlator = correlator_for(settings, MemoryState())
    assert isinstance(correlator, Correlator)  # no intel configured
    base: dict[str, Any] = {
        "process__name": "sudo",
        "event__dataset": "sudo",
        "host__os__type": "linux",
    }
    events = [event("acme", "e1", "10:00:00", user__name="svc_backup", **base),
              event("acme", "e2", "10:00:01", user__name="alice", **base),
              event("globex", "e3", "10:00:02", user__name="svc_backup", **base)]  # fmt: skip
    alerts = feed_all(correlator, events)
    assert [(a.tenant, a.event_ids) for a in alerts] == [("acme", ["e2"]), ("globex", ["e3"])]
    assert correlator.exclusion_hits == {("acme", "11111111-2222-3333-4444-555555555555"): 1}


def test_no_tuning_changes_nothing() -> None:
    assert Tuning().for_rule("acme", ["sudo"]) is None
