"""A realistic, reproducible stream of ECS events for the correlator bench.

``EventMix(seed)`` holds document templates per source: generated ones (``ecs_sources``), the
Elastic expected documents of ``../shared/corpus/ecs-expected`` and, when the normaliser and the
corpus are there, the normaliser's documents for the corpus auth logs (else hand-built sshd
documents). ``SOURCE_WEIGHTS`` is the share of each source in the stream. ``EventStream.batch(n)``
returns the next ``n`` events, each a template with a fresh ``event.id``, one of a few tenants and
an event time ``step`` after the previous one (so windows and episodes fill as in a live stream).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bench import CORPUS
from bench import ecs_sources as src
from schemas.ecs import EcsEvent

Doc = dict[str, Any]

SOURCE_WEIGHTS = {
    "windows_security": 30, "sysmon": 25, "linux_auth": 15, "firewall": 15, "cloudtrail": 7,
    "okta": 5, "azure": 3,
}  # fmt: skip
GENERATED: dict[str, Callable[[random.Random], Doc]] = {
    "windows_security": src.windows_security, "sysmon": src.sysmon, "firewall": src.firewall,
    "cloudtrail": src.cloudtrail, "okta": src.okta,
}  # fmt: skip
# corpus folder -> (source, event.dataset the data stream would have named)
EXPECTED = {
    "aws/cloudtrail": ("cloudtrail", "aws.cloudtrail"),
    "azure/signinlogs": ("azure", "azure.signinlogs"),
    "system/auth": ("linux_auth", "system.auth"),
    "system/security": ("windows_security", None),
    "windows/sysmon_operational": ("sysmon", None),
    "fortinet_fortigate/log": ("firewall", None),
    "cisco_asa/log": ("firewall", None),
    "panw/panos": ("firewall", None),
}
AUTH_LOGS = (
    "syslog/loghub/OpenSSH/OpenSSH_2k.log",
    "syslog/loghub/Linux/Linux_2k.log",
    "syslog/elastic-system-auth/test-auth-ubuntu1204.log",
)
START = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


class EventMix:
    def __init__(self, seed: int = 7, *, per_source: int = 400, auth_lines: int = 5_000) -> None:
        self.rng = random.Random(seed)
        self.templates: dict[str, list[Doc]] = {name: [] for name in SOURCE_WEIGHTS}
        for name, make in GENERATED.items():
            self.templates[name] += [make(self.rng) for _ in range(per_source)]
        for name, docs in expected_documents().items():
            self.templates[name] += docs
        auth = normalised_auth_lines(auth_lines)
        self.normalised = bool(auth)
        self.templates["linux_auth"] += auth or [
            src.linux_auth(self.rng) for _ in range(per_source)
        ]
        if not self.templates["azure"]:
            del self.templates["azure"]
        self.sources = list(self.templates)
        self.weights = [SOURCE_WEIGHTS[s] for s in self.sources]

    def pick(self) -> Doc:
        source = self.rng.choices(self.sources, weights=self.weights)[0]
        return self.rng.choice(self.templates[source])

    def describe(self) -> dict[str, Any]:
        return {
            "sources": {s: len(self.templates[s]) for s in self.sources},
            "weights": dict(zip(self.sources, self.weights, strict=True)),
            "linux_auth_from_normaliser": self.normalised,
        }


class EventStream:
    def __init__(
        self, mix: EventMix, *, tenants: int = 5, step: timedelta = timedelta(microseconds=500)
    ) -> None:
        self.mix = mix
        self.tenants = [f"tenant-{i}" for i in range(1, tenants + 1)]
        self.step = step
        self.count = 0

    def batch(self, n: int) -> list[EcsEvent]:
        return [self.next() for _ in range(n)]

    def next(self) -> EcsEvent:
        template = self.mix.pick()
        at = START + self.step * self.count
        doc = {
            **template,
            "@timestamp": at.isoformat().replace("+00:00", "Z"),
            "event": {**template.get("event", {}), "id": f"{self.count:032x}"},
            "organization": {"id": self.mix.rng.choice(self.tenants)},
        }
        self.count += 1
        return EcsEvent.model_construct(doc)  # identity set just above; decoding is not timed


def expected_documents() -> dict[str, list[Doc]]:
    """Elastic's expected ECS output for corpus inputs, with the dataset the stream would add."""
    found: dict[str, list[Doc]] = {}
    for folder, (source, dataset) in EXPECTED.items():
        for path in sorted((CORPUS / "ecs-expected" / folder).glob("*-expected.json")):
            for doc in json.loads(path.read_text(encoding="utf-8"))["expected"]:
                if dataset:
                    doc["event"] = {**doc.get("event", {}), "dataset": dataset}
                found.setdefault(source, []).append(doc)
    return found


def normalised_auth_lines(limit: int) -> list[Doc]:
    """The normaliser's documents for (every n-th of) the corpus auth log lines, at most
    ``limit`` of them ([] when the normaliser or the corpus is absent)."""
    try:
        from schemas.raw import RawEvent
        from services.normalizer.core import Normalizer
    except ImportError:
        return []
    lines = auth_log_lines()
    lines = lines[:: max(1, len(lines) // limit)][:limit]
    normalizer, docs = Normalizer(), []
    for n, line in enumerate(lines):
        raw = RawEvent(
            id=f"auth-{n}", tenant="bench", source="bench", received_at=START,
            transport="udp", format="syslog", data=line,
        )  # fmt: skip
        docs += [out.doc for out in normalizer.handle(raw) if isinstance(out, EcsEvent)]
    return docs


def auth_log_lines() -> list[str]:
    return [
        line
        for name in AUTH_LOGS
        if (CORPUS / name).is_file()
        for line in (CORPUS / name).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
