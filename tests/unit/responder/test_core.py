from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from schemas.action import ActionRequest, ActionResult
from schemas.ids import derived_id
from services.responder.port import AdapterError
from services.responder.adapters.dry_run import DryRun
from services.responder.core import Responder
from services.responder.playbooks import PlaybookSet, dedup_key
from tests.unit.responder.support import T0, Clock, Scripted, make_alert, playbooks_from

BLOCK = """
id: block-ssh
title: Block SSH brute-force sources
trigger: {rule_ids: [ssh-bruteforce]}
steps:
  - adapter: firewall
    action: block_ip
    target: {ip: "${alert.group.source.ip}"}
    dedup_window: 600s
"""

CHAIN = """
id: contain
title: Contain a host
trigger: {min_level: high}
steps:
  - {adapter: edr, action: isolate_host, target: {host: "${alert.group.host.name}"}, ttl: 1m}
  - {adapter: edr, action: notify, target: {text: "isolated ${alert.group.host.name}"}, ttl: 1m}
  - {adapter: edr, action: create_ticket, target: {rule: "${alert.rule.id}"}}
"""

HOST = {"host.name": "web-1.example.com", "source.ip": "198.51.100.7"}


def results(out: list[ActionRequest | ActionResult]) -> list[ActionResult]:
    return [o for o in out if isinstance(o, ActionResult)]


def statuses(out: list[ActionRequest | ActionResult]) -> list[tuple[int, str]]:
    return [(r.step, r.status) for r in results(out)]


def responder(playbooks: PlaybookSet, clock: Clock, **adapters: Any) -> Responder:
    return Responder(playbooks, adapters, now=clock)


def _alert_and_address(text: str) -> tuple[str, ...]:
    match = re.fullmatch(r"(alert \d+) \((\S+) already blocked\)", text)
    assert match is not None, text
    return match.groups()


async def test_block_dedup_key_is_per_target_address(
    tmp_path: Path, cases: dict[str, dict[str, Any]]
) -> None:
    case = cases["responder-block-dedup-key-per-ip"]
    window = re.search(r"for (\d+)s", case["input"]["action"])
    assert window is not None
    playbooks = playbooks_from(tmp_path, BLOCK.replace("600s", f"{window[1]}s"))
    clock = Clock()
    firewall = Scripted(clock=clock)
    engine = responder(playbooks, clock, firewall=firewall)
    outs = []
    for number, row in enumerate(case["input"]["alerts"], start=1):
        clock.now = datetime.fromisoformat(row["t"].replace("Z", "+00:00"))
        alert = make_alert(
            f"alert {number}", rule_id=row["rule.id"], group={"source.ip": row["source.ip"]}
        )
        outs.append(await engine.handle(alert))

    assert [c.target["ip"] for c in firewall.calls] == case["expected"]["firewall_add_calls"]
    duplicates = [r for out in outs for r in results(out) if r.status == "duplicate"]
    expected = [_alert_and_address(text) for text in case["expected"]["aborted_as_duplicate"]]
    assert [(r.alert_id, r.target["ip"]) for r in duplicates] == expected
    first = outs[0][0]
    assert isinstance(first, ActionRequest)
    assert f"duplicate of request {first.id}" in duplicates[0].detail
    assert duplicates[0].detail.endswith(str(dedup_key(first)))
    assert dedup_key(first) == ("acme", "block-ssh", 0, '{"ip":"203.0.113.5"}')


async def test_dedup_expires_with_the_window_and_ignores_other_tenants(tmp_path: Path) -> None:
    clock = Clock()
    firewall = Scripted(clock=clock)
    engine = responder(playbooks_from(tmp_path, BLOCK), clock, firewall=firewall)
    await engine.handle(make_alert("a1"))
    other_tenant = await engine.handle(make_alert("a2", tenant="globex"))
    clock.advance(timedelta(seconds=599))
    inside = await engine.handle(make_alert("a3"))
    clock.advance(timedelta(seconds=1))
    after = await engine.handle(make_alert("a4"))
    assert statuses(other_tenant) == [(0, "succeeded")]
    assert statuses(inside) == [(0, "duplicate")]
    assert statuses(after) == [(0, "succeeded")]
    assert [c.alert_id for c in firewall.calls] == ["a1", "a2", "a4"]


async def test_failed_action_does_not_suppress_the_next_attempt(tmp_path: Path) -> None:
    clock = Clock()
    broken = Scripted(clock=clock, outcomes={"block_ip": "failed"})
    engine = responder(playbooks_from(tmp_path, BLOCK), clock, firewall=broken)
    assert statuses(await engine.handle(make_alert("a1"))) == [(0, "failed")]
    assert statuses(await engine.handle(make_alert("a2"))) == [(0, "failed")]
    assert len(broken.calls) == 2


async def test_approval_required_records_request_without_executing(tmp_path: Path) -> None:
    text = BLOCK.replace("dedup_window: 600s", "dedup_window: 600s\n    approval: required")
    text += "  - {adapter: firewall, action: notify, target: {ip: '${alert.group.source.ip}'}}\n"
    clock = Clock()
    firewall = Scripted(clock=clock)
    engine = responder(playbooks_from(tmp_path, text), clock, firewall=firewall)
    out = await engine.handle(make_alert("a1"))
    requests = [o for o in out if isinstance(o, ActionRequest)]
    assert [(r.step, r.status) for r in requests] == [(0, "awaiting_approval"), (1, "pending")]
    assert statuses(out) == [(1, "succeeded")]  # the approval gates step 0 alone
    assert [c.action for c in firewall.calls] == ["notify"]
    again = await engine.handle(make_alert("a2"))  # same address while awaiting approval
    assert statuses(again) == [(0, "duplicate"), (1, "succeeded")]


