"""Entra ID (Azure AD) sign-in logs → ECS, through the Normalizer as the HTTP ingest hands them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.normalizer.parsers import azure_signin
from tests.unit.normalizer.factories import ABSENT, assert_fields
from tests.unit.normalizer.json_sources import (
    case_records,
    dead_letter,
    normalize,
    parses_or_rejects,
    records,
    variants,
)

TENANT = "00000000-0000-0000-0000-00000000000a"


def sign_in(properties: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    base_properties = {
        "id": "00000000-0000-0000-0000-0000000000b1",
        "createdDateTime": "2026-12-01T10:05:00.1234567+00:00",
        "userDisplayName": "User One",
        "userPrincipalName": "user1@example.com",
        "userId": "00000000-0000-0000-0000-0000000000c1",
        "appDisplayName": "Example App",
        "ipAddress": "203.0.113.40",
        "clientAppUsed": "Browser",
        "userAgent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
        "isInteractive": True,
        "processingTimeInMilliseconds": 120,
        "riskLevelDuringSignIn": "none",
        "authenticationRequirement": "singleFactorAuthentication",
        "status": {"errorCode": 0},
        "deviceDetail": {"deviceId": "", "operatingSystem": "Windows 10", "browser": "Edge 120"},
        "location": {
            "city": "Lyon",
            "state": "Auvergne-Rhone-Alpes",
            "countryOrRegion": "FR",
            "geoCoordinates": {"latitude": 45.76, "longitude": 4.83},
        },
    }
    base = {
        "time": "2026-12-01T10:05:00.1234567Z",
        "resourceId": f"/tenants/{TENANT}/providers/Microsoft.aadiam",
        "operationName": "Sign-in activity",
        "operationVersion": "1.0",
        "category": "SignInLogs",
        "tenantId": TENANT,
        "resultType": "0",
        "resultSignature": "None",
        "durationMs": 0,
        "callerIpAddress": "203.0.113.40",
        "correlationId": "00000000-0000-0000-0000-0000000000d1",
        "identity": "User One",
        "Level": 4,
        "location": "FR",
        "properties": {**base_properties, **(properties or {})},
    }
    return {**base, **fields}


def failed(code: int, reason: str, details: str | None = None) -> dict[str, Any]:
    status = {"errorCode": code, "failureReason": reason, "additionalDetails": details}
    return sign_in({"status": status}, resultType=str(code), resultDescription=reason)


MAPPINGS = [
    pytest.param(
        sign_in(),
        {
            "@timestamp": "2026-12-01T10:05:00.1234567Z",  # all seven fractional digits
            "event.kind": "event",
            "event.module": "azure",
            "event.dataset": "azure.signinlogs",
            "event.category": ["authentication"],
            "event.type": ["info"],
            "event.action": "Sign-in activity",
            "event.outcome": "success",
            "event.duration": 0,
            "error.code": ABSENT,
            "source.ip": "203.0.113.40",
            "client.ip": "203.0.113.40",
            "related.ip": ["203.0.113.40"],
            "user.name": "user1@example.com",
            "user.domain": "example.com",
            "user.full_name": "User One",
            "user.id": "00000000-0000-0000-0000-0000000000c1",
            "user_agent.original": "Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
            "geo.country_iso_code": "FR",
            "geo.city_name": "Lyon",
            "geo.region_name": "Auvergne-Rhone-Alpes",
            "geo.location": {"lat": 45.76, "lon": 4.83},
            "log.level": "4",
            "cloud.provider": "azure",
            "azure.tenant_id": TENANT,
            "azure.correlation_id": "00000000-0000-0000-0000-0000000000d1",
            "azure.resource.id": f"/tenants/{TENANT}/providers/Microsoft.aadiam",
            "azure.resource.provider": "Microsoft.aadiam",
            "azure.signinlogs.result_type": "0",
            "azure.signinlogs.result_signature": "None",
            "azure.signinlogs.operation_version": "1.0",
            "azure.signinlogs.category": "SignInLogs",
            "azure.signinlogs.properties.user_principal_name": "user1@example.com",
            "azure.signinlogs.properties.created_at": "2026-12-01T10:05:00.1234567+00:00",
            "azure.signinlogs.properties.processing_time_ms": 120,
            "azure.signinlogs.properties.risk_level_during_signin": "none",
            "azure.signinlogs.properties.authentication_requirement": "singleFactorAuthentication",
            "azure.signinlogs.properties.is_interactive": True,
            "azure.signinlogs.properties.device_detail.device_id": "",
            "azure.signinlogs.properties.device_detail.operating_system": "Windows 10",
            "azure.signinlogs.properties.status.error_code": 0,
            "azure.signinlogs.properties.location": ABSENT,  # moved to geo.*
            "azure.signinlogs.properties.user_agent": ABSENT,  # moved to user_agent.original
            "azure.signinlogs.time": ABSENT,
        },
        id="success",
    ),
    pytest.param(
        failed(50126, "Invalid username or password.", "MFA denied; user declined"),
        {
            "event.outcome": "failure",
            "error.code": "50126",
            "message": "Invalid username or password. (MFA denied; user declined)",
            "azure.signinlogs.result_description": "Invalid username or password.",
            "azure.signinlogs.properties.status": {"error_code": 50126},
        },
        id="failure-with-details",
    ),
    pytest.param(
        sign_in(callerIpAddress="[2001:db8::5]:50123"),
        {"source.ip": "2001:db8::5", "source.port": 50123, "related.ip": ["2001:db8::5"]},
        id="caller-ipv6-with-port",
    ),
    pytest.param(
        sign_in(callerIpAddress="198.51.100.9:443"),
        {"source.ip": "198.51.100.9", "source.port": 443},
        id="caller-ipv4-with-port",
    ),
    pytest.param(
        sign_in(callerIpAddress=None),
        {"source.ip": "203.0.113.40", "source.port": ABSENT},
        id="caller-missing-uses-property-address",
    ),
    pytest.param(
        sign_in({"status": {}}, resultType=None, time=None),
        {
            "event.outcome": "unknown",
            "@timestamp": "2026-12-01T10:05:00.1234567Z",  # from createdDateTime
        },
        id="no-result-code",
    ),
    pytest.param(
        sign_in({"status": None}, resultType="50053", category="NonInteractiveUserSignInLogs"),
        {"event.outcome": "failure", "error.code": "50053", "event.action": "Sign-in activity"},
        id="non-interactive-result-type-only",
    ),
    pytest.param(
        sign_in(
            resourceId="/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/"
            "rg-example/providers/Microsoft.Web/sites/app-example"
        ),
        {
            "azure.resource.subscription_id": "11111111-2222-3333-4444-555555555555",
            "azure.resource.group": "rg-example",
            "azure.resource.provider": "Microsoft.Web/sites",
            "azure.resource.name": "app-example",
        },
        id="subscription-resource",
    ),
    pytest.param(
        sign_in(durationMs="1500", Level="Informational"),
        {"event.duration": 1_500_000_000, "log.level": "Informational"},
        id="duration-as-text",
    ),
]


@pytest.mark.parametrize(("given", "expected"), MAPPINGS)
def test_azure_signin_maps_record(given: dict[str, Any], expected: dict[str, Any]) -> None:
    (doc,) = normalize(given, "azure_signin")
    assert_fields(doc, expected)


@pytest.mark.parametrize(
    ("given", "expected"), case_records("idp-signin-outcome-and-ip", "azure_signin")
)
def test_azure_signin_bug_report_case(given: dict[str, Any], expected: dict[str, Any]) -> None:
    (doc,) = normalize(given, "azure_signin")
    assert_fields(doc, {k: ABSENT if v is None else v for k, v in expected.items()})


def test_azure_signin_export_batch_gives_one_document_per_record() -> None:
    batch = {"records": [sign_in(), failed(50126, "Invalid username or password.")]}
    docs = normalize(batch, "azure_signin")
    assert [d["event"]["outcome"] for d in docs] == ["success", "failure"]


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        (json.dumps(sign_in(category="AuditLogs")), "category 'AuditLogs'"),
        (json.dumps({"records": [sign_in(), {"time": "2026-12-01T10:05:00Z"}]}), "record 2"),
        ("[]", "empty batch"),
    ],
)
def test_azure_signin_rejects_other_records(given: str, reason: str) -> None:
    assert reason in dead_letter(given, "azure_signin")


AZURE_KEYS = [
    "time",
    "resourceId",
    "operationName",
    "category",
    "tenantId",
    "resultType",
    "durationMs",
    "callerIpAddress",
    "correlationId",
    "Level",
    "location",
    "properties",
    "status",
    "errorCode",
    "failureReason",
    "additionalDetails",
    "userPrincipalName",
    "userId",
    "userDisplayName",
    "userAgent",
    "ipAddress",
    "createdDateTime",
    "geoCoordinates",
    "latitude",
    "authenticationProcessingDetails",
    "key",
    "value",
    "records",
]


@settings(max_examples=300, deadline=None)  # about 10 inputs per example
@given(records(AZURE_KEYS), st.text(max_size=200))
def test_azure_signin_hostile_input_gives_documents_or_a_parse_error(
    noise: dict[str, Any], text: str
) -> None:
    for hostile in variants(sign_in(), noise, text):
        parses_or_rejects(azure_signin.parse, hostile)
