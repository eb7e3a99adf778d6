from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from schemas.ids import derived_id
from services.responder.main import DEFAULT_PLAYBOOKS
from services.responder.playbooks import Playbook, Trigger, dedup_key, load_playbooks
from tests.unit.responder.support import T0, make_alert, playbooks_from

GOOD = """
id: block-ssh
title: Block SSH brute-force sources
trigger: {rule_ids: [ssh-bruteforce]}
steps:
  - adapter: dry_run
    action: block_ip
    target: {ip: "${alert.group.source.ip}"}
    ttl: 10m
    dedup_window: 600
  - adapter: dry_run
    action: create_ticket
    approval: required
    ttl: PT1H
---
id: notify-critical
title: Notify on critical alerts
tenants: [acme]
trigger: {min_level: critical}
steps:
  - {adapter: dry_run, action: notify, target: {rule: "${alert.rule.id}"}}
---
"""

STEP = "steps: [{adapter: dry_run, action: notify}]"


def test_load_reads_every_document_of_every_file(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    more = f"id: later\ntitle: t\ntrigger: {{tags: [x]}}\n{STEP}"
    (tmp_path / "sub" / "more.yaml").write_text(more)
    (tmp_path / "notes.txt").write_text("not a playbook")
    loaded = playbooks_from(tmp_path, GOOD)
    assert [p.id for p in loaded.playbooks] == ["block-ssh", "notify-critical", "later"]
    block = loaded.playbooks[0]
    assert block.steps[0].ttl == timedelta(minutes=10)
    assert block.steps[0].dedup_window == timedelta(seconds=600)
    assert block.steps[1].ttl == timedelta(hours=1)
    assert block.steps[1].approval == "required"
    assert loaded.playbooks[1].tenants == ("acme",)


def _doc(**overrides: Any) -> str:
    doc: dict[str, Any] = {
        "id": "p",
        "title": "t",
        "trigger": {"rule_ids": ["r"]},
        "steps": [{"adapter": "dry_run", "action": "notify"}],
    }
    doc.update(overrides)
    return yaml.safe_dump({k: v for k, v in doc.items() if v is not None})


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("id: p\n  title: [", "unreadable"),
        ("- just\n- a list\n", "valid dictionary"),
        (_doc(trigger=None), "trigger: Field required"),
        (_doc(trigger={}), "at least one of"),
        (_doc(trigger={"min_level": "urgent"}), "trigger.min_level"),
        (_doc(trigers={"rule_ids": ["r"]}), "trigers: Extra inputs"),
        (_doc(id="bad id!"), "id: String should match"),
        (_doc(steps=[]), "steps: "),
        (_doc(steps=[{"adapter": "dry_run"}]), "steps.0.action: Field required"),
        (_doc(steps=[{"adapter": "x", "action": "y", "approval": "maybe"}]), "steps.0.approval"),
        (_doc(steps=[{"adapter": "x", "action": "y", "ttl": "10 minutes"}]), "like 30s, 10m"),
        (_doc(steps=[{"adapter": "x", "action": "y", "dedup_window": "0s"}]), "longer than zero"),
        (
            _doc(steps=[{"adapter": "x", "action": "y", "target": {"ip": "{alert.__class__}"}}]),
            "steps.0.target: Value error, '{alert.__class__}': a brace outside",
        ),
        (
            _doc(steps=[{"adapter": "x", "action": "y", "target": {"ip": "${alert.__class__}"}}]),
            "steps.0.target",
        ),
    ],
)
def test_load_lists_broken_document_and_keeps_good_ones(
    tmp_path: Path, text: str, reason: str
) -> None:
    (tmp_path / "a-good.yml").write_text(_doc(id="good"))
    (tmp_path / "b-broken.yml").write_text(text)
    loaded = load_playbooks([tmp_path])
    assert [p.id for p in loaded.playbooks] == ["good"]
    [error] = loaded.errors
    assert error.path == str(tmp_path / "b-broken.yml")
    assert reason in error.reason


def test_load_names_the_failing_document_of_a_multi_document_file(tmp_path: Path) -> None:
    (tmp_path / "multi.yml").write_text(_doc(id="one") + "---\n" + _doc(id="two", steps=[]))
    loaded = load_playbooks([tmp_path])
    assert [p.id for p in loaded.playbooks] == ["one"]
    assert loaded.errors[0].reason.startswith("document 2: steps")


def test_load_reports_undecodable_file(tmp_path: Path) -> None:
    (tmp_path / "latin1.yml").write_bytes(b"id: caf\xe9\n")
    [error] = load_playbooks([tmp_path]).errors
    assert "unreadable" in error.reason


def test_load_reports_duplicate_id_with_first_location(tmp_path: Path) -> None:
    (tmp_path / "a.yml").write_text(_doc(id="same"))
    (tmp_path / "b.yml").write_text(_doc(id="same"))
    loaded = load_playbooks([tmp_path])
    assert len(loaded.playbooks) == 1
    [error] = loaded.errors
    assert (error.path, error.reason) == (
        str(tmp_path / "b.yml"), f"duplicate id 'same', first in {tmp_path / 'a.yml'}"
    )


def test_load_reports_missing_path_and_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    errors = load_playbooks([tmp_path / "absent", tmp_path / "empty"]).errors
    assert [(e.path, e.reason) for e in errors] == [
        (str(tmp_path / "absent"), "no such file or directory"),
        (str(tmp_path / "empty"), "the directory holds no .yml or .yaml file"),
    ]


