"""Run Vigie as real subprocesses and talk to them over sockets and HTTP."""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[2]


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def free_tcp_udp_port() -> int:
    """A port free for both TCP and UDP, since a demo tenant listens on both."""
    for _ in range(50):
        port = free_port()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port")


def sha256(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass
class Deployment:
    """A config with tenants, their listeners and API keys, written to ``path``."""

    path: Path
    api_url: str
    syslog: dict[str, int]
    keys: dict[str, str]
    settings: dict[str, Any] = field(default_factory=dict)


def write_config(tmp: Path, tenants: list[str], *, bus_url: str = "memory://", **extra: Any) -> Deployment:
    api_port = free_port()
    ports = {t: free_tcp_udp_port() for t in tenants}
    keys = {t: f"key-{t}-{os.urandom(8).hex()}" for t in tenants}
    keys["analyst"] = f"key-analyst-{os.urandom(8).hex()}"
    settings: dict[str, Any] = {
        "data_dir": str(tmp / "data"),
        "store": {"dsn": f"chdb:///{(tmp / 'data' / 'store').as_posix().lstrip('/')}"},
        "bus": {"url": bus_url},
        "api": {"listen": f"127.0.0.1:{api_port}", "cursor_secret": "e2e-secret"},
        "tenants": [
            {
                "id": t,
                "syslog": [
                    {"transport": "tcp", "listen": f"127.0.0.1:{ports[t]}"},
                    {"transport": "udp", "listen": f"127.0.0.1:{ports[t]}"},
                ],
                "api_keys_sha256": [sha256(keys[t])],
            }
            for t in tenants
        ],
        "analyst_keys_sha256": [sha256(keys["analyst"])],
        **extra,
    }
    path = tmp / "vigie.yaml"
    path.write_text(yaml.safe_dump(settings))
    return Deployment(path, f"http://127.0.0.1:{api_port}", ports, keys, settings)


def vigie(*args: str, log: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    out = log.open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "services", *args],
        cwd=ROOT,
        stdout=out,
        stderr=subprocess.STDOUT,
        env={**os.environ, **(env or {})},
        start_new_session=True,
    )


def stop(proc: subprocess.Popen[bytes], *, kill: bool = False, timeout: float = 30) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def wait_until(check: Callable[[], Any], *, timeout: float, what: str, interval: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except (httpx.HTTPError, OSError) as exc:
            last = exc
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def api_get(dep: Deployment, role: str, path: str, **params: Any) -> httpx.Response:
    return httpx.get(
        f"{dep.api_url}{path}",
        params=params,
        headers={"Authorization": f"Bearer {dep.keys[role]}"},
        timeout=10,
    )


def all_alerts(dep: Deployment, role: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = dict(params, limit=100, **({"cursor": cursor} if cursor else {}))
        page = api_get(dep, role, "/api/v1/alerts", **query)
        page.raise_for_status()
        body = page.json()
        items += body["items"]
        cursor = body["next_cursor"]
        if not cursor:
            return items


def source_totals(dep: Deployment, role: str) -> dict[str, int]:
    resp = api_get(dep, role, "/api/v1/sources")
    resp.raise_for_status()
    totals = {"received": 0, "parsed": 0, "failed": 0}
    for item in resp.json()["items"]:
        for key in totals:
            totals[key] += int(item[key])
    return totals
