"""Settings: one YAML file (``--config`` or ``VIGIE_CONFIG``) overlaid by ``VIGIE_*`` env vars.

Nested keys use a double underscore in env vars, e.g. ``VIGIE_BUS__URL=kafka://127.0.0.1:9092``.
Settings are frozen and loaded once in ``main()``; sections are passed down to each service.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict


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


class SyslogListener(Section):
    transport: Literal["udp", "tcp"]
    listen: str
    source: str | None = None
    format: str = "syslog"
    timezone: str = "UTC"

    @property
    def source_name(self) -> str:
        return self.source or f"syslog-{self.transport}:{self.listen}"


class TenantSettings(Section):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")
    name: str | None = None
    syslog: list[SyslogListener] = Field(default_factory=list)
    api_keys_sha256: list[str] = Field(default_factory=list)
    retention_days: int = Field(default=365, ge=1, le=3650)
    disabled_rules: list[str] = Field(default_factory=list)


class CollectorSettings(Section):
    max_record_bytes: int = Field(default=64 * 1024, ge=256)
    max_connections: int = Field(default=1024, ge=1)


class NormalizerSettings(Section):
    default_timezone: str = "UTC"


class CorrelatorSettings(Section):
    max_event_ids: int = Field(default=1000, ge=1)
    allowed_lateness_seconds: int = Field(default=60, ge=0)


class ResponderSettings(Section):
    playbooks: list[str] = Field(default_factory=list)
    adapters: dict[str, dict[str, Any]] = Field(default_factory=dict)


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
    analyst_keys_sha256: list[str] = Field(default_factory=list)
    collector: CollectorSettings = CollectorSettings()
    normalizer: NormalizerSettings = NormalizerSettings()
    correlator: CorrelatorSettings = CorrelatorSettings()
    responder: ResponderSettings = ResponderSettings()

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
