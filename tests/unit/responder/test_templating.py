from __future__ import annotations

from typing import Any

import pytest

from services.responder.templating import TemplateError, check, render
from tests.unit.responder.support import make_alert

ALERT = make_alert(
    tags=("attack.credential_access", "attack.t1110"),
    group={"source.ip": "203.0.113.5", "host.name": "web-1.example.com"},
).model_copy(update={"threat": {"technique": {"id": "T1110"}}, "risk_score": 72.5})


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("${alert.group.source.ip}", "203.0.113.5"),
        ("${alert.rule.id}", "ssh-bruteforce"),
        ("${alert.rule.tags}", ["attack.credential_access", "attack.t1110"]),
        ("${alert.count}", 5),
        ("${alert.risk_score}", 72.5),
        ("${alert.threat.technique.id}", "T1110"),
        ("host ${alert.group.host.name} of ${alert.tenant}", "host web-1.example.com of acme"),
        ("${alert.count} events, score ${alert.risk_score}", "5 events, score 72.5"),
        ("costs $5 and $HOME stays", "costs $5 and $HOME stays"),
        ({"ip": "${alert.group.source.ip}", "ttl": 600}, {"ip": "203.0.113.5", "ttl": 600}),
        (["${alert.tenant}", 5, True, None], ["acme", 5, True, None]),
        ({"nested": {"list": ["${alert.rule.level}"]}}, {"nested": {"list": ["high"]}}),
    ],
)
def test_render_fills_placeholders_from_alert_fields(template: Any, expected: Any) -> None:
    assert check(template) == []
    assert render(template, ALERT) == expected


@pytest.mark.parametrize(
    ("template", "missing"),
    [
        ("${alert.group.user.name}", "alert.group.user.name"),
        ("${alert.rule.author}", "alert.rule.author"),  # present in the model, but null
        ("${alert.event_ids}", "alert.event_ids"),  # an empty list is no value
        ({"ip": "${alert.group.destination.ip}"}, "alert.group.destination.ip"),
    ],
)
def test_render_missing_field_raises_template_error_naming_it(template: Any, missing: str) -> None:
    with pytest.raises(TemplateError, match=missing.replace(".", r"\.")):
        render(template, ALERT)


def test_render_refuses_structured_value_inside_text() -> None:
    with pytest.raises(TemplateError, match="not a single value"):
        render("tags: ${alert.rule.tags}", ALERT)


HOSTILE = [
    "{alert.__class__}",
    "{alert.rule.__class__.__init__.__globals__}",
    "{0.__globals__}",
    "${alert.__class__}",
    "${alert.rule.__class__.__mro__}",
    "${alert.rule._private}",
    "${alert.rule.id!r}",
    "${alert.rule.id:>10}",
    "${alert.group[source.ip]}",
    "${__import__('os').system('id')}",
    "${alert}",
    "${alert.unknown_field}",
    "${ alert.rule.id }",
    "${alert.rule.id",
    "ip=${alert.group.source.ip} {extra}",
]


@pytest.mark.parametrize("template", HOSTILE)
def test_check_refuses_hostile_or_malformed_template(template: str) -> None:
    assert check(template) != []
    assert check({"target": [template]}) != []


@pytest.mark.parametrize("template", [t for t in HOSTILE if t.startswith("${") and t.endswith("}")])
def test_render_refuses_invalid_placeholder_even_unchecked(template: str) -> None:
    with pytest.raises(TemplateError):
        render({"ip": template}, ALERT)


@pytest.mark.parametrize("key", ["${alert.tenant}", "{alert.__class__}"])
def test_check_refuses_placeholders_in_keys(key: str) -> None:
    assert check({key: "x"}) != []
