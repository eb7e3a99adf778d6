"""Sigma ATT&CK tags → ECS ``threat``."""

from __future__ import annotations

from typing import Any

import pytest

from services.correlator.attack import TACTICS, threat_of

SITE = "https://attack.mitre.org"


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ([], {}),
        (["cve.2021-44228", "detection.threat-hunting", "attack"], {}),
        (
            ["attack.credential-access"],
            {
                "framework": "MITRE ATT&CK",
                "tactic": {
                    "id": ["TA0006"],
                    "name": ["Credential Access"],
                    "reference": [f"{SITE}/tactics/TA0006/"],
                },
            },
        ),
        (
            ["attack.t1110"],
            {
                "framework": "MITRE ATT&CK",
                "technique": {"id": ["T1110"], "reference": [f"{SITE}/techniques/T1110/"]},
            },
        ),
        (
            ["attack.t1548.003"],
            {
                "framework": "MITRE ATT&CK",
                "technique": {
                    "id": ["T1548"],
                    "reference": [f"{SITE}/techniques/T1548/"],
                    "subtechnique": {
                        "id": ["T1548.003"],
                        "reference": [f"{SITE}/techniques/T1548/003/"],
                    },
                },
            },
        ),
        (
            ["attack.g0016", "attack.s0002"],
            {
                "framework": "MITRE ATT&CK",
                "group": {"id": ["G0016"]},
                "software": {"id": ["S0002"]},
            },
        ),
    ],
)
def test_threat_of_maps_each_kind_of_tag(tags: list[str], expected: dict[str, Any]) -> None:
    assert threat_of(tags) == expected


@pytest.mark.parametrize(
    "tag",
    ["attack.privilege-escalation", "attack.privilege_escalation", "ATTACK.Privilege-Escalation",
     "attack.ta0004", " attack.privilege-escalation "],
)  # fmt: skip
def test_tactic_spellings_name_the_same_tactic(tag: str) -> None:
    assert threat_of([tag])["tactic"]["id"] == ["TA0004"]
    assert threat_of([tag])["tactic"]["name"] == ["Privilege Escalation"]


def test_lists_keep_tag_order_without_repeats() -> None:
    threat = threat_of(
        ["attack.persistence", "attack.t1136.001", "attack.privilege-escalation", "attack.t1136",
         "attack.t1078.003", "attack.persistence"]
    )  # fmt: skip
    assert threat["tactic"]["id"] == ["TA0003", "TA0004"]
    assert threat["technique"]["id"] == ["T1136", "T1078"]
    assert threat["technique"]["subtechnique"]["id"] == ["T1136.001", "T1078.003"]


@pytest.mark.parametrize(
    "tag", ["attack.t110", "attack.t1110.01", "attack.t1110.0011", "attack.ta9999"]
)
def test_malformed_attack_tags_are_ignored(tag: str) -> None:
    assert threat_of([tag]) == {}


def test_the_fourteen_enterprise_tactics_have_unique_ids() -> None:
    ids = [tactic_id for tactic_id, _ in TACTICS.values()]
    assert len(TACTICS) == 14 and len(set(ids)) == 14
    assert all(tactic_id.startswith("TA00") for tactic_id in ids)
