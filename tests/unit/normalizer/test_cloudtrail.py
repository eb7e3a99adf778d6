"""AWS CloudTrail records → ECS, through the Normalizer as the HTTP ingest hands them over."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.normalizer.parsers import cloudtrail
from tests.unit.normalizer.factories import ABSENT, assert_fields
from tests.unit.normalizer.json_sources import (
    case_records,
    dead_letter,
    normalize,
    parses_or_rejects,
    records,
    variants,
)

ACCOUNT = "111122223333"
IAM_USER = {
    "type": "IAMUser",
    "principalId": "AIDAEXAMPLEID",
    "accountId": ACCOUNT,
    "arn": f"arn:aws:iam::{ACCOUNT}:user/alice",
    "userName": "alice",
}
ROLE_SESSION = {
    "type": "AssumedRole",
    "principalId": "AROAEXAMPLE:session-1",
    "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/Deployer/session-1",
    "accountId": ACCOUNT,
    "accessKeyId": "ASIAEXAMPLE",
    "sessionContext": {
        "attributes": {"mfaAuthenticated": "true", "creationDate": "2026-12-01T09:00:00Z"},
        "sessionIssuer": {
            "type": "Role",
            "principalId": "AROAEXAMPLE",
            "accountId": ACCOUNT,
            "arn": f"arn:aws:iam::{ACCOUNT}:role/Deployer",
            "userName": "Deployer",
        },
    },
}


def record(**fields: Any) -> dict[str, Any]:
    base = {
        "eventVersion": "1.08",
        "userIdentity": IAM_USER,
        "eventTime": "2026-12-01T10:00:00Z",
        "eventSource": "iam.amazonaws.com",
        "eventName": "ListUsers",
        "awsRegion": "eu-west-3",
        "sourceIPAddress": "198.51.100.23",
        "userAgent": "aws-cli/2.15.0",
        "requestParameters": None,
        "responseElements": None,
        "eventID": "00000000-0000-0000-0000-0000000000aa",
        "eventType": "AwsApiCall",
        "recipientAccountId": ACCOUNT,
    }
    return {**base, **fields}


def console_login(result: str, **fields: Any) -> dict[str, Any]:
    return record(
        eventSource="signin.amazonaws.com",
        eventName="ConsoleLogin",
        eventType="AwsConsoleSignIn",
        responseElements={"ConsoleLogin": result},
        additionalEventData={"LoginTo": "https://console.aws.example.com/", "MFAUsed": "No"},
        **fields,
    )


MAPPINGS = [
    pytest.param(
        record(),
        {
            "@timestamp": "2026-12-01T10:00:00Z",
            "event.kind": "event",
            "event.module": "aws",
            "event.dataset": "aws.cloudtrail",
            "event.action": "ListUsers",
            "event.provider": "iam.amazonaws.com",
            "event.category": ["iam"],
            "event.type": ["user", "info"],
            "event.outcome": "success",
            "user.name": "alice",
            "user.id": "AIDAEXAMPLEID",
            "cloud.account.id": ACCOUNT,
            "cloud.region": "eu-west-3",
            "source.address": "198.51.100.23",
            "source.ip": "198.51.100.23",
            "user_agent.original": "aws-cli/2.15.0",
            "related.user": ["alice"],
            "aws.cloudtrail.event_id": "00000000-0000-0000-0000-0000000000aa",
            "aws.cloudtrail.event_type": "AwsApiCall",
            "aws.cloudtrail.recipient_account_id": ACCOUNT,
            "aws.cloudtrail.user_identity.type": "IAMUser",
            "aws.cloudtrail.request_parameters": ABSENT,  # null in the record
        },
        id="api-call-success",
    ),
    pytest.param(
        console_login("Success"),
        {
            "event.category": ["authentication"],
            "event.type": ["info"],
            "event.outcome": "success",
            "aws.cloudtrail.response_elements.ConsoleLogin": "Success",
            "aws.cloudtrail.flattened.response_elements.ConsoleLogin": "Success",
            "aws.cloudtrail.flattened.additional_eventdata.MFAUsed": "No",
            "aws.cloudtrail.console_login.additional_eventdata.mfa_used": False,
            "aws.cloudtrail.console_login.additional_eventdata.login_to": (
                "https://console.aws.example.com/"
            ),
        },
        id="console-login-success",
    ),
    pytest.param(
        # The sign-in API call itself succeeds: only responseElements tells the failure.
        console_login("Failure"),
        {"event.outcome": "failure", "aws.cloudtrail.error_message": ABSENT},
        id="console-login-failure-without-error-message",
    ),
    pytest.param(
        record(
            eventName="DeleteBucket",
            eventSource="s3.amazonaws.com",
            errorCode="AccessDenied",
            errorMessage="Access Denied",
            requestParameters={"bucketName": "logs-example"},
        ),
        {
            "event.outcome": "failure",
            "event.category": ["file"],
            "event.type": ["deletion"],
            "aws.cloudtrail.error_code": "AccessDenied",
            "aws.cloudtrail.error_message": "Access Denied",
            "aws.cloudtrail.request_parameters": "{bucketName=logs-example}",
            "aws.cloudtrail.flattened.request_parameters.bucketName": "logs-example",
        },
        id="api-call-error",
    ),
    pytest.param(
        record(
            userIdentity=ROLE_SESSION, eventName="RunInstances", eventSource="ec2.amazonaws.com"
        ),
        {
            "user.name": "Deployer",  # the role that issued the session
            "user.id": "AROAEXAMPLE:session-1",
            "event.category": ABSENT,
            "event.type": ["info"],
            "related.user": ABSENT,
            "aws.cloudtrail.user_identity.access_key_id": "ASIAEXAMPLE",
            "aws.cloudtrail.user_identity.session_context.mfa_authenticated": "true",
            "aws.cloudtrail.user_identity.session_context.creation_date": "2026-12-01T09:00:00Z",
            "aws.cloudtrail.user_identity.session_context.session_issuer.arn": (
                f"arn:aws:iam::{ACCOUNT}:role/Deployer"
            ),
        },
        id="assumed-role",
    ),
    pytest.param(
        record(
            sourceIPAddress="ec2.amazonaws.com",
            userIdentity={"type": "AWSService", "invokedBy": "ec2.amazonaws.com"},
        ),
        {
            "source.address": "ec2.amazonaws.com",
            "source.ip": ABSENT,
            "user.name": ABSENT,
            "aws.cloudtrail.user_identity.invoked_by": "ec2.amazonaws.com",
        },
        id="service-caller-has-no-ip",
    ),
    pytest.param(
        record(sourceIPAddress="2001:db8::17"),
        {"source.address": "2001:db8::17", "source.ip": "2001:db8::17"},
        id="ipv6-caller",
    ),
    pytest.param(
        record(
            eventName="CreateUser",
            requestParameters={"userName": "bob"},
            responseElements={"user": {"userName": "bob", "userId": "AIDANEWUSER"}},
        ),
        {
            "event.category": ["iam"],
            "event.type": ["user", "creation"],
            "user.target.name": "bob",
            "user.target.id": "AIDANEWUSER",
            "related.user": ["alice", "bob"],
            "aws.cloudtrail.response_elements.user.userId": "AIDANEWUSER",
        },
        id="iam-create-user",
    ),
    pytest.param(
        record(
            tlsDetails={
                "tlsVersion": "TLSv1.3",
                "cipherSuite": "TLS_AES_128_GCM_SHA256",
                "clientProvidedHostHeader": "iam.amazonaws.com",
            },
            resources=[
                {"ARN": "arn:aws:s3:::logs-example", "accountId": ACCOUNT},
                {"ARN": "arn:aws:s3:::logs-example", "accountId": ACCOUNT},
            ],
        ),
        {
            "tls.version": "1.3",
            "tls.version_protocol": "tls",
            "tls.cipher": "TLS_AES_128_GCM_SHA256",
            "tls.client.server_name": "iam.amazonaws.com",
            "aws.cloudtrail.resources": [
                {"arn": "arn:aws:s3:::logs-example", "account_id": ACCOUNT}
            ],
        },
        id="tls-and-duplicate-resources",
    ),
]


@pytest.mark.parametrize(("given", "expected"), MAPPINGS)
def test_cloudtrail_maps_record(given: dict[str, Any], expected: dict[str, Any]) -> None:
    (doc,) = normalize(given, "cloudtrail")
    assert_fields(doc, expected)


@pytest.mark.parametrize(
    ("given", "expected"), case_records("cloudtrail-consolelogin-failure", "cloudtrail")
)
def test_cloudtrail_bug_report_case(given: dict[str, Any], expected: dict[str, Any]) -> None:
    (doc,) = normalize(given, "cloudtrail")
    assert_fields(doc, expected)
    # The case's note: the same record saying Success, without errorMessage, is a success.
    success = {k: v for k, v in given.items() if k != "errorMessage"}
    (doc,) = normalize({**success, "responseElements": {"ConsoleLogin": "Success"}}, "cloudtrail")
    assert doc["event"]["outcome"] == "success"


def test_cloudtrail_log_file_gives_one_document_per_record() -> None:
    records = [record(eventName=f"Event{n}") for n in range(3)]
    for text in (
        json.dumps({"Records": records}),
        json.dumps(records),
        "\n".join(json.dumps(r) for r in records),
    ):
        docs = normalize(text, "cloudtrail")
        assert [d["event"]["action"] for d in docs] == ["Event0", "Event1", "Event2"]
        assert len({d["event"]["id"] for d in docs}) == 3


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ("not json at all", "not JSON"),
        ('{"Records": []}', "empty batch"),
        ("[1, 2]", "record 1 is a JSON number"),
        (json.dumps({"awsRegion": "eu-west-3"}), "no CloudTrail event"),
        ('{"eventName": ' + '{"a": ' * 80 + "1" + "}" * 81, "nests deeper"),
    ],
)
def test_cloudtrail_rejects_what_is_no_cloudtrail_record(given: str, reason: str) -> None:
    assert reason in dead_letter(given, "cloudtrail")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        # String.hashCode: "a"=97, "b"=98, "c"=99 fall in buckets 1, 2, 3 whatever the order.
        ({"c": 1, "b": 2, "a": 3}, "{a=3, b=2, c=1}"),
        # "Aa" and "BB" share one hash (2112): one bucket, kept in insertion order.
        ({"BB": 1, "Aa": 2}, "{BB=1, Aa=2}"),
        # "q" (113) and "a" (97) share bucket 1 of 16 but not of 32 (13 keys resize the table),
        # and keys dropped as null still counted when the table was sized.
        ({"q": 1, "a": 2}, "{q=1, a=2}"),
        ({"q": 1, "a": 2, **{f"k{n}": None for n in range(11)}}, "{a=2, q=1}"),
        ({"x": [1, True, 2.5, {"y": None}, ""], "z": {}}, "{x=[1, true, 2.5]}"),
        ({"big": 1e7, "small": 1.5e-05, "whole": 20.0}, "{small=1.5E-5, big=1.0E7, whole=20.0}"),
        ({"n": None}, None),
    ],
)
def test_cloudtrail_java_text_matches_elastic(value: dict[str, Any], text: str | None) -> None:
    assert cloudtrail.java_text(value) == text


CLOUDTRAIL_KEYS = [
    "eventVersion",
    "userIdentity",
    "eventTime",
    "eventSource",
    "eventName",
    "awsRegion",
    "sourceIPAddress",
    "userAgent",
    "errorCode",
    "errorMessage",
    "requestParameters",
    "responseElements",
    "additionalEventData",
    "serviceEventDetails",
    "resources",
    "tlsDetails",
    "eventID",
    "Records",
    "sessionContext",
    "sessionIssuer",
    "ConsoleLogin",
    "userName",
]


@settings(max_examples=300, deadline=None)  # about 10 inputs per example
@given(records(CLOUDTRAIL_KEYS), st.text(max_size=200))
def test_cloudtrail_hostile_input_gives_documents_or_a_parse_error(
    noise: dict[str, Any], text: str
) -> None:
    for hostile in variants(console_login("Failure", userIdentity=ROLE_SESSION), noise, text):
        parses_or_rejects(cloudtrail.parse, hostile)
