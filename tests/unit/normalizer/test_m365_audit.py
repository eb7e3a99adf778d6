"""Microsoft 365 audit records → ECS, through the Normalizer as the HTTP ingest hands them over."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.normalizer.parsers import m365_audit
from tests.unit.normalizer.factories import ABSENT, assert_fields
from tests.unit.normalizer.json_sources import (
    dead_letter,
    normalize,
    parses_or_rejects,
    records,
    variants,
)

ORG = "00000000-0000-0000-0000-0000000000e1"


def audit(**fields: Any) -> dict[str, Any]:
    base = {
        "CreationTime": "2026-12-01T10:07:00",
        "Id": "00000000-0000-0000-0000-0000000000f1",
        "Operation": "UserLoggedIn",
        "OrganizationId": ORG,
        "RecordType": 15,
        "ResultStatus": "Success",
        "UserKey": "10032000EXAMPLE",
        "UserType": 0,
        "Version": 1,
        "Workload": "AzureActiveDirectory",
        "ClientIP": "203.0.113.50",
        "ObjectId": "00000003-0000-0000-c000-000000000000",
        "UserId": "user1@example.com",
        "ApplicationId": "00000000-0000-0000-0000-0000000000a9",
        "ExtendedProperties": [
            {"Name": "UserAgent", "Value": "Mozilla/5.0 (Macintosh)"},
            {"Name": "RequestType", "Value": "OAuth2:Authorize"},
            {"Name": "ResultStatusDetail", "Value": "Success"},
        ],
    }
    return {**base, **fields}


MAPPINGS = [
    pytest.param(
        audit(),
        {
            "@timestamp": "2026-12-01T10:07:00Z",  # CreationTime is UTC, whatever the source zone
            "event.kind": "event",
            "event.module": "o365",
            "event.dataset": "o365.audit",
            "event.action": "UserLoggedIn",
            "event.provider": "AzureActiveDirectory",
            "event.code": "AzureActiveDirectoryStsLogon",
            "event.category": ["web", "authentication"],
            "event.type": ["info", "start", "access"],
            "event.outcome": "success",
            "user.id": "user1@example.com",
            "user.email": "user1@example.com",
            "user.name": "user1",
            "user.domain": "example.com",
            "client.ip": "203.0.113.50",
            "client.address": "203.0.113.50",
            "source.ip": "203.0.113.50",
            "network.type": "ipv4",
            "related.ip": ["203.0.113.50"],
            "related.user": ["user1"],
            "user_agent.original": "Mozilla/5.0 (Macintosh)",
            "o365.audit.Id": "00000000-0000-0000-0000-0000000000f1",
            "o365.audit.OrganizationId": ORG,
            "o365.audit.RecordType": "15",
            "o365.audit.UserType": "0",
            "o365.audit.ApplicationId": "00000000-0000-0000-0000-0000000000a9",
            "o365.audit.ExtendedProperties": {
                "RequestType": "OAuth2:Authorize",
                "ResultStatusDetail": "Success",
            },
            "o365.audit.ClientIP": ABSENT,  # moved to client.*
            "o365.audit.Workload": ABSENT,
            "o365.audit.Operation": ABSENT,
        },
        id="sts-logon",
    ),
    pytest.param(
        audit(
            Operation="Add user.",
            RecordType=8,
            ObjectId="user2@example.com",
            ModifiedProperties=[
                {"Name": "AccountEnabled", "NewValue": "[true]", "OldValue": "[]"},
                {"Name": "Display.Name", "NewValue": "User Two", "OldValue": ""},
            ],
            Parameters=[{"Name": "Identity", "Value": "user2"}, {"Name": "Force", "Value": None}],
        ),
        {
            "event.action": "added-user-account",
            "event.code": "AzureActiveDirectory",
            "event.category": ["web", "iam"],
            "event.type": ["info", "user", "creation"],
            "user.target.id": "user2@example.com",
            "user.target.name": "user2",
            "related.user": ["user1", "user2"],
            "o365.audit.ModifiedProperties": {
                "AccountEnabled": {"NewValue": "[true]", "OldValue": "[]"},
                "Display_Name": {"NewValue": "User Two", "OldValue": ""},
            },
            "o365.audit.Parameters": {"Identity": "user2"},
        },
        id="aad-add-user",
    ),
    pytest.param(
        audit(
            Operation="FileDownloaded",
            RecordType=6,
            Workload="SharePoint",
            ObjectId="https://example.sharepoint.com/sites/team/doc.pdf",
            SourceFileName="doc.pdf",
            SourceFileExtension="pdf",
            SourceRelativeUrl="sites/team",
            ResultStatus=None,
        ),
        {
            "event.code": "SharePointFileOperation",
            "event.category": ["web", "file"],
            "event.type": ["info", "access"],
            "event.outcome": "success",
            "url.original": "https://example.sharepoint.com/sites/team/doc.pdf",
            "file.name": "doc.pdf",
            "file.extension": "pdf",
            "file.directory": "sites/team",
            "o365.audit.ObjectId": ABSENT,
        },
        id="sharepoint-download",
    ),
    pytest.param(
        audit(
            Operation="Set-Mailbox",
            RecordType=1,
            Workload="Exchange",
            ResultStatus="False",
            ClientIP="[2001:db8::50]:51234",
        ),
        {
            "event.code": "ExchangeAdmin",
            "event.outcome": "failure",
            "client.ip": "2001:db8::50",
            "client.port": 51234,
            "source.port": 51234,
            "network.type": "ipv6",
        },
        id="exchange-admin-failure-ipv6-port",
    ),
    pytest.param(
        audit(
            Operation="AlertTriggered",
            RecordType=40,
            Workload="SecurityComplianceCenter",
            Name="Suspicious inbox forwarding",
            PolicyId="policy-1",
            Category="ThreatManagement",
            Comments="New alert",
            Severity="high",
        ),
        {
            "event.kind": "alert",
            "event.severity": 4,
            "rule.name": "Suspicious inbox forwarding",
            "rule.id": "policy-1",
            "rule.category": "ThreatManagement",
            "message": "New alert",
        },
        id="security-alert",
    ),
    pytest.param(
        audit(ResultStatus="PartiallySucceeded", UserId="ServicePrincipal_example"),
        {"event.outcome": "success", "user.id": "ServicePrincipal_example", "user.name": ABSENT},
        id="partial-success-and-non-mail-user",
    ),
]


@pytest.mark.parametrize(("given", "expected"), MAPPINGS)
def test_m365_audit_maps_record(given: dict[str, Any], expected: dict[str, Any]) -> None:
    (doc,) = normalize(given, "m365_audit", timezone="Europe/Paris")
    assert_fields(doc, expected)


@pytest.mark.parametrize(
    ("client_ip", "expected"),
    [
        ("198.51.100.7", {"client.ip": "198.51.100.7", "client.port": ABSENT}),
        ("198.51.100.7:443", {"client.ip": "198.51.100.7", "client.port": 443}),
        ("[198.51.100.7]", {"client.ip": "198.51.100.7"}),
        ("::ffff:198.51.100.7", {"client.ip": "198.51.100.7", "network.type": "ipv4"}),
        ("[::ffff:198.51.100.7]:443", {"client.ip": "198.51.100.7", "client.port": 443}),
        ("2001:db8::7", {"client.ip": "2001:db8::7", "network.type": "ipv6"}),
        ("[2001:db8::7]", {"client.ip": "2001:db8::7"}),
        ("mail.example.com", {"client.domain": "mail.example.com", "client.ip": ABSENT}),
        ("mail.example.com:25", {"client.domain": "mail.example.com", "client.port": 25}),
        (
            "mx.example.com (192.0.2.25)",
            {"client.domain": "mx.example.com", "client.ip": "192.0.2.25"},
        ),
        ("", {"client": ABSENT, "source": ABSENT}),
    ],
)
def test_m365_audit_reads_every_client_address_form(
    client_ip: str, expected: dict[str, Any]
) -> None:
    (doc,) = normalize(audit(ClientIP=client_ip), "m365_audit")
    assert_fields(doc, expected)


def test_m365_audit_batch_gives_one_document_per_record() -> None:
    docs = normalize([audit(Id="a"), audit(Id="b", Operation="MailItemsAccessed")], "m365_audit")
    assert [d["event"]["action"] for d in docs] == ["UserLoggedIn", "MailItemsAccessed"]


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        (json.dumps({"Operation": "UserLoggedIn"}), "no CreationTime"),
        (json.dumps({"CreationTime": "2026-12-01T10:07:00", "Workload": "Exchange"}), "Operation"),
        ("{", "not JSON"),
    ],
)
def test_m365_audit_rejects_what_is_no_audit_record(given: str, reason: str) -> None:
    assert reason in dead_letter(given, "m365_audit")


M365_KEYS = [
    "CreationTime",
    "Id",
    "Operation",
    "OrganizationId",
    "RecordType",
    "ResultStatus",
    "UserId",
    "Workload",
    "ClientIP",
    "ClientIPAddress",
    "ActorIpAddress",
    "ObjectId",
    "UserAgent",
    "ExtendedProperties",
    "Parameters",
    "ModifiedProperties",
    "Name",
    "Value",
    "NewValue",
    "OldValue",
    "Severity",
    "MailboxOwnerUPN",
    "SourceFileName",
    "Comments",
    "PolicyId",
]


@settings(max_examples=300, deadline=None)  # about 10 inputs per example
@given(records(M365_KEYS), st.text(max_size=200))
def test_m365_audit_hostile_input_gives_documents_or_a_parse_error(
    noise: dict[str, Any], text: str
) -> None:
    for hostile in variants(audit(), noise, text):
        parses_or_rejects(m365_audit.parse, hostile)
