"""Asset inventory per tenant and the risk score of an alert. Pure.

``load_assets(paths)`` reads YAML files (``tenant:`` and ``assets:``, a list of assets) and CSV
files (a header row; columns ``tenant, hostname, ips, owner, criticality, exposure,
vulnerabilities``, with ``ips`` separated by spaces or ``;`` and vulnerabilities as
``CVE-2024-0001:9.8;CVE-2023-0002:5.3``). Every file or row that cannot be used is an
``AssetError`` (path, reason) and is left out; nothing raises. ``AssetIndex.find(tenant, key)``
looks an asset up by hostname (case-insensitive) or IP address (any spelling of it) in O(1);
an asset of one tenant is never found for another; ``of_event`` finds the asset of an event.

``risk_score(level, criticality, exposure, confidence)`` = ``LEVEL_BASE[level] ×
CRITICALITY[criticality] × (0.5 + confidence / 200) + EXPOSURE_BONUS[exposure]``, capped to
0..100 and rounded to one decimal. No asset means criticality medium and exposure internal, no
indicator means confidence 100, so that it equals the plain risk of the level. It never
decreases when any argument rises (levels, criticalities and exposures in the order below).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from ipaddress import ip_address
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from schemas.alert import Level
from schemas.ecs import get_field

Criticality = Literal["low", "medium", "high", "critical"]
Exposure = Literal["internal", "internet"]

LEVEL_BASE: dict[str, float] = {
    "informational": 10.0, "low": 25.0, "medium": 50.0, "high": 75.0, "critical": 95.0,
}  # fmt: skip
CRITICALITY: dict[str, float] = {"low": 0.8, "medium": 1.0, "high": 1.2, "critical": 1.4}
EXPOSURE_BONUS: dict[str, float] = {"internal": 0.0, "internet": 10.0}


def risk_score(
    level: Level,
    criticality: Criticality = "medium",
    exposure: Exposure = "internal",
    confidence: int | None = None,
) -> float:
    trust = 1.0 if confidence is None else 0.5 + max(0, min(confidence, 100)) / 200
    score = LEVEL_BASE[level] * CRITICALITY[criticality] * trust + EXPOSURE_BONUS[exposure]
    return round(max(0.0, min(score, 100.0)), 1)


class Vulnerability(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    cve: str = Field(pattern=r"^CVE-\d{4}-\d{4,}$")
    cvss: float = Field(ge=0, le=10)


class Asset(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    hostname: str | None = None
    ips: list[str] = Field(default_factory=list)
    owner: str | None = None
    criticality: Criticality = "medium"
    exposure: Exposure = "internal"
    vulnerabilities: list[Vulnerability] = Field(default_factory=list)

    @field_validator("ips")
    @classmethod
    def _addresses(cls, ips: list[str]) -> list[str]:
        return [_ip(text) for text in ips]

    def summary(self) -> dict[str, Any]:
        """What an alert carries about the asset."""
        return self.model_dump(exclude_none=True)


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tenant: str = Field(min_length=1)
    assets: list[Asset]


@dataclass(frozen=True, slots=True)
class AssetError:
    path: str
    reason: str


@dataclass(slots=True)
class AssetIndex:
    by_key: dict[tuple[str, str], Asset] = field(default_factory=dict)
    errors: list[AssetError] = field(default_factory=list)

    def add(self, tenant: str, asset: Asset) -> None:
        keys = ([asset.hostname.lower()] if asset.hostname else []) + asset.ips
        for key in keys:
            self.by_key[(tenant, key)] = asset

    def find(self, tenant: str, key: str) -> Asset | None:
        """The tenant's asset of a hostname or IP address, or None."""
        found = self.by_key.get((tenant, key.lower()))
        if found is None and any(c in key for c in ".:"):
            try:
                found = self.by_key.get((tenant, _ip(key)))
            except ValueError:
                return None
        return found

    def of_event(self, tenant: str, doc: dict[str, Any]) -> Asset | None:
        """The asset an event is about: the first of ``ASSET_FIELDS`` (or list item) known."""
        for name in ASSET_FIELDS:
            value = get_field(doc, name)
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, str) and (asset := self.find(tenant, item)) is not None:
                    return asset
        return None


ASSET_FIELDS = ("host.name", "host.hostname", "host.ip", "destination.ip")  # in this order


def load_assets(paths: Sequence[str | Path]) -> AssetIndex:
    index = AssetIndex()
    for path in _files(paths, index):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            index.errors.append(AssetError(str(path), f"cannot read the file: {e}"))
            continue
        reader = read_csv if path.suffix == ".csv" else read_yaml
        reader(text, str(path), index)
    return index


def read_yaml(text: str, path: str, index: AssetIndex) -> None:
    try:
        documents = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as e:
        index.errors.append(AssetError(path, f"invalid YAML: {e}"))
        return
    for document in documents:
        try:
            spec = _File.model_validate(document)
        except ValidationError as e:
            index.errors.append(AssetError(path, _reasons(e)))
            continue
        for asset in spec.assets:
            index.add(spec.tenant, asset)


def read_csv(text: str, path: str, index: AssetIndex) -> None:
    for line, row in enumerate(csv.DictReader(io.StringIO(text)), 2):
        try:
            tenant, asset = _row(row)
        except (ValidationError, ValueError) as e:
            reason = _reasons(e) if isinstance(e, ValidationError) else str(e)
            index.errors.append(AssetError(f"{path}:{line}", reason))
            continue
        index.add(tenant, asset)


def _row(row: Mapping[str | Any, str | Any]) -> tuple[str, Asset]:
    cells = {k: v.strip() for k, v in row.items() if isinstance(k, str) and isinstance(v, str)}
    tenant = cells.pop("tenant", "")
    if not tenant:
        raise ValueError("tenant: a row needs a tenant")
    vulns = [v.split(":", 1) for v in cells.pop("vulnerabilities", "").split(";") if v.strip()]
    data: dict[str, Any] = {k: v for k, v in cells.items() if v}
    data["ips"] = cells.get("ips", "").replace(";", " ").split()
    data["vulnerabilities"] = [{"cve": v[0].strip(), "cvss": v[-1].strip()} for v in vulns]
    return tenant, Asset.model_validate(data)


def _files(paths: Sequence[str | Path], index: AssetIndex) -> Iterator[Path]:
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            suffixes = (".yml", ".yaml", ".csv")
            yield from sorted(p for p in path.rglob("*") if p.suffix in suffixes and p.is_file())
        elif path.is_file():
            yield path
        else:
            index.errors.append(AssetError(str(path), "no such file or directory"))


def _ip(text: str) -> str:
    """The one spelling of an address (IPv4-mapped IPv6 as IPv4); ValueError when none."""
    address = ip_address(text.strip())
    mapped = getattr(address, "ipv4_mapped", None)
    return str(mapped or address)


def _reasons(error: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