async def test_expired_request_is_not_executed_and_stops_later_steps(tmp_path: Path) -> None:
    clock = Clock()
    slow = Scripted(clock=clock, takes=timedelta(minutes=2))  # longer than step 1's ttl
    engine = responder(playbooks_from(tmp_path, CHAIN), clock, edr=slow)
    out = await engine.handle(make_alert(group=HOST))
    assert statuses(out) == [(0, "succeeded"), (1, "expired"), (2, "failed")]
    assert results(out)[1].detail == f"expired at {(T0 + timedelta(minutes=1)).isoformat()}"
    assert results(out)[2].detail == "skipped: step 1 expired"
    assert [c.step for c in slow.calls] == [0]


@pytest.mark.parametrize(
    ("outcome", "detail"),
    [
        ("failed", "scripted failed"),
        (AdapterError("EDR answered 403: token revoked"), "EDR answered 403: token revoked"),
        (RuntimeError("adapter bug"), "RuntimeError: adapter bug"),
    ],
)
async def test_failed_step_stops_later_steps_of_that_run_only(
    tmp_path: Path, outcome: Any, detail: str
) -> None:
    text = CHAIN + BLOCK.replace("\nid:", "\n---\nid:", 1)
    clock = Clock()
    edr = Scripted(clock=clock, outcomes={"isolate_host": outcome})
    firewall = Scripted(clock=clock)
    engine = responder(playbooks_from(tmp_path, text), clock, edr=edr, firewall=firewall)
    out = await engine.handle(make_alert(group=HOST))
    assert [(r.playbook, r.step, r.status) for r in results(out)] == [
        ("contain", 0, "failed"),
        ("contain", 1, "failed"),
        ("contain", 2, "failed"),
        ("block-ssh", 0, "succeeded"),
    ]
    assert results(out)[0].detail == detail
    assert [r.detail for r in results(out)[1:3]] == ["skipped: step 0 failed"] * 2
    assert [c.step for c in edr.calls] == [0]
    assert len(firewall.calls) == 1


async def test_unrendered_target_fails_its_step_and_stops_later_ones(tmp_path: Path) -> None:
    clock = Clock()
    edr = Scripted(clock=clock)
    engine = responder(playbooks_from(tmp_path, CHAIN), clock, edr=edr)
    out = await engine.handle(make_alert(group={"source.ip": "198.51.100.7"}))
    assert statuses(out) == [(0, "failed"), (1, "failed"), (2, "failed")]
    assert "${alert.group.host.name}" in results(out)[0].detail
    assert edr.calls == []


async def test_every_request_and_result_is_returned_with_derived_ids(tmp_path: Path) -> None:
    clock = Clock()
    engine = responder(playbooks_from(tmp_path, CHAIN), clock, edr=DryRun(DryRun.Config()))
    out = await engine.handle(make_alert(group=HOST))
    assert [o.kind for o in out] == ["request", "result"] * 3
    for request, result in zip(out[::2], out[1::2], strict=True):
        assert isinstance(request, ActionRequest) and isinstance(result, ActionResult)
        assert result.request_id == request.id
        assert result.id == derived_id(request.id, "result")
        assert result.status == "dry_run"
        assert result.detail.startswith(f"would {request.action} {{")
    assert out[1].target == {"host": "web-1.example.com"}  # type: ignore[union-attr]


async def test_redelivered_or_republished_alert_does_not_act_twice(tmp_path: Path) -> None:
    clock = Clock()
    edr = Scripted(clock=clock)
    engine = responder(playbooks_from(tmp_path, CHAIN), clock, edr=edr)
    first = await engine.handle(make_alert(group=HOST))
    assert len(first) == 6
    assert await engine.handle(make_alert(group=HOST)) == []
    assert await engine.handle(make_alert(group=HOST, version=3)) == []
    assert len(edr.calls) == 3


async def test_handled_memory_is_bounded(tmp_path: Path) -> None:
    clock = Clock()
    firewall = Scripted(clock=clock)
    playbooks = playbooks_from(tmp_path, BLOCK.replace("    dedup_window: 600s\n", ""))
    engine = Responder(playbooks, {"firewall": firewall}, now=clock, memory=2)
    for alert_id in ("a1", "a2", "a3", "a1", "a3"):
        await engine.handle(make_alert(alert_id))
    # a1 was forgotten when a3 arrived (oldest first); a3 was still remembered.
    assert [c.alert_id for c in firewall.calls] == ["a1", "a2", "a3", "a1"]


@pytest.mark.parametrize(
    ("adapters", "problem"),
    [
        ({}, "block-ssh step 0: adapter 'firewall' is not configured"),
        ({"firewall": DryRun(DryRun.Config())}, ""),
    ],
)
def test_responder_refuses_steps_no_adapter_can_run(
    tmp_path: Path, adapters: dict[str, Any], problem: str
) -> None:
    playbooks = playbooks_from(tmp_path, BLOCK.replace("block_ip", "launch_missiles"))
    expected = problem or "block-ssh step 0: firewall cannot 'launch_missiles'"
    with pytest.raises(ValueError, match=re.escape(expected)):
        Responder(playbooks, adapters, now=lambda: datetime.now(UTC))
