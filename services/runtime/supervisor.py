"""``vigie up`` / ``vigie down``: the local broker plus every service as a background process.

The broker is started by ``deploy/local/kafka.sh`` on the host and port of ``bus.url``; each
service runs ``python -m services serve NAME --config FILE``, with its log in
``<data_dir>/logs/NAME.log`` and its pid in ``<data_dir>/run/NAME.pid``. ``up`` returns once every
service answers ``/readyz``; ``down`` stops the services (SIGTERM, then SIGKILL after a grace
period) and then the broker, so no process is left behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from services.runtime.serve import DEFAULT_OPS_PORTS
from services.runtime.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
KAFKA_SH = ROOT / "deploy" / "local" / "kafka.sh"
START_ORDER = ("api", "correlator", "responder", "normalizer", "collector")
READY_TIMEOUT_S = 120.0
STOP_GRACE_S = 20.0


class SupervisorError(RuntimeError):
    pass


def _kafka_address(settings: Settings) -> tuple[str, int]:
    url = settings.bus.url
    if not url.startswith("kafka://"):
        raise SupervisorError(f"vigie up needs a kafka:// bus.url, not {url!r}")
    first = url.removeprefix("kafka://").split(",")[0].rstrip("/")
    host, _, port = first.rpartition(":")
    return host or "127.0.0.1", int(port or 9092)


def _pid_file(settings: Settings, name: str) -> Path:
    return settings.data_dir / "run" / f"{name}.pid"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _running_pid(settings: Settings, name: str) -> int | None:
    path = _pid_file(settings, name)
    if not path.exists():
        return None
    pid = int(path.read_text().strip() or 0)
    return pid if pid and _alive(pid) else None


def _ready_url(settings: Settings, name: str) -> str:
    listen = settings.api.listen if name == "api" else f"127.0.0.1:{DEFAULT_OPS_PORTS[name]}"
    if name != "api" and settings.ops.listen:
        raise SupervisorError("ops.listen is per process; leave it empty for vigie up")
    return f"http://{listen}/readyz"


def start_broker(settings: Settings) -> None:
    host, port = _kafka_address(settings)
    if host not in ("127.0.0.1", "localhost"):
        raise SupervisorError(f"vigie up starts a broker on loopback only, not {host}")
    subprocess.run(
        [str(KAFKA_SH), "start", "--port", str(port), "--dir", str(settings.data_dir / "kafka")],
        check=True,
    )


def start_service(settings: Settings, config: Path, name: str) -> int:
    running = _running_pid(settings, name)
    if running:
        return running
    logs = settings.data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    _pid_file(settings, name).parent.mkdir(parents=True, exist_ok=True)
    with (logs / f"{name}.log").open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "services", "serve", name, "--config", str(config)],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    _pid_file(settings, name).write_text(str(proc.pid))
    return proc.pid


def wait_ready(settings: Settings, name: str, pid: int) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    url = _ready_url(settings, name)
    while time.monotonic() < deadline:
        if not _alive(pid):
            log = settings.data_dir / "logs" / f"{name}.log"
            raise SupervisorError(f"{name} exited during start-up; see {log}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SupervisorError(f"{name} not ready after {READY_TIMEOUT_S:.0f}s ({url})")


def up(settings: Settings, config: Path) -> list[str]:
    start_broker(settings)
    lines = []
    for name in START_ORDER:
        pid = start_service(settings, config, name)
        wait_ready(settings, name, pid)
        lines.append(f"{name}: pid {pid}, ready at {_ready_url(settings, name)}")
    return lines


def stop_service(settings: Settings, name: str) -> bool:
    pid = _running_pid(settings, name)
    _pid_file(settings, name).unlink(missing_ok=True)
    if pid is None:
        return False
    os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_S
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    if _alive(pid):
        os.killpg(pid, signal.SIGKILL)
    return True


def down(settings: Settings) -> list[str]:
    stopped = [name for name in reversed(START_ORDER) if stop_service(settings, name)]
    subprocess.run(
        [str(KAFKA_SH), "stop", "--dir", str(settings.data_dir / "kafka")], check=False
    )
    return stopped

