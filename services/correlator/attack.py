"""Sigma ATT&CK tags → the ECS ``threat`` object of an alert (MITRE ATT&CK Enterprise).

``threat_of(tags)`` reads the ``attack.*`` tags of a rule, case-insensitively, and returns the
content of ECS ``threat`` (``{}`` when no tag is an ATT&CK tag):

- ``attack.<tactic>`` (``credential-access`` or ``credential_access``) or ``attack.ta0006`` →
  ``tactic.id``, ``tactic.name``, ``tactic.reference`` (the 14 Enterprise tactics, ``TACTICS``);
- ``attack.t1110`` → ``technique.id``/``reference``; ``attack.t1110.001`` → also
  ``technique.subtechnique.id``/``reference``, and its parent ``T1110`` in ``technique.id``;
- ``attack.g0016`` → ``group.id``, ``attack.s0002`` → ``software.id``;
- ``framework: "MITRE ATT&CK"``. Technique names are not shipped (ids only). Unknown tags are
  ignored. Lists keep the order of the tags, without repeats.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

FRAMEWORK = "MITRE ATT&CK"
_SITE = "https://attack.mitre.org"

# slug → (id, name), in the order of the Enterprise matrix.
TACTICS: dict[str, tuple[str, str]] = {
    "reconnaissance": ("TA0043", "Reconnaissance"),
    "resource-development": ("TA0042", "Resource Development"),
    "initial-access": ("TA0001", "Initial Access"),
    "execution": ("TA0002", "Execution"),
    "persistence": ("TA0003", "Persistence"),
    "privilege-escalation": ("TA0004", "Privilege Escalation"),
    "defense-evasion": ("TA0005", "Defense Evasion"),
    "credential-access": ("TA0006", "Credential Access"),
    "discovery": ("TA0007", "Discovery"),
    "lateral-movement": ("TA0008", "Lateral Movement"),
    "collection": ("TA0009", "Collection"),
    "command-and-control": ("TA0011", "Command and Control"),
    "exfiltration": ("TA0010", "Exfiltration"),
    "impact": ("TA0040", "Impact"),
}
_TACTIC_BY_ID = {tactic_id.lower(): (tactic_id, name) for tactic_id, name in TACTICS.values()}

_TECHNIQUE = re.compile(r"t(\d{4})(?:\.(\d{3}))?")
_GROUP = re.compile(r"g\d{4}")
_SOFTWARE = re.compile(r"s\d{4}")


def _add(bucket: dict[str, list[str]], **values: str) -> None:
    for key, value in values.items():
        if value not in bucket.setdefault(key, []):
            bucket[key].append(value)


def _tactic(name: str) -> tuple[str, str] | None:
    return TACTICS.get(name.replace("_", "-")) or _TACTIC_BY_ID.get(name)


def _technique(
    match: re.Match[str], technique: dict[str, list[str]], sub: dict[str, list[str]]
) -> None:
    parent = f"T{match[1]}"
    _add(technique, id=parent, reference=f"{_SITE}/techniques/{parent}/")
    if match[2]:
        _add(sub, id=f"{parent}.{match[2]}", reference=f"{_SITE}/techniques/{parent}/{match[2]}/")


def threat_of(tags: Iterable[str]) -> dict[str, Any]:
    """The ECS ``threat`` object for a rule's tags (empty when none names ATT&CK)."""
    tactic: dict[str, list[str]] = {}
    technique: dict[str, list[str]] = {}
    sub: dict[str, list[str]] = {}
    group: dict[str, list[str]] = {}
    software: dict[str, list[str]] = {}
    for tag in tags:
        namespace, _, name = tag.strip().lower().partition(".")
        if namespace != "attack" or not name:
            continue
        if found := _tactic(name):
            _add(tactic, id=found[0], name=found[1], reference=f"{_SITE}/tactics/{found[0]}/")
        elif match := _TECHNIQUE.fullmatch(name):
            _technique(match, technique, sub)
        elif _GROUP.fullmatch(name):
            _add(group, id=name.upper())
        elif _SOFTWARE.fullmatch(name):
            _add(software, id=name.upper())
    if sub:
        technique["subtechnique"] = sub
    parts = {"tactic": tactic, "technique": technique, "group": group, "software": software}
    threat: dict[str, Any] = {key: value for key, value in parts.items() if value}
    return {"framework": FRAMEWORK, **threat} if threat else {}
