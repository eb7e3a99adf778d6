"""First-run demo configuration: two tenants on loopback, API keys made fresh and printed once.

Only the SHA-256 of each key is written to the config; the keys themselves go to a file readable
by the owner alone, so ``vigie run`` can show them again on later starts.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

import orjson
import yaml

DEMO_TENANTS = (("demo", 5514), ("other", 5515))


def _sha256(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def ensure_demo_config(
    data_dir: Path, *, bus_url: str = "memory://"
) -> tuple[Path, dict[str, str]]:
    """Return the demo config path and its keys (role → key), creating both on first use."""
    data_dir.mkdir(parents=True, exist_ok=True)
    config_path = data_dir / "vigie.yaml"
    keys_path = data_dir / "demo-keys.json"
    if config_path.exists() and keys_path.exists():
        return config_path, orjson.loads(keys_path.read_bytes())

    keys = {tenant: f"vg_{tenant}_{secrets.token_urlsafe(24)}" for tenant, _ in DEMO_TENANTS}
    keys["analyst"] = f"vg_analyst_{secrets.token_urlsafe(24)}"
    config = {
        "data_dir": str(data_dir.resolve()),
        "store": {"dsn": f"chdb:///{(data_dir / 'store').resolve().as_posix().lstrip('/')}"},
        "bus": {"url": bus_url},
        "api": {"listen": "127.0.0.1:8000", "cursor_secret": secrets.token_hex(32)},
        "tenants": [
            {
                "id": tenant,
                "syslog": [
                    {"transport": "tcp", "listen": f"127.0.0.1:{port}"},
                    {"transport": "udp", "listen": f"127.0.0.1:{port}"},
                ],
                "api_keys_sha256": [_sha256(keys[tenant])],
            }
            for tenant, port in DEMO_TENANTS
        ],
        "analyst_keys_sha256": [_sha256(keys["analyst"])],
    }
    fd = os.open(keys_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(orjson.dumps(keys, option=orjson.OPT_INDENT_2))
    config_path.write_text(yaml.safe_dump(config, sort_keys=False))
    return config_path, keys
