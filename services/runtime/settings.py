"""Settings: one YAML file (``--config`` or ``VIGIE_CONFIG``) overlaid by ``VIGIE_*`` env vars.

Nested keys use a double underscore in env vars, e.g. ``VIGIE_BUS__URL=kafka://127.0.0.1:9092``.
Settings are frozen and loaded once in ``main()``; sections are passed down to each service.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from schemas.alert import Level


class Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class StoreSettings(Section):
    dsn: str = ""


class BusSettings(Section):
    url: str = "memory://"
    queue_size: int = Field(default=10_000, ge=1)
    partitions: int = Field(default=3, ge=1)
    replication_factor: int = Field(default=1, ge=1)
    retention_hours: int = Field(default=168, ge=1)


class ApiSettings(Section):
    listen: str = "127.0.0.1:8000"
    cursor_secret: str = ""
    page_limit: int = Field(default=100, ge=1, le=1000)


class OpsSettings(Section):
    """Where a service without its own HTTP API serves /metrics, /healthz and /readyz."""

    listen: str = ""


class RulesSettings(Section):
    sigma: list[str] = Field(default_factory=list)
    pipeline: str | None = None
    # per-tenant tuning files or folders (``services/correlator/tuning.py``); none: no tuning
    tuning: list[str] = Field(default_factory=list)


class SyslogListener(Section):
    """A syslog listener; ``tls`` (RFC 5425) needs ``cert`` and ``key``.

    With ``client_ca`` a TLS listener requires and verifies client certificates; with
    ``client_tenants`` (certificate CN or SAN DNS name → tenant id) the certificate decides the
    tenant of the connection and a certificate outside the map is refused.
    """

    transport: Literal["udp", "tcp", "tls"]
    listen: str
    source: str | None = None
    format: str = "syslog"
    timezone: str = "UTC"
    cert: str | None = None
    key: str | None = None
    client_ca: str | None = None
    client_tenants: dict[str, str] = Field(default_factory=dict)

    @property
    def source_name(self) -> str:
        return self.source or f"syslog-{self.transport}:{self.listen}"

    @model_validator(mode="after")
    def _tls_fields(self) -> SyslogListener:
        if self.transport != "tls":
            if self.cert or self.key or self.client_ca or self.client_tenants:
                raise ValueError("cert, key, client_ca and client_tenants apply to tls only")
        elif not (self.cert and self.key):
            raise ValueError("a tls listener needs cert and key")
        elif self.client_tenants and not self.client_ca:
            # Only a certificate verified against a CA may name a tenant.
            raise ValueError("client_tenants needs client_ca")
        return self


class SharedListener(SyslogListener):
    """A listener of several tenants: the peer address (``peers``: CIDR → tenant id) or the
    TLS client certificate (``client_tenants``) decides the tenant; exactly one of the two."""

    peers: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_map(self) -> SharedListener:
        if bool(self.peers) == bool(self.client_tenants):
            raise ValueError("a shared listener needs either peers or client_tenants (not both)")
        return self


class RateLimit(Section):
    """Token bucket: ``events_per_second`` sustained, ``burst`` events at once."""

    events_per_second: float = Field(gt=0)
    burst: int = Field(ge=1)


class HttpSource(Section):
    """An HTTP ingest source: its bearer tokens (SHA-256, hex) decide tenant, source and format
    (a normalizer ``PARSERS`` key such as ``okta`` or ``suricata``: no default, JSON has many)."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,62}$")
    format: str
    tokens_sha256: list[str] = Field(min_length=1)

    @field_validator("tokens_sha256")
    @classmethod
    def _hex_digests(cls, digests: list[str]) -> list[str]:
        if any(len(d) != 64 or d.strip("0123456789abcdefABCDEF") for d in digests):
            raise ValueError("tokens_sha256 holds SHA-256 digests in hex (64 characters)")
        return [d.lower() for d in digests]


class SourceQuality(Section):
    """Log-quality settings of one source of a tenant; listing a source here also tells that
    it is expected to send. ``silence_after_seconds`` overrides the learned silence threshold."""

    silence_after_seconds: int | None = Field(default=None, ge=1)


class TenantSettings(Section):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")
    name: str | None = None
    syslog: list[SyslogListener] = Field(default_factory=list)
    http_sources: list[HttpSource] = Field(default_factory=list)
    rate_limit: RateLimit | None = None
    api_keys_sha256: list[str] = Field(default_factory=list)
    retention_days: int = Field(default=365, ge=1, le=3650)
    disabled_rules: list[str] = Field(default_factory=list)
    sources: dict[str, SourceQuality] = Field(default_factory=dict)


class CollectorSettings(Section):
    max_record_bytes: int = Field(default=64 * 1024, ge=256)
    max_connections: int = Field(default=1024, ge=1)
    # HTTP ingest; an empty address disables it.
    http_listen: str = ""
    http_max_body_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)
    http_max_decoded_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)
    http_max_concurrent: int = Field(default=8, ge=1)
    http_max_items: int = Field(default=10_000, ge=1)
    # A TCP/TLS syslog connection that sends nothing for this long is closed, so idle sockets
    # cannot hold a listener's connection slots for ever.
    idle_timeout_seconds: float = Field(default=600.0, gt=0)
    http_publish_timeout_seconds: float = Field(default=2.0, gt=0)


