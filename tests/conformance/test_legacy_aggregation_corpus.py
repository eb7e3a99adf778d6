"""SigmaHQ's 45 legacy aggregation rules (``sel | count(...) by X > N``): each loads as a base rule
plus a correlation, or is refused with its listed reason; the failed-logon rules on the loghub
OpenSSH brute force.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pytest
import yaml

from services.correlator.legacy import base_id
from services.correlator.offline import OfflineDetection
from services.correlator.rules import load_rules
from tests.conftest import CORPUS

LEGACY = CORPUS / "sigma" / "correlation" / "sigmahq-legacy-aggregation"
OPENSSH = CORPUS / "syslog" / "loghub" / "OpenSSH" / "OpenSSH_2k.log"
NO_TIMEFRAME = "legacy aggregation without timeframe is not supported"
REFUSED = {  # file name -> reason: these rules have no timeframe (see legacy.py)
    name: NO_TIMEFRAME
    for name in (
        "azure_aad_secops_signin_failure_bad_password_threshold.yml",
        "lnx_auditd_cve_2021_3156_sudo_buffer_overflow.yml",
        "lnx_auditd_cve_2021_3156_sudo_buffer_overflow_brutforce.yml",
        "net_dns_c2_detection.yml",
        "posh_ps_cl_invocation_lolscript_count.yml",
        "posh_ps_cl_mutexverifiers_lolscript_count.yml",
        "proc_creation_win_correlation_dnscat2_powershell_implementation.yml",
        "win_security_susp_failed_logons_single_source.yml",
    )
}
UNROUTED = {"net_possible_dns_rebinding.yml": "product: dns",
            "modsec_mulitple_blocks.yml": "product: modsecurity"}  # fmt: skip
_AGGREGATION = re.compile(r"\|\s*(\w+)\((\w*)\)(?: by (\w+))? ([<>=]+) (\d+)$")
_TYPES = {("count", False): "event_count", ("count", True): "value_count"}
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def legacy_rules() -> list[Path]:
    return sorted(LEGACY.rglob("*.yml")) if LEGACY.is_dir() else []


def test_legacy_corpus_has_45_rules(corpus: Path) -> None:
    assert len(legacy_rules()) == 45


@pytest.mark.parametrize("path", legacy_rules(), ids=lambda p: p.name)
def test_legacy_rule_loads_or_is_refused_with_its_reason(corpus: Path, path: Path) -> None:
    ruleset = load_rules([path])
    document = yaml.safe_load(path.read_text())
    if path.name in REFUSED:
        assert ruleset.detections == [] and ruleset.correlations == []
        (error,) = ruleset.errors
        assert REFUSED[path.name] in error.reason and error.title == document["title"]
        return
    assert ruleset.errors == []
    (base,), (correlation,) = ruleset.detections, ruleset.correlations
    assert (base.meta.id, base.generate) == (base_id(document), False)
    assert correlation.meta.id == document["id"] and correlation.rules == (base.meta.id,)
    function, field, group, op, bound = _written(document["detection"]["condition"])
    assert correlation.type == _TYPES[function, bool(field)]
    assert dict(correlation.condition.bounds) == {op: bound}
    assert len(correlation.group_by) == (1 if group else 0)
    assert (correlation.condition.field is None) == (not field)
    timeframe = document["detection"]["timeframe"]
    assert correlation.timespan.total_seconds() == int(timeframe[:-1]) * _UNITS[timeframe[-1]]
    unrouted = UNROUTED.get(path.name)
    expected = [f"no route for logsource {unrouted}; the rule sees events of any {unrouted}"]
    assert [w.reason for w in ruleset.warnings] == (expected if unrouted else [])


def _written(condition: str) -> tuple[str, str, str | None, str, int]:
    """What the legacy condition says, read independently of the converter."""
    match = _AGGREGATION.search(condition)
    assert match is not None, condition
    function, field, group, op, bound = match.groups()
    ops = {">": "gt", ">=": "gte", "<": "lt", "<=": "lte"}
    return function, field, group, ops[op], int(bound)


@cache
def _openssh_alerts() -> dict[str, Counter[str]]:
    """Alert groups per legacy rule file, over the loghub OpenSSH sample."""
    detection = OfflineDetection(
        load_rules([LEGACY]), now=lambda: datetime(2026, 12, 31, tzinfo=UTC)
    )
    detection.run([OPENSSH], err=lambda line: None)
    alerts: dict[str, Counter[str]] = {}
    by_id = {yaml.safe_load(p.read_text())["id"]: p.name for p in legacy_rules()}
    for alert in detection.alerts:
        alerts.setdefault(by_id[alert.rule.id], Counter())[str(alert.group)] += 1
    return alerts


def test_legacy_linux_failed_logons_fire_on_the_loghub_brute_force(corpus: Path) -> None:
    """More than 3 user names in PAM authentication failures from one rhost within 24 h: in
    this sample 187.141.143.180 (root, mysql, git, ...) and 103.99.0.122 (root, uucp, sshd,
    ...); every other rhost tried at most 2 named users (or none: user unknown)."""
    alerts = _openssh_alerts()
    assert alerts.get("lnx_auth_susp_failed_logons_single_source.yml") == Counter({
        "{'source.ip': '187.141.143.180'}": 1, "{'source.ip': '103.99.0.122'}": 1,
    })  # fmt: skip
    assert set(alerts) == {"lnx_auth_susp_failed_logons_single_source.yml"}


def test_legacy_generic_brute_force_cannot_fire_on_sshd_logs(corpus: Path) -> None:
    """``count(category) by dst_ip > 30`` counts distinct ``category`` values per destination
    (Sigma v1's count(field)); sshd's own log has no destination.ip (the server is host.*), so
    no hit has a group, and every hit has event.category authentication, so one value, never 31.
    Its base rule does see the failures (category authentication routes; action → outcome)."""
    ruleset = load_rules([LEGACY / "deprecated" / "other" / "generic_brute_force.yml"])
    (_base,), (correlation,) = ruleset.detections, ruleset.correlations
    assert (correlation.type, correlation.group_by, correlation.condition.field) == (
        "value_count", ("destination.ip",), "event.category",
    )  # fmt: skip
    detection = OfflineDetection(ruleset, now=lambda: datetime(2026, 12, 31, tzinfo=UTC))
    summary = detection.run([OPENSSH], err=lambda line: None)
    assert detection.alerts == []
    assert summary.hits["hits_ungrouped"] > 30 and summary.hits["hits_accepted"] == 0
