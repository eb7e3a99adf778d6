"""Logsource routing: which events a rule of a given logsource may see."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from services.correlator.logsources import (
    LogsourceMap,
    default_logsources,
    load_logsources,
    logsource_predicate,
)
from services.correlator.model import Logsource
from services.correlator.rules import load_rule_text

SYSMON = "Microsoft-Windows-Sysmon/Operational"
LINUX_DATASETS = (
    "system.auth",
    "system.syslog",
    "syslog",
    "auditd.log",
    "auditd_manager.auditd",
)

# (id, logsource, conditions, unrouted)
ROUTES = [
    ("sshd", Logsource("linux", service="sshd"), (("process.name", ("sshd",)),), ()),
    ("auth", Logsource("linux", service="auth"), (("event.dataset", ("system.auth",)),), ()),
    ("linux", Logsource("linux"), (("event.dataset", LINUX_DATASETS),), ()),
    (
        "security",
        Logsource("windows", service="security"),
        (("winlog.channel", ("Security",)),),
        (),
    ),
    (
        "process-creation",
        Logsource(category="process_creation"),
        (("event.category", ("process",)), ("event.type", ("start",))),
        (),
    ),
    (
        "windows-process-creation",
        Logsource("windows", "process_creation"),
        (("winlog.channel", (SYSMON, "Security")), ("event.code", ("1", "4688"))),
        (),
    ),
    (
        "linux-process-creation",
        Logsource("linux", "process_creation"),
        (
            ("event.category", ("process",)),
            ("event.type", ("start",)),
            ("host.os.type", ("linux",)),
        ),
        (),
    ),
    ("device-service", Logsource("cisco", service="aaa"), (("observer.vendor", ("Cisco",)),), ()),
    ("unknown-product", Logsource("foo"), (), (("product", "foo"),)),
    (
        "unknown-service",
        Logsource("windows", service="foo"),
        (("winlog.channel", ()),),
        (("service", "foo"),),
    ),
    (
        "case-insensitive",
        Logsource("Windows", service="Security"),
        (("winlog.channel", ("Security",)),),
        (),
    ),
    ("no-logsource", Logsource(), (), ()),
]


@pytest.mark.parametrize(
    ("logsource", "conditions", "unrouted"),
    [pytest.param(ls, c, u, id=i) for i, ls, c, u in ROUTES],
)
def test_logsource_routes(
    logsource: Logsource, conditions: tuple[Any, ...], unrouted: tuple[Any, ...]
) -> None:
    routing = default_logsources().route(logsource)
    assert (routing.conditions, routing.unrouted) == (conditions, unrouted)


# (id, logsource, event, expected)
EVENTS = [
    ("sshd", Logsource("linux", service="sshd"), {"process": {"name": "sshd"}}, True),
    ("sshd-other", Logsource("linux", service="sshd"), {"process": {"name": "sudo"}}, False),
    ("sshd-absent", Logsource("linux", service="sshd"), {}, False),
    ("auth", Logsource("linux", service="auth"), {"event": {"dataset": "system.auth"}}, True),
    (
        "channel-case",
        Logsource("windows", service="security"),
        {"winlog": {"channel": "SECURITY"}},
        True,
    ),
    (
        "ecs-lists",
        Logsource(category="process_creation"),
        {"event": {"category": ["process"], "type": ["start", "info"]}},
        True,
    ),
    (
        "ecs-lists-miss",
        Logsource(category="process_creation"),
        {"event": {"category": ["process"], "type": ["end"]}},
        False,
    ),
    (
        "sysmon-code",
        Logsource("windows", "process_creation"),
        {"winlog": {"channel": SYSMON}, "event": {"code": "1"}},
        True,
    ),
    (
        "sysmon-other-code",
        Logsource("windows", "process_creation"),
        {"winlog": {"channel": SYSMON}, "event": {"code": "3"}},
        False,
    ),
    (
        "numeric-code",
        Logsource("windows", "process_creation"),
        {"winlog": {"channel": "Security"}, "event": {"code": 4688}},
        True,
    ),
    ("present", Logsource("windows"), {"winlog": {"channel": "Anything"}}, True),
    ("present-absent", Logsource("windows"), {"event": {"code": "1"}}, False),
    (
        "hostile-object",
        Logsource("windows", service="security"),
        {"winlog": {"channel": {"name": "Security"}}},
        False,
    ),
    ("unknown-sees-all", Logsource("foo"), {"any": "event"}, True),
]


@pytest.mark.parametrize(
    ("logsource", "event", "expected"), [pytest.param(ls, e, x, id=i) for i, ls, e, x in EVENTS]
)
def test_logsource_predicate(logsource: Logsource, event: dict[str, Any], expected: bool) -> None:
    assert logsource_predicate(logsource)(event) is expected


def test_logsource_most_specific_route_wins(tmp_path: Path) -> None:
    table = tmp_path / "routes.yml"
    table.write_text(
        "routes:\n"
        "  - logsource: {product: p}\n    when: {a: '1'}\n"
        "  - logsource: {category: c}\n    when: {b: ['2', '3']}\n"
        "  - logsource: {product: p, service: s}\n    when: {c: '*'}\n"
    )
    routes = load_logsources(table)
    assert routes.route(Logsource("p", "c")).conditions == (("a", ("1",)), ("b", ("2", "3")))
    assert routes.route(Logsource("p", service="s")).conditions == (("c", ()),)
    assert routes.route(Logsource("p", "c", "s")).conditions == (("b", ("2", "3")), ("c", ()))


@pytest.mark.parametrize(
    "route",
    [
        pytest.param("{logsource: {vendor: x}, when: {a: b}}", id="unknown-key"),
        pytest.param("{logsource: {}, when: {a: b}}", id="empty-selector"),
        pytest.param("{logsource: {product: x}, when: {}}", id="no-condition"),
        pytest.param("{logsource: {product: x}, when: {a: {b: c}}}", id="object-value"),
    ],
)
def test_logsource_table_is_validated(tmp_path: Path, route: str) -> None:
    table = tmp_path / "routes.yml"
    table.write_text(f"routes:\n  - {route}\n")
    with pytest.raises(ValidationError):
        load_logsources(table)


def test_logsource_routing_is_part_of_rule_matches() -> None:
    text = (
        "logsource: {product: linux, service: sshd}\ndetection:\n  k: [error in libcrypto]\n"
        "  condition: k\n"
    )
    ruleset = load_rule_text(text)
    (rule,) = ruleset.detections
    assert ruleset.warnings == []
    assert rule.route == (("process.name", ("sshd",)),)
    message = {"message": "fatal: error in libcrypto"}
    assert rule.matches({**message, "process": {"name": "sshd"}}) is True
    assert rule.matches({**message, "process": {"name": "sudo"}}) is False


def test_logsource_unrouted_rule_loads_with_a_warning() -> None:
    text = "logsource: {product: foo, service: bar}\ndetection:\n  s: {A: 1}\n  condition: s\n"
    ruleset = load_rule_text(text, path="x.yml")
    (rule,) = ruleset.detections
    (warning,) = ruleset.warnings
    assert (warning.path, ruleset.errors) == ("x.yml", [])
    assert "product: foo" in warning.reason and "service: bar" in warning.reason
    assert rule.route == () and rule.matches({"A": 1}) is True


def test_logsource_empty_table_routes_nothing() -> None:
    assert LogsourceMap().route(Logsource("windows", service="security")).unrouted == (
        ("product", "windows"),
        ("service", "security"),
    )
