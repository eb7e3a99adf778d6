"""Okta System Log events → ECS, through the Normalizer as the HTTP ingest hands them over."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.normalizer.parsers import okta
from tests.unit.normalizer.factories import ABSENT, assert_fields
from tests.unit.normalizer.json_sources import (
    case_records,
    dead_letter,
    normalize,
    parses_or_rejects,
    records,
    variants,
)

ACTOR = {
    "id": "00u1example",
    "type": "User",
    "alternateId": "user1@example.com",
    "displayName": "User One",
    "detailEntry": None,
}


def event(**fields: Any) -> dict[str, Any]:
    base = {
        "uuid": "00000000-0000-4000-8000-0000000000aa",
        "published": "2026-12-01T10:00:00.123Z",
        "eventType": "user.session.start",
        "legacyEventType": "core.user_auth.login_success",
        "displayMessage": "User login to Okta",
        "severity": "INFO",
        "version": "0",
        "outcome": {"result": "SUCCESS", "reason": None},
        "actor": ACTOR,
        "client": {
            "ipAddress": "198.51.100.23",
            "zone": "null",
            "device": "Computer",
            "id": None,
            "userAgent": {
                "rawUserAgent": "Mozilla/5.0 (X11; Linux x86_64)",
                "os": "Linux",
                "browser": "FIREFOX",
            },
            "geographicalContext": {
                "city": "Lyon",
                "state": "Auvergne-Rhone-Alpes",
                "country": "France",
                "postalCode": "69001",
                "geolocation": {"lat": 45.76, "lon": 4.83},
            },
        },
        "authenticationContext": {
            "authenticationStep": 0,
            "externalSessionId": "102abc",
            "authenticationProvider": None,
            "interface": None,
        },
        "securityContext": {
            "asNumber": 64501,
            "asOrg": "example isp",
            "domain": "example.net",
            "isProxy": False,
            "isp": "example isp",
        },
        "debugContext": {
            "debugData": {
                "requestId": "req-1",
                "requestUri": "/api/v1/authn",
                "threatSuspected": "false",
            }
        },
        "request": {
            "ipChain": [
                {
                    "ip": "198.51.100.23",
                    "version": "V4",
                    "source": None,
                    "geographicalContext": {"city": "Lyon", "postalCode": "69001"},
                }
            ]
        },
        "transaction": {"type": "WEB", "id": "tx-1", "detail": {}},
        "target": None,
    }
    return {**base, **fields}


def with_result(result: str | None) -> dict[str, Any]:
    return event(outcome={"result": result, "reason": None})


MAPPINGS = [
    pytest.param(
        event(),
        {
            "@timestamp": "2026-12-01T10:00:00.123Z",
            "event.kind": "event",
            "event.module": "okta",
            "event.dataset": "okta.system",
            "event.action": "user.session.start",
            "event.category": ["authentication", "session"],
            "event.type": ["start", "info"],
            "event.outcome": "success",
            "user.name": "user1",  # the login part of alternateId, as Elastic takes it
            "user.full_name": "User One",
            "source.ip": "198.51.100.23",
            "source.domain": "example.net",
            "source.user.id": "00u1example",
            "client.ip": "198.51.100.23",
            "client.geo.city_name": "Lyon",
            "client.geo.region_name": "Auvergne-Rhone-Alpes",
            "client.geo.location": {"lat": 45.76, "lon": 4.83},
            "client.as.organization.name": "example isp",
            "user_agent.original": "Mozilla/5.0 (X11; Linux x86_64)",
            "related.ip": ["198.51.100.23"],
            "related.user": ["User One", "user1"],
            "related.entity": ["user1@example.com", "00u1example"],
            "okta.uuid": "00000000-0000-4000-8000-0000000000aa",
            "okta.legacy_event_type": "core.user_auth.login_success",
            "okta.severity": "INFO",
            "okta.actor.alternate_id": "user1@example.com",
            "okta.client.zone": "null",  # the source's own text, kept where it is
            "okta.security_context.is_proxy": False,
            "okta.security_context.as.number": 64501,
            "okta.authentication_context.authentication_step": 0,
            "okta.request.ip_chain": [
                {
                    "ip": "198.51.100.23",
                    "version": "V4",
                    "geographical_context": {"city": "Lyon", "postal_code": "69001"},
                }
            ],
            "okta.debug_context.debug_data.request_uri": "/api/v1/authn",
            "okta.debug_context.debug_data.flattened.requestUri": "/api/v1/authn",
            "okta.target": ABSENT,
        },
        id="session-start",
    ),
    pytest.param(
        event(client={"ipAddress": "null", "zone": "null"}),
        {"source.ip": ABSENT, "client.ip": ABSENT, "okta.client.ip": ABSENT, "related.ip": ABSENT},
        id="null-text-is-no-address",
    ),
    pytest.param(
        event(client={"ipAddress": "2001:db8::23"}),
        {"source.ip": "2001:db8::23", "okta.client.ip": "2001:db8::23"},
        id="ipv6-client",
    ),
    pytest.param(
        event(
            eventType="group.user_membership.add",
            target=[
                {
                    "id": "00u2target",
                    "type": "User",
                    "alternateId": "user2@example.com",
                    "displayName": "User Two",
                    "login": "user2@example.com",
                    "detailEntry": None,
                },
                {
                    "id": "00g1group",
                    "type": "UserGroup",
                    "alternateId": "unknown",
                    "displayName": "Admins",
                    "detailEntry": {"free": "form"},
                },
            ],
        ),
        {
            "event.category": ["iam"],
            "event.type": ["group", "change"],
            "user.target.full_name": "User Two",
            "user.target.id": "00u2target",
            "user.target.email": "user2@example.com",
            "user.target.group.name": "Admins",
            "user.target.group.id": "00g1group",
            "related.user": ["User One", "User Two", "user1"],
            "related.entity": ["user1@example.com", "00u1example", "00u2target", "00g1group"],
            "okta.target": [
                {
                    "id": "00u2target",
                    "type": "User",
                    "alternate_id": "user2@example.com",
                    "display_name": "User Two",
                    "login": "user2@example.com",
                },
                {
                    "id": "00g1group",
                    "type": "UserGroup",
                    "alternate_id": "unknown",
                    "display_name": "Admins",
                },
            ],
        },
        id="group-membership-targets",
    ),
    pytest.param(
        event(
            eventType="user.authentication.auth_via_mfa",
            debugContext={
                "debugData": {
                    "behaviors": "{New Geo-Location=POSITIVE, New Device=NEGATIVE, Velocity=POSITIVE}",
                    "risk": "{reasons=Anomalous Device, New Geo-Location, level=MEDIUM}",
                    "factor": "OKTA_VERIFY_PUSH",
                }
            },
        ),
        {
            "event.category": ABSENT,
            "okta.debug_context.debug_data.risk_level": "MEDIUM",
            "okta.debug_context.debug_data.risk_reasons": ["Anomalous Device", "New Geo-Location"],
            "okta.debug_context.debug_data.risk_behaviors": ["New Geo-Location", "Velocity"],
            "okta.debug_context.debug_data.factor": "OKTA_VERIFY_PUSH",
            "okta.debug_context.debug_data.flattened.behaviors.New Device": "NEGATIVE",
        },
        id="debug-risk-text",
    ),
    pytest.param(
        event(
            debugContext={
                "debugData": {
                    "logOnlySecurityData": json.dumps(
                        {"risk": {"level": "HIGH", "reasons": "Anomalous Location"}}
                    )
                }
            }
        ),
        {
            "okta.debug_context.debug_data.risk_level": "HIGH",
            "okta.debug_context.debug_data.risk_reasons": ["Anomalous Location"],
            "okta.debug_context.debug_data.flattened.logOnlySecurityData.risk.level": "HIGH",
        },
        id="debug-log-only-security-data",
    ),
    pytest.param(
        {
            "uuid": "00000000-0000-4000-8000-0000000000bb",
            "published": "2026-12-01T10:00:00.000Z",
            "eventType": "user.session.start",
            "outcome.result": "FAILURE",
            "actor.alternateId": "user3@example.com",
            "client.ipAddress": "203.0.113.5",
        },
        {
            "event.outcome": "failure",
            "user.name": "user3",
            "source.ip": "203.0.113.5",
            "okta.outcome.result": "FAILURE",
        },
        id="flattened-export",
    ),
]


@pytest.mark.parametrize(("given", "expected"), MAPPINGS)
def test_okta_maps_event(given: dict[str, Any], expected: dict[str, Any]) -> None:
    (doc,) = normalize(given, "okta")
    assert_fields(doc, expected)


@pytest.mark.parametrize(
    ("result", "outcome"),
    [
        ("SUCCESS", "success"),
        ("ALLOW", "success"),
        ("FAILURE", "failure"),
        ("DENY", "failure"),
        ("CHALLENGE", "unknown"),
        ("SKIPPED", "unknown"),
        ("UNKNOWN", "unknown"),
        ("success", "success"),
        (None, "unknown"),
    ],
)
def test_okta_outcome_takes_only_ecs_values(result: str | None, outcome: str) -> None:
    (doc,) = normalize(with_result(result), "okta")
    assert doc["event"]["outcome"] == outcome


@pytest.mark.parametrize(("given", "expected"), case_records("idp-signin-outcome-and-ip", "okta"))
def test_okta_bug_report_case(given: dict[str, Any], expected: dict[str, Any]) -> None:
    (doc,) = normalize(given, "okta")
    assert_fields(doc, {k: ABSENT if v is None else v for k, v in expected.items()})


def test_okta_batch_gives_one_document_per_event() -> None:
    events = [event(uuid=f"u-{n}", eventType=f"user.type{n}") for n in range(3)]
    docs = normalize(events, "okta")
    assert [d["okta"]["uuid"] for d in docs] == ["u-0", "u-1", "u-2"]


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ('{"uuid": "x"', "not JSON"),
        (json.dumps({"uuid": "x", "published": "2026-12-01T10:00:00Z"}), "no eventType"),
        (json.dumps([event(), "text"]), "record 2 is a JSON string"),
    ],
)
def test_okta_rejects_what_is_no_log_event(given: str, reason: str) -> None:
    assert reason in dead_letter(given, "okta")


OKTA_KEYS = [
    "uuid",
    "published",
    "eventType",
    "legacyEventType",
    "displayMessage",
    "outcome",
    "result",
    "reason",
    "actor",
    "alternateId",
    "displayName",
    "client",
    "ipAddress",
    "userAgent",
    "geographicalContext",
    "target",
    "detailEntry",
    "type",
    "debugContext",
    "debugData",
    "behaviors",
    "risk",
    "logOnlySecurityData",
    "securityContext",
    "request",
    "ipChain",
    "device",
    "device_integrator",
    "authenticationContext",
    "transaction",
    "actor.alternateId",
]


@settings(max_examples=300, deadline=None)  # about 10 inputs per example
@given(records(OKTA_KEYS), st.text(max_size=200))
def test_okta_hostile_input_gives_documents_or_a_parse_error(
    noise: dict[str, Any], text: str
) -> None:
    for hostile in variants(event(), noise, text):
        parses_or_rejects(okta.parse, hostile)
