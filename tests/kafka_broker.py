"""A real Apache Kafka broker for the tests marked ``kafka``, shared by the whole pytest session.

- ``VIGIE_TEST_KAFKA=kafka://host:port`` uses that broker (``deploy/local/with-kafka.sh`` sets it,
  with ``VIGIE_TEST_KAFKA_DIR`` naming its data dir so that tests may stop and restart it);
- otherwise ``deploy/local/kafka.sh`` starts one on free loopback ports in a temporary folder, and
  it is stopped when the last test session user is done;
- ``VIGIE_SKIP_KAFKA=1`` skips those tests. Nothing else does: a broker that cannot be fetched or
  started fails the tests with the script's output, so a missing broker never passes silently.

A conftest imports the fixtures: ``from tests.kafka_broker import kafka_broker, kafka_url``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

KAFKA_SH = Path(__file__).resolve().parent.parent / "deploy" / "local" / "kafka.sh"
SCRIPT_TIMEOUT = 600  # a cold fetch resolves ~45 jars from Maven Central before the start


class BrokerError(RuntimeError):
    pass


def kafka_sh(*args: str) -> str:
    """Run ``kafka.sh``; its whole output is in the error when it fails."""
    try:
        done = subprocess.run(
            ["bash", str(KAFKA_SH), *args],
            capture_output=True,
            text=True,
            timeout=SCRIPT_TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        raise BrokerError(f"kafka.sh {' '.join(args)} timed out after {SCRIPT_TIMEOUT}s") from exc
    if done.returncode != 0:
        raise BrokerError(
            f"kafka.sh {' '.join(args)} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
        )
    return done.stdout


def free_ports(count: int) -> list[int]:
    """Distinct loopback ports that were free a moment ago (held together so none repeats)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


@dataclass
class Broker:
    url: str
    data_dir: Path | None  # None: a broker run by someone else, which the tests cannot restart
    owned: bool = False  # started by this session, so stopped and deleted at its end

    @property
    def restartable(self) -> bool:
        return self.data_dir is not None

    def stop(self) -> None:
        """Stop the broker and wait for its exit; its data and ports are kept for ``start``."""
        kafka_sh("stop", "--dir", str(self._dir()))

    def start(self) -> None:
        """Start the stopped broker again, on the same ports with the same topics and offsets."""
        kafka_sh("start", "--dir", str(self._dir()))

    def _dir(self) -> Path:
        if self.data_dir is None:
            raise BrokerError(f"{self.url} was not started by the tests and cannot be restarted")
        return self.data_dir


def start_broker() -> Broker:
    data_dir = Path(tempfile.mkdtemp(prefix="vigie-kafka-"))
    port, controller_port = free_ports(2)
    try:
        ports = ["--port", str(port), "--controller-port", str(controller_port)]
        kafka_sh("start", *ports, "--dir", str(data_dir))
    except BrokerError:
        with contextlib.suppress(BrokerError):
            kafka_sh("stop", "--dir", str(data_dir))
        shutil.rmtree(data_dir, ignore_errors=True)
        raise
    return Broker(f"kafka://127.0.0.1:{port}", data_dir, owned=True)


def stop_broker(broker: Broker) -> None:
    if broker.owned and broker.data_dir is not None:
        broker.stop()
        shutil.rmtree(broker.data_dir, ignore_errors=True)


class _Shared:
    """One broker per process, however many conftests import the fixtures."""

    broker: Broker | None = None
    error: str | None = None
    users = 0

    @classmethod
    def acquire(cls) -> Broker:
        cls.users += 1
        if cls.broker is None and cls.error is None:
            try:
                cls.broker = _configured() or start_broker()
            except BrokerError as exc:
                cls.error = str(exc)
        if cls.error is not None:
            pytest.fail(
                f"no Kafka broker for the tests marked kafka (set VIGIE_SKIP_KAFKA=1 to skip them"
                f" deliberately):\n{cls.error}",
                pytrace=False,
            )
        assert cls.broker is not None
        return cls.broker

    @classmethod
    def release(cls) -> None:
        cls.users -= 1
        if cls.users == 0 and cls.broker is not None:
            broker, cls.broker = cls.broker, None
            stop_broker(broker)


def _configured() -> Broker | None:
    url = os.environ.get("VIGIE_TEST_KAFKA", "").strip()
    if not url:
        return None
    data_dir = os.environ.get("VIGIE_TEST_KAFKA_DIR", "").strip()
    return Broker(url, Path(data_dir) if data_dir else None)


@pytest.fixture(scope="session")
def kafka_broker() -> Iterator[Broker]:
    if os.environ.get("VIGIE_SKIP_KAFKA") == "1":
        pytest.skip("VIGIE_SKIP_KAFKA=1: tests that need a real Kafka broker are skipped")
    try:
        yield _Shared.acquire()
    finally:
        _Shared.release()


@pytest.fixture(scope="session")
def kafka_url(kafka_broker: Broker) -> str:
    return kafka_broker.url
