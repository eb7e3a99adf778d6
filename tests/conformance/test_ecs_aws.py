"""AWS CloudTrail through Normalizer.handle: Elastic's aws.cloudtrail output, record by record,
and the corpus Sigma CloudTrail rules run on Vigie's documents (each sees the fields it tests).

Counting: the corpus file holds one CloudTrail record per line, each sent as one RawEvent, and
each must give exactly one ECS document.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from schemas.dlq import DeadLetter
from schemas.ecs import EcsEvent
from services.correlator.model import RuleSet
from services.correlator.rules import load_rules
from services.normalizer.core import Normalizer
from tests.conformance.ecs_compare import Pair, assert_conforms, pairs_in
from tests.conftest import CORPUS
from tests.unit.normalizer.factories import raw_event
from tests.unit.normalizer.test_cloudtrail import ROLE_SESSION, console_login, record

FOLDER = "aws/cloudtrail"
PAIRS = CORPUS / "ecs-expected" / FOLDER


@pytest.mark.parametrize("pair", pairs_in(FOLDER), ids=lambda pair: pair.source)
def test_ecs_aws_cloudtrail_matches_elastic(corpus: Path, pair: Pair) -> None:
    assert_conforms(FOLDER, pair)


def test_ecs_aws_cloudtrail_corpus_records_are_all_accounted_for(corpus: Path) -> None:
    lines = [
        line
        for path in sorted(PAIRS.glob("test-*.log"))
        for line in path.read_text().splitlines()
        if line.strip()
    ]
    outputs = [
        Normalizer().handle(raw_event(line, id=f"ct-{n}", format="cloudtrail"))
        for n, line in enumerate(lines)
    ]
    events = [o for out in outputs for o in out if isinstance(o, EcsEvent)]
    letters = [o for out in outputs for o in out if isinstance(o, DeadLetter)]
    assert len(events) + len(letters) == len(lines) > 0
    assert letters == [], [letter.error for letter in letters]
    # The Sigma console-login rules key on these: each record says how the sign-in went.
    assert [e.doc["event"]["outcome"] for e in events] == ["success", "failure", "failure"]
    assert all(e.doc["@timestamp"] != e.doc["event"]["ingested"] for e in events)


RULES = CORPUS / "sigma" / "rules" / "cloud" / "aws" / "cloudtrail"
RULE_HITS = [  # a record of each kind the CloudTrail rules describe, and the rules it must fire
    (record(eventName="DeleteBucket", eventSource="s3.amazonaws.com"), ["AWS Bucket Deleted"]),
    (
        record(eventName="DeleteBucket", eventSource="s3.amazonaws.com", errorCode="AccessDenied"),
        [],
    ),
    (
        record(
            eventName="UpdateDetector",
            eventSource="guardduty.amazonaws.com",
            requestParameters={"detectorId": "d-1", "enable": False},
        ),
        ["AWS GuardDuty Detector Deleted Or Updated"],
    ),
    (
        record(userIdentity={"type": "Root", "arn": "arn:aws:iam::111122223333:root"}),
        ["AWS Root Credentials"],
    ),
    (record(userIdentity=ROLE_SESSION), ["AWS STS AssumeRole Misuse"]),
    (
        record(
            eventSource="sts.amazonaws.com", eventName="GetCallerIdentity", userAgent="TruffleHog"
        ),
        ["AWS STS GetCallerIdentity Enumeration Via TruffleHog"],
    ),
    (
        record(eventName="UpdateLoginProfile", requestParameters={"userName": "bob"}),
        ["AWS User Login Profile Was Modified"],
    ),
    (
        record(
            eventSource="iam.amazonaws.com",
            eventName="CreateAccessKey",
            responseElements={"accessKey": {"userName": "bob"}},
        ),
        ["AWS IAM Backdoor Users Keys"],
    ),
    (
        record(eventName="ListBuckets", eventSource="s3.amazonaws.com"),
        ["Potential Bucket Enumeration on AWS"],
    ),
    (console_login("Success"), ["AWS Successful Console Login Without MFA"]),
]


@pytest.fixture(scope="module")
def cloudtrail_rules(corpus: Path) -> RuleSet:
    ruleset = load_rules([RULES])
    assert ruleset.errors == [] and len(ruleset.detections) >= 14
    return ruleset


@pytest.mark.parametrize(("given", "titles"), RULE_HITS)
def test_ecs_aws_cloudtrail_rules_see_the_fields_they_test(
    cloudtrail_rules: RuleSet, given: dict[str, Any], titles: list[str]
) -> None:
    (output,) = Normalizer().handle(raw_event(json.dumps(given), format="cloudtrail"))
    assert isinstance(output, EcsEvent), output
    fired = [rule.meta.title for rule in cloudtrail_rules.detections if rule.matches(output.doc)]
    assert sorted(fired) == titles
