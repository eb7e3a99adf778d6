"""Correlator: alert episodes, chaining, tenants, restarts, bad rules, the bug-report cases."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson
import pytest

from schemas.alert import Alert
from schemas.ecs import EcsEvent
from services.correlator.core import RISK_SCORES, Correlator
from services.correlator.model import DetectionRule, Logsource, RuleSet
from services.correlator.state import MemoryState
from tests.unit.correlator.factories import (
    IP,
    auth_event,
    correlation,
    correlation_from_yaml,
    detection,
    doc,
    event,
    meta,
    sshd_event,
    when,
)


def failed(tenant: str, event_id: str, at: str, ip: str = IP) -> EcsEvent:
    return event(tenant, event_id, at, ("failed",), source__ip=ip)


def brute_force(**overrides: Any) -> RuleSet:
    options: dict[str, Any] = {"bounds": {"gte": 3}, "span": timedelta(minutes=5)} | overrides
    return RuleSet(
        detections=[detection("failed", generate=False), detection("accepted", generate=False)],
        correlations=[correlation("bf", "event_count", ("failed",), **options)],
    )


def feed_all(correlator: Correlator, events: list[EcsEvent]) -> list[Alert]:
    return [alert for e in events for alert in correlator.feed(e)]


def test_single_event_rule_alert_fields() -> None:
    rule = detection("sudo", level="high", tags=("attack.privilege-escalation", "attack.t1548.003"))
    correlator = Correlator(RuleSet(detections=[rule]), state=MemoryState())
    [alert] = correlator.feed(event("acme", "e1", "10:00:00", ("sudo",)))
    assert alert.tenant == "acme"
    assert alert.rule.model_dump() == {
        "id": "id-sudo", "title": "rule sudo", "level": "high",
        "tags": ["attack.privilege-escalation", "attack.t1548.003"], "author": None,
    }  # fmt: skip
    assert alert.threat["tactic"]["id"] == ["TA0004"]
    assert alert.threat["technique"]["subtechnique"]["id"] == ["T1548.003"]
    assert (alert.group, alert.count, alert.event_ids, alert.version) == ({}, 1, ["e1"], 1)
    assert alert.first_seen == alert.last_seen == when("10:00:00")
    assert alert.risk_score == 75.0


def test_single_event_alerts_are_deduplicated_into_episodes() -> None:
    correlator = Correlator(RuleSet(detections=[detection("x")]), state=MemoryState())
    times = ["10:00:00", "10:04:00", "10:08:59", "10:14:00"]  # last gap: 5 min 1 s
    alerts = feed_all(correlator, [event("t", f"e{i}", t, ("x",)) for i, t in enumerate(times)])
    assert [a.id for a in alerts[:3]] == [alerts[0].id] * 3
    assert [(a.version, a.count) for a in alerts] == [(1, 1), (2, 2), (3, 3), (1, 1)]
    assert alerts[2].event_ids == ["e0", "e1", "e2"]
    assert (alerts[2].first_seen, alerts[2].last_seen) == (when("10:00:00"), when("10:08:59"))
    assert alerts[3].id != alerts[0].id and alerts[3].event_ids == ["e3"]


def test_dedup_window_is_configurable() -> None:
    correlator = Correlator(
        RuleSet(detections=[detection("x")]),
        state=MemoryState(),
        dedup_window=timedelta(seconds=30),
    )
    alerts = feed_all(
        correlator, [event("t", "e0", "10:00:00", ("x",)), event("t", "e1", "10:00:31", ("x",))]
    )
    assert alerts[0].id != alerts[1].id


def test_event_count_alert_grows_while_the_rule_keeps_firing() -> None:
    correlator = Correlator(brute_force(), state=MemoryState())
    events = [failed("t", f"e{i}", f"10:00:0{i}") for i in range(5)]
    alerts = feed_all(correlator, events)
    assert len({a.id for a in alerts}) == 1
    assert [(a.version, a.count, len(a.event_ids)) for a in alerts] == [
        (1, 3, 3),
        (2, 4, 4),
        (3, 5, 5),
    ]
    assert alerts[-1].group == {"source.ip": IP}
    assert (alerts[-1].first_seen, alerts[-1].last_seen) == (when("10:00:00"), when("10:00:04"))
    assert alerts[-1].rule.level == "high" and alerts[-1].risk_score == RISK_SCORES["high"]


def test_hits_between_firings_join_the_episode_when_it_continues() -> None:
    correlator = Correlator(brute_force(), state=MemoryState())
    # e3 alone fires nothing (its window holds e2, e3); e4 fires 4 min 59.8 s after the first
    # firing, so the episode continues and counts e3 and e4 once each.
    times = ["10:00:00", "10:00:01", "10:00:02", "10:05:01.500", "10:05:01.800"]
    alerts = feed_all(correlator, [failed("t", f"e{i}", t) for i, t in enumerate(times)])
    assert [(a.version, a.count) for a in alerts] == [(1, 3), (2, 5)]
    assert alerts[0].id == alerts[1].id
    assert alerts[1].event_ids == ["e0", "e1", "e2", "e3", "e4"]


def test_a_gap_longer_than_the_timespan_opens_a_new_episode() -> None:
    correlator = Correlator(brute_force(), state=MemoryState())
    first = [failed("t", f"a{i}", f"10:00:0{i}") for i in range(3)]
    second = [failed("t", f"b{i}", f"10:06:0{i}") for i in range(3)]
    alerts = feed_all(correlator, first + second)
    assert [(a.version, a.count) for a in alerts] == [(1, 3), (1, 3)]
    assert alerts[0].id != alerts[1].id
    assert alerts[1].event_ids == ["b0", "b1", "b2"]


def test_event_ids_keep_the_first_ones_up_to_the_cap() -> None:
    correlator = Correlator(brute_force(), state=MemoryState(), max_event_ids=4)
    alerts = feed_all(correlator, [failed("t", f"e{i}", f"10:00:0{i}") for i in range(6)])
    assert alerts[-1].count == 6
    assert alerts[-1].event_ids == ["e0", "e1", "e2", "e3"]


def test_tenants_never_share_a_window_or_an_alert() -> None:
    correlator = Correlator(brute_force(), state=MemoryState())
    interleaved = [
        failed(t, f"{t}{i}", f"10:00:0{i}") for i in range(2) for t in ("acme", "globex")
    ]
    assert feed_all(correlator, interleaved) == []
    a = correlator.feed(failed("acme", "acme2", "10:00:05"))
    b = correlator.feed(failed("globex", "globex2", "10:00:05"))
    assert [x.tenant for x in a + b] == ["acme", "globex"]
    assert a[0].id != b[0].id and a[0].group == b[0].group
    assert a[0].event_ids == ["acme0", "acme1", "acme2"]


def test_same_event_id_in_two_tenants_counts_in_both() -> None:
    correlator = Correlator(brute_force(), state=MemoryState())
    events = [failed(t, f"e{i}", f"10:00:0{i}") for t in ("acme", "globex") for i in range(3)]
    assert [a.tenant for a in feed_all(correlator, events)] == ["acme", "globex"]


def test_disabled_rules_are_off_for_that_tenant_only() -> None:
    rules = RuleSet(detections=[detection("x"), detection("y")])
    correlator = Correlator(rules, state=MemoryState(), disabled={"acme": frozenset({"x", "id-y"})})
    assert correlator.feed(event("acme", "e1", "10:00:00", ("x", "y"))) == []
    assert [a.rule.id for a in correlator.feed(event("globex", "e2", "10:00:00", ("x", "y")))] == [
        "id-x", "id-y",
    ]  # fmt: skip


def test_a_disabled_base_rule_feeds_no_correlation() -> None:
    correlator = Correlator(
        brute_force(), state=MemoryState(), disabled={"acme": frozenset({"failed"})}
    )
    assert feed_all(correlator, [failed("acme", f"e{i}", f"10:00:0{i}") for i in range(5)]) == []


def test_a_failing_predicate_is_counted_and_skipped() -> None:
    def explode(doc: Any) -> bool:
        raise TypeError("bad compiled rule")

    broken = DetectionRule(meta("broken"), Logsource(), explode)
    correlator = Correlator(RuleSet(detections=[broken, detection("x")]), state=MemoryState())
    alerts = correlator.feed(event("t", "e1", "10:00:00", ("x",)))
    correlator.feed(event("t", "e2", "10:00:01", ("x",)))
    assert [a.rule.id for a in alerts] == ["id-x"]
    assert (correlator.stats["rule_errors"], correlator.rule_errors["id-broken"]) == (2, 2)


@pytest.mark.parametrize(
    "broken",
    [
        {"@timestamp": "2026-12-01T10:00:00Z", "event": {"id": "e1"}},  # no organization.id
        {"@timestamp": "not a time", "event": {"id": "e1"}, "organization": {"id": "t"}},
        {"event": {"id": "e1"}, "organization": {"id": "t"}},
    ],
)
def test_an_event_without_identity_or_time_is_refused(broken: dict[str, Any]) -> None:
    correlator = Correlator(RuleSet(detections=[detection("x")]), state=MemoryState())
    # An event without identity is refused when decoded; one without a usable time by feed.
    with pytest.raises(ValueError, match=r"organization\.id|@timestamp"):
        correlator.feed(EcsEvent(broken))


def chained(**chain: Any) -> RuleSet:
    base = brute_force()
    follow = correlation(
        "after", "temporal_ordered", ("bf", "accepted"), span=timedelta(minutes=30), **chain
    )
    return RuleSet(detections=base.detections, correlations=[follow, *base.correlations])


def test_a_firing_correlation_is_a_hit_for_the_correlations_naming_it() -> None:
    correlator = Correlator(chained(), state=MemoryState())
    events = [failed("t", f"e{i}", f"10:00:0{i}") for i in range(3)]
    events.append(event("t", "ok", "10:20:00", ("accepted",), source__ip=IP))
    alerts = feed_all(correlator, events)
    assert [a.rule.id for a in alerts] == ["id-bf", "id-after"]
    assert alerts[1].event_ids == ["e2", "ok"]  # the firing event of bf, then the login
    assert correlator.rule_hits["id-bf"] == 1 and correlator.rule_hits["id-after"] == 1


def test_a_login_before_the_brute_force_does_not_complete_the_chain() -> None:
    correlator = Correlator(chained(), state=MemoryState())
    events = [event("t", "ok", "09:59:00", ("accepted",), source__ip=IP)]
    events += [failed("t", f"e{i}", f"10:00:0{i}") for i in range(3)]
    assert [a.rule.id for a in feed_all(correlator, events)] == ["id-bf"]


def test_a_non_generating_correlation_still_feeds_its_chain() -> None:
    base = brute_force(generate=False)
    follow = correlation(
        "after", "temporal_ordered", ("bf", "accepted"), span=timedelta(minutes=30)
    )
    correlator = Correlator(
        RuleSet(base.detections, [follow, *base.correlations]), state=MemoryState()
    )
    events = [failed("t", f"e{i}", f"10:00:0{i}") for i in range(3)]
    events.append(event("t", "ok", "10:00:10", ("accepted",), source__ip=IP))
    assert [a.rule.id for a in feed_all(correlator, events)] == ["id-after"]


def test_correlations_in_a_reference_cycle_are_skipped() -> None:
    loop_a = correlation("la", "event_count", ("lb", "failed"), bounds={"gte": 1})
    loop_b = correlation("lb", "event_count", ("la",), bounds={"gte": 1})
    rules = RuleSet(
        detections=brute_force().detections,
        correlations=[loop_a, loop_b, *brute_force().correlations],
    )
    correlator = Correlator(rules, state=MemoryState())
    alerts = feed_all(correlator, [failed("t", f"e{i}", f"10:00:0{i}") for i in range(3)])
    assert [a.rule.id for a in alerts] == ["id-bf"]


def test_a_restarted_correlator_on_the_same_state_continues_the_episode() -> None:
    state = MemoryState()
    first = feed_all(
        Correlator(brute_force(), state=state),
        [failed("t", f"e{i}", f"10:00:0{i}") for i in range(3)],
    )
    later = Correlator(brute_force(), state=state).feed(failed("t", "e3", "10:00:03"))
    assert [a.id for a in later] == [first[0].id]
    assert (later[0].version, later[0].count) == (2, 4)


def test_a_redelivered_firing_event_replays_the_same_alert_version() -> None:
    correlator = Correlator(brute_force(), state=MemoryState())
    events = [failed("t", f"e{i}", f"10:00:0{i}") for i in range(3)]
    [alert] = feed_all(correlator, events)
    assert correlator.feed(events[2]) == [alert]
    assert correlator.feed(events[0]) == [alert]  # inside the episode: same alert, no growth
    assert correlator.stats["hits_duplicate"] == 2


def test_window_state_survives_rebalance_case(cases: dict[str, dict[str, Any]]) -> None:
    case = cases["correlation-window-state-survives-rebalance"]
    rule = correlation_from_yaml(case["input"]["rule"], name="bf")
    rules = RuleSet(detections=[detection("ssh_failed", generate=False)], correlations=[rule])
    events = [
        EcsEvent(doc({"@timestamp": e["t"], "event.id": e["event.id"], "organization.id": "acme",
                      "source.ip": e["source.ip"], "labels.rules": ["ssh_failed"]}))
        for e in case["input"]["events"]
    ]  # fmt: skip
    worker_a = MemoryState()
    findings = feed_all(Correlator(rules, state=worker_a), events[:3])
    restored = MemoryState()  # worker-b restores the changelog: every key, through bytes
    for key in worker_a.keys():
        restored.put(key, orjson.loads(orjson.dumps(worker_a.get(key))))
    worker_b = Correlator(rules, state=restored)
    per_event = [worker_b.feed(e) for e in events[2:]]  # e3 is redelivered
    findings += [a for out in per_event for a in out]
    assert [len(out) for out in per_event] == [0, 0, 1]  # nothing at e3 or e4
    assert len({a.id for a in findings}) == case["expected"]["findings"]
    assert findings[-1].event_ids[-1] == case["expected"]["finding_at_event"]
    assert findings[-1].count == case["expected"]["count_in_finding"]


def test_temporal_aliases_group_case(cases: dict[str, dict[str, Any]]) -> None:
    case = cases["correlation-temporal-aliases-group"]
    corr_yaml = case["input"]["rules"].split("---")[-1]
    rule = correlation_from_yaml(corr_yaml, name="aliased")
    bases = [
        detection("internal_error", generate=False),
        detection("new_network_connection", generate=False),
    ]
    correlator = Correlator(RuleSet(detections=bases, correlations=[rule]), state=MemoryState())
    alerts = []
    for e in case["input"]["events"]:
        fields = {k: v for k, v in e.items() if k not in ("id", "t", "matches")}
        for alert in correlator.feed(
            EcsEvent(doc({"@timestamp": e["t"], "event.id": e["id"], "organization.id": "acme",
                          "labels.rules": [e["matches"]], **fields}))
        ):  # fmt: skip
            alerts.append(alert)
    found = [
        {
            "at": a.last_seen.isoformat().replace("+00:00", "Z"),
            "group": a.group,
            "events": a.event_ids,
        }
        for a in alerts
    ]
    assert found == case["expected"]["findings"]
    assert len({a.id for a in alerts}) == 2


def test_sweep_drops_state_no_event_can_use_any_more() -> None:
    state = MemoryState()
    correlator = Correlator(brute_force(), state=state, allowed_lateness=timedelta(seconds=60))
    feed_all(correlator, [failed("t", f"e{i}", f"10:00:0{i}") for i in range(3)])
    feed_all(correlator, [failed("other", "o1", "11:00:00")])  # another tenant's clock
    assert correlator.sweep() == 0
    correlator.feed(failed("t", "late-ip", "10:06:03", ip="198.51.100.7"))
    assert correlator.sweep() == 2  # the window (until 10:06:02) and the episode (until 10:05:02)
    assert len(state.keys()) == 2  # the new window, and the other tenant's window


def test_feed_sweeps_every_n_events() -> None:
    state = MemoryState()
    correlator = Correlator(
        brute_force(), state=state, sweep_every=2, allowed_lateness=timedelta(0)
    )
    correlator.feed(failed("t", "e1", "10:00:00", ip="192.0.2.1"))
    correlator.feed(failed("t", "e2", "10:10:00", ip="192.0.2.2"))
    assert correlator.stats["state_swept"] == 1 and len(state.keys()) == 1


@pytest.mark.parametrize(("level", "score"), [*RISK_SCORES.items(), ("bogus", 50.0)])
def test_risk_score_follows_the_level(level: str, score: float) -> None:
    correlator = Correlator(RuleSet(detections=[detection("x", level=level)]), state=MemoryState())
    [alert] = correlator.feed(event("t", "e1", "10:00:00", ("x",)))
    assert alert.risk_score == score
    assert alert.rule.level == (level if level in RISK_SCORES else "medium")


def test_memory_state_values_round_trip_through_orjson() -> None:
    state = MemoryState()
    correlator = Correlator(brute_force(), state=state)
    feed_all(correlator, [failed("t", f"e{i}", f"10:00:0{i}") for i in range(3)])
    assert len(state.keys()) == 2  # a window and an episode
    for key in state.keys():
        value = state.get(key)
        assert value is not None and orjson.loads(orjson.dumps(value)) == value
        assert orjson.loads(key)[:3] == ["w" if "entries" in value else "e", "t", "id-bf"]


def test_memory_state_refuses_values_that_are_not_json() -> None:
    state = MemoryState()
    with pytest.raises(TypeError):
        state.put("k", {"ids": {"e1"}})
    state.put("k", {"a": [1, 2.5, None, "x"]})
    got = state.get("k")
    assert got == {"a": [1, 2.5, None, "x"]}
    got["a"].append(3)  # type: ignore[index]
    assert state.get("k") == {"a": [1, 2.5, None, "x"]}  # a caller cannot reach the stored value
    state.delete("k")
    assert state.get("k") is None


EXPECTED_BUILTIN = {
    "ssh_failed_login", "ssh_brute_force", "ssh_invalid_user", "ssh_invalid_user_enumeration",
    "ssh_accepted_login", "ssh_failed_login_burst", "ssh_login_after_brute_force",
}  # fmt: skip


SINGLE_EVENTS = [
    ("sshd", "reverse mapping checking getaddrinfo for host.example.com [203.0.113.9] failed"
             " - POSSIBLE BREAK-IN ATTEMPT!", "41ce6787-1801-477f-a50d-b9ecbecb22c7"),
    ("useradd", "new user: name=backup2, UID=0, GID=0, home=/root, shell=/bin/bash",
     "940fbaf0-18b4-4552-af5f-146731caec7f"),
    ("useradd", "new user: name=user5, UID=1005, GID=1005, home=/home/user5, shell=/bin/sh", None),
    ("sudo", "user5 : user NOT in sudoers ; TTY=pts/0 ; PWD=/home/user5 ; USER=root ;"
             " COMMAND=/bin/bash", "8d44e9ef-19d2-488e-b4be-104cac5dfd25"),
]  # fmt: skip


def test_builtin_rules_load_and_detect_an_ssh_attack() -> None:
    rules_module = pytest.importorskip("services.correlator.rules")
    from services.correlator.builtin_rules import builtin_rules_dir

    ruleset = rules_module.load_rules([builtin_rules_dir()])
    assert (ruleset.errors, ruleset.warnings) == ([], [])
    names = {r.meta.name for r in ruleset.detections} | {c.meta.name for c in ruleset.correlations}
    assert names >= EXPECTED_BUILTIN
    correlator = Correlator(ruleset, state=MemoryState())
    events = [sshd_event(f"f{i}", f"10:00:{i:02}", "Failed", "failure", "root") for i in range(10)]
    events += [
        sshd_event(f"i{i}", f"10:01:{i:02}", "Invalid", "failure", f"user{i}") for i in range(5)
    ]
    events.append(sshd_event("ok", "10:10:00", "Accepted", "success", "root"))
    alerts = {a.rule.id: a for a in feed_all(correlator, events)}
    assert sorted((a.rule.title, a.count, a.event_ids[-1]) for a in alerts.values()) == [
        ("SSH brute force from one source address", 10, "f9"),
        ("SSH login accepted after a brute force from the same address", 2, "ok"),
        ("SSH user name guessing from one source address", 5, "i4"),
    ]
    assert all(a.group == {"source.ip": IP} for a in alerts.values())
    for i, (process, message, rule_id) in enumerate(SINGLE_EVENTS):
        fired = correlator.feed(auth_event(f"s{i}", "11:00:00", process, message))
        assert [a.rule.id for a in fired] == ([rule_id] if rule_id else []), message
