"""Asset inventory: loading, lookup per tenant, the risk formula, and alerts carrying the asset."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from services.correlator.assets import (
    CRITICALITY,
    EXPOSURE_BONUS,
    LEVEL_BASE,
    AssetIndex,
    load_assets,
    read_csv,
    read_yaml,
    risk_score,
)
from services.correlator.core import RISK_SCORES, Correlator
from services.correlator.model import RuleSet
from services.correlator.state import MemoryState
from tests.unit.correlator.factories import detection, event

YAML = """
tenant: acme
assets:
  - hostname: DB1.example.com
    ips: [192.0.2.10, "2001:db8::10"]
    owner: dba@example.com
    criticality: critical
    exposure: internet
    vulnerabilities: [{cve: CVE-2024-0001, cvss: 9.8}]
  - hostname: ws7.example.com
    criticality: low
"""
CSV = """tenant,hostname,ips,owner,criticality,exposure,vulnerabilities
globex,db1.example.com,198.51.100.10;198.51.100.11,ops@example.com,high,internal,CVE-2023-0002:5.3
globex,bad.example.com,,,severe,internal,
,x.example.com,,,low,internal,
"""


def index() -> AssetIndex:
    found = AssetIndex()
    read_yaml(YAML, "acme.yml", found)
    read_csv(CSV, "globex.csv", found)
    return found


@pytest.mark.parametrize(
    ("tenant", "key", "owner"),
    [
        ("acme", "db1.example.com", "dba@example.com"),
        ("acme", "DB1.EXAMPLE.COM", "dba@example.com"),
        ("acme", "192.0.2.10", "dba@example.com"),
        ("acme", "2001:DB8:0::10", "dba@example.com"),  # another spelling of the address
        ("acme", "::ffff:192.0.2.10", "dba@example.com"),
        ("globex", "db1.example.com", "ops@example.com"),  # same hostname, other tenant
        ("globex", "198.51.100.11", "ops@example.com"),
        ("globex", "192.0.2.10", None),  # acme's address is not globex's
        ("acme", "ws7.example.com", None),  # known, without an owner
        ("acme", "nosuch.example.com", None),
        ("acme", "192.0.2.99", None),
    ],
)
def test_lookup_by_hostname_or_ip_per_tenant(tenant: str, key: str, owner: str | None) -> None:
    asset = index().find(tenant, key)
    assert (asset.owner if asset else None) == owner
    if key.startswith("ws7"):
        assert asset is not None and asset.criticality == "low"


def test_unusable_rows_and_files_are_errors_with_their_place(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text(CSV)
    (tmp_path / "b.yml").write_text("tenant: acme\nassets: [{hostname: x, ips: [not-an-ip]}]\n")
    loaded = load_assets([tmp_path, tmp_path / "absent.yml"])
    reasons = {e.path: e.reason for e in loaded.errors}
    assert "criticality" in reasons[f"{tmp_path / 'a.csv'}:3"]
    assert "tenant" in reasons[f"{tmp_path / 'a.csv'}:4"]
    assert "ips" in reasons[str(tmp_path / "b.yml")]
    assert reasons[str(tmp_path / "absent.yml")] == "no such file or directory"
    assert loaded.find("globex", "198.51.100.10") is not None


@pytest.mark.parametrize(
    ("args", "score"),
    [
        (("medium",), 50.0),
        (("high", "critical", "internet", None), 100.0),  # 75 × 1.4 + 10, capped
        (("high", "high", "internet", None), 100.0),
        (("medium", "high", "internet", None), 70.0),
        (("low", "low", "internal", None), 20.0),
        (("high", "medium", "internal", 0), 37.5),
        (("high", "medium", "internal", 50), 56.2),
    ],
)
def test_risk_formula(args: tuple[Any, ...], score: float) -> None:
    assert risk_score(*args) == score


def test_risk_never_decreases_when_an_argument_rises() -> None:
    axes: list[list[Any]] = [
        list(LEVEL_BASE), list(CRITICALITY), list(EXPOSURE_BONUS), [0, 30, 60, 100]
    ]  # fmt: skip

    def score(point: Sequence[int]) -> float:
        return risk_score(*(axis[i] for axis, i in zip(axes, point, strict=True)))

    for point in itertools.product(*(range(len(axis)) for axis in axes)):
        assert 0 <= score(point) <= 100
        for a in range(len(axes)):
            if point[a] + 1 < len(axes[a]):
                up = [*point[:a], point[a] + 1, *point[a + 1 :]]
                assert score(up) >= score(point), (point, a)
    plain = [risk_score(level) for level in axes[0]]
    assert plain == [RISK_SCORES[level] for level in axes[0]]


def test_alerts_carry_the_asset_and_its_risk() -> None:
    correlator = Correlator(
        RuleSet(detections=[detection("sudo", level="high")]), state=MemoryState(), assets=index()
    )
    [known] = correlator.feed(event("acme", "e1", "10:00:00", ("sudo",), host__ip=["192.0.2.10"]))
    assert known.asset["owner"] == "dba@example.com"
    assert known.asset["vulnerabilities"] == [{"cve": "CVE-2024-0001", "cvss": 9.8}]
    assert known.risk_score == 100.0
    [other] = correlator.feed(event("globex", "e2", "10:00:00", ("sudo",), host__ip="192.0.2.10"))
    assert (other.asset, other.risk_score) == ({}, 75.0)