def test_load_accepts_a_file_path(tmp_path: Path) -> None:
    (tmp_path / "one.yml").write_text(_doc(id="direct"))
    assert [p.id for p in load_playbooks([tmp_path / "one.yml"]).playbooks] == ["direct"]


def test_default_playbooks_load_without_errors() -> None:
    loaded = load_playbooks([DEFAULT_PLAYBOOKS])
    assert loaded.errors == ()
    assert [p.trigger.min_level for p in loaded.playbooks] == ["high"]


@pytest.mark.parametrize(
    ("trigger", "alert", "fires"),
    [
        ({"rule_ids": ["ssh-bruteforce"]}, {}, True),
        ({"rule_ids": ["other", "ssh-bruteforce"]}, {}, True),
        ({"rule_ids": ["other"]}, {}, False),
        ({"tags": ["attack.t1110"]}, {"tags": ("attack.t1110",)}, True),
        ({"tags": ["attack.t1110"]}, {"tags": ("attack.t1110.001",)}, True),
        ({"tags": ["ATTACK.T1110"]}, {"tags": ("attack.t1110",)}, True),
        ({"tags": ["attack.t111"]}, {"tags": ("attack.t1110",)}, False),
        ({"tags": ["attack.t1110"]}, {"tags": ()}, False),
        ({"min_level": "high"}, {"level": "high"}, True),
        ({"min_level": "high"}, {"level": "critical"}, True),
        ({"min_level": "high"}, {"level": "medium"}, False),
        ({"min_level": "informational"}, {"level": "informational"}, True),
        ({"tenants": ["acme"]}, {"tenant": "acme"}, True),
        ({"tenants": ["acme"]}, {"tenant": "globex"}, False),
        ({"rule_ids": ["ssh-bruteforce"], "min_level": "critical"}, {"level": "high"}, False),
        ({"rule_ids": ["ssh-bruteforce"], "min_level": "medium"}, {"level": "high"}, True),
    ],
)
def test_trigger_matches(trigger: dict[str, Any], alert: dict[str, Any], fires: bool) -> None:
    assert Trigger.model_validate(trigger).matches(make_alert(**alert)) is fires


@pytest.mark.parametrize(
    ("playbook", "tenant", "applies"),
    [
        ({}, "acme", True),
        ({"enabled": False}, "acme", False),
        ({"tenants": ["acme"]}, "acme", True),
        ({"tenants": ["acme"]}, "globex", False),
    ],
)
def test_playbook_enabled_and_tenant_allow_list(
    playbook: dict[str, Any], tenant: str, applies: bool
) -> None:
    base = yaml.safe_load(_doc(trigger={"min_level": "low"}))
    assert Playbook.model_validate(base | playbook).applies_to(make_alert(tenant=tenant)) is applies


def test_plan_renders_targets_and_sets_status_and_expiry(tmp_path: Path) -> None:
    planned = playbooks_from(tmp_path, GOOD).plan(make_alert(level="critical"), now=T0)
    requests = [p.request for p in planned]
    assert [(r.playbook, r.step, r.action) for r in requests] == [
        ("block-ssh", 0, "block_ip"),
        ("block-ssh", 1, "create_ticket"),
        ("notify-critical", 0, "notify"),
    ]
    assert requests[0].target == {"ip": "203.0.113.5"}
    assert [r.status for r in requests] == ["pending", "awaiting_approval", "pending"]
    expires = [T0 + timedelta(minutes=10), T0 + timedelta(hours=1), None]
    assert [r.expires_at for r in requests] == expires
    assert all(p.error is None for p in planned)
    assert {(r.tenant, r.alert_id, r.requested_at) for r in requests} == {("acme", "alert-1", T0)}


def test_plan_ids_are_stable_across_alert_versions(tmp_path: Path) -> None:
    playbooks = playbooks_from(tmp_path, GOOD)
    later = T0 + timedelta(hours=1)
    ids = [p.request.id for p in playbooks.plan(make_alert(version=1), now=T0)]
    republished = [p.request.id for p in playbooks.plan(make_alert(version=4), now=later)]
    assert ids == republished
    assert ids == [derived_id("alert-1", "block-ssh", "0"), derived_id("alert-1", "block-ssh", "1")]
    other = [p.request.id for p in playbooks.plan(make_alert("alert-2"), now=T0)]
    assert set(other).isdisjoint(ids)


def test_plan_skips_alerts_no_playbook_triggers(tmp_path: Path) -> None:
    alert = make_alert(rule_id="other", level="low")
    assert playbooks_from(tmp_path, GOOD).plan(alert, now=T0) == []


def test_plan_marks_a_step_whose_target_field_is_missing(tmp_path: Path) -> None:
    [first, second] = playbooks_from(tmp_path, GOOD).plan(make_alert(group={}), now=T0)
    assert first.request.target == {}
    assert first.error == "target not rendered: the alert has no value for ${alert.group.source.ip}"
    assert second.error is None


def test_dedup_key_is_per_tenant_playbook_step_and_target(tmp_path: Path) -> None:
    playbooks = playbooks_from(tmp_path, GOOD)

    def key(**alert: Any) -> tuple[str, str, int, str]:
        return dedup_key(playbooks.plan(make_alert(**alert), now=T0)[0].request)

    assert key() == ("acme", "block-ssh", 0, '{"ip":"203.0.113.5"}')
    assert key(alert_id="alert-9", rule_id="ssh-bruteforce") == key()
    assert key(group={"source.ip": "203.0.113.6"}) != key()
    assert key(tenant="globex") != key()