class NormalizerSettings(Section):
    default_timezone: str = "UTC"


class CorrelatorSettings(Section):
    max_event_ids: int = Field(default=1000, ge=1)
    allowed_lateness_seconds: int = Field(default=60, ge=0)


class IntelFile(Section):
    """A threat-intelligence file or folder (its *.json and *.csv files) and how to read it;
    ``tenant`` None makes its indicators global. See ``services/correlator/intel.py``."""

    path: str
    format: Literal["auto", "stix", "misp", "csv"] = "auto"
    tenant: str | None = None
    feed: str | None = None
    confidence: int | None = Field(default=None, ge=0, le=100)
    valid_days: float | None = Field(default=None, gt=0)

    @model_validator(mode="before")
    @classmethod
    def _bare_path(cls, data: Any) -> Any:
        return {"path": data} if isinstance(data, str) else data


class IntelSettings(Section):
    """Threat intelligence in the correlator process: files loaded at start and reloaded when
    they change (checked every ``reload_seconds``), and the deduplication window of its alerts."""

    files: list[IntelFile] = Field(default_factory=list)
    reload_seconds: float = Field(default=30.0, gt=0)
    dedup_window_seconds: int = Field(default=3600, ge=1)


class AssetSettings(Section):
    """Asset inventory files or folders (YAML or CSV, see ``services/correlator/assets.py``)."""

    files: list[str] = Field(default_factory=list)


class ResponderSettings(Section):
    playbooks: list[str] = Field(default_factory=list)
    adapters: dict[str, dict[str, Any]] = Field(default_factory=dict)


class QualitySettings(Section):
    """Log-quality monitoring in the API process (rule in ``services/api/quality.py``).

    Every ``interval_seconds`` a source silent for longer than its threshold raises an alert of
    ``level``. The threshold is the source's ``silence_after_seconds`` when configured, else
    ``max(min_silence_seconds, gap_factor x its median gap between active minutes over the last
    learning_hours)`` once ``min_gaps`` gaps are known, else ``default_silence_seconds``.
    """

    interval_seconds: float = Field(default=60.0, gt=0)
    level: Level = "medium"
    min_silence_seconds: int = Field(default=300, ge=1)
    gap_factor: float = Field(default=10.0, gt=0)
    min_gaps: int = Field(default=3, ge=1)
    default_silence_seconds: int = Field(default=3600, ge=1)
    learning_hours: int = Field(default=24, ge=1, le=24 * 31)
    skew_window_seconds: int = Field(default=3600, ge=60)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="VIGIE_", env_nested_delimiter="__", frozen=True, extra="forbid"
    )

    data_dir: Path = Path("var")
    log_level: str = "INFO"
    store: StoreSettings = StoreSettings()
    bus: BusSettings = BusSettings()
    api: ApiSettings = ApiSettings()
    ops: OpsSettings = OpsSettings()
    rules: RulesSettings = RulesSettings()
    tenants: list[TenantSettings] = Field(default_factory=list)
    shared_listeners: list[SharedListener] = Field(default_factory=list)
    analyst_keys_sha256: list[str] = Field(default_factory=list)
    collector: CollectorSettings = CollectorSettings()
    normalizer: NormalizerSettings = NormalizerSettings()
    correlator: CorrelatorSettings = CorrelatorSettings()
    assets: AssetSettings = AssetSettings()
    responder: ResponderSettings = ResponderSettings()
    intel: IntelSettings = IntelSettings()
    quality: QualitySettings = QualitySettings()

    @field_validator("tenants")
    @classmethod
    def _unique_tenants(cls, tenants: list[TenantSettings]) -> list[TenantSettings]:
        ids = [t.id for t in tenants]
        if len(ids) != len(set(ids)):
            raise ValueError("tenant ids must be unique")
        return tenants

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment wins over the YAML file, which arrives as init kwargs.
        return (env_settings, init_settings)

    @classmethod
    def load(cls, path: str | Path | None = None) -> Settings:
        """Read the YAML file named by ``path`` or ``VIGIE_CONFIG`` (none: defaults + env)."""
        path = path or os.environ.get("VIGIE_CONFIG")
        data: dict[str, Any] = {}
        if path:
            loaded = yaml.safe_load(Path(path).read_text())
            if loaded is not None and not isinstance(loaded, dict):
                raise ValueError(f"{path}: the top level must be a mapping")
            data = loaded or {}
        return cls(**data)

    @property
    def store_dsn(self) -> str:
        return self.store.dsn or f"chdb:///{(self.data_dir / 'store').resolve().as_posix().lstrip('/')}"

    def tenant(self, tenant_id: str) -> TenantSettings | None:
        return next((t for t in self.tenants if t.id == tenant_id), None)
