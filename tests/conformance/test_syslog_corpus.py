"""Real syslog files from ../shared/corpus through Normalizer.handle: nothing lost or missed."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from schemas.dlq import DeadLetter
from schemas.ecs import EcsEvent, flatten, get_field
from services.normalizer.core import Normalizer
from tests.unit.normalizer.factories import raw_event

LOG_FILES = [
    "syslog/loghub/OpenSSH/OpenSSH_2k.log",
    "syslog/loghub/Linux/Linux_2k.log",
    "syslog/elastic-system-auth/test-auth-ubuntu1204.log",
]
# Independent of the parser: an sshd line that reports a failed login or PAM authentication
# failure, and the IPv4 peer it names (rhost= only when it is an address, not a host name).
SSHD_FAILURE = re.compile(
    r"sshd\[\d+\]: (?:message repeated \d+ times: \[ )?"
    r"(?:Failed \S+ for .* from (\d+\.\d+\.\d+\.\d+) port \d+ ssh2"
    r"|Invalid user .* from (\d+\.\d+\.\d+\.\d+)"
    r"|(?:pam_unix\(sshd:auth\): authentication failure|PAM \d+ more authentication failures?);"
    r".* rhost=(\d+\.\d+\.\d+\.\d+)(?:\s|$))"
)


def normalize_file(path: Path) -> list[list[EcsEvent | DeadLetter]]:
    normalizer = Normalizer()
    lines = path.read_bytes().splitlines()
    return [
        normalizer.handle(raw_event(line, id=f"{path.name}-{n}")) for n, line in enumerate(lines)
    ]


def documents(path: Path) -> list[dict[str, Any]]:
    """One ECS document per line of a file where no line may be dead-lettered."""
    docs = []
    for output in normalize_file(path):
        assert len(output) == 1 and isinstance(output[0], EcsEvent), output
        docs.append(output[0].doc)
    return docs


@pytest.mark.parametrize("relative", LOG_FILES)
def test_syslog_corpus_every_line_is_accounted_for(corpus: Path, relative: str) -> None:
    path = corpus / relative
    if not path.is_file():
        pytest.skip(f"{path} is absent from the corpus")
    outputs = normalize_file(path)
    events = [o for out in outputs for o in out if isinstance(o, EcsEvent)]
    letters = [o for out in outputs for o in out if isinstance(o, DeadLetter)]
    assert all(len(out) == 1 for out in outputs)
    assert len(events) + len(letters) == len(outputs) == len(path.read_bytes().splitlines())
    assert letters == []  # no empty or unparseable line in these files
    # Every line of these files has a BSD timestamp: none falls back to the receive time.
    assert all(e.doc["@timestamp"] != e.doc["event"]["ingested"] for e in events)
    with_program = [e for e in events if get_field(e.doc, "process.name")]
    assert len(with_program) >= 0.99 * len(events)


def test_syslog_corpus_openssh_failures_are_all_found(corpus: Path) -> None:
    path = corpus / "syslog/loghub/OpenSSH/OpenSSH_2k.log"
    if not path.is_file():
        pytest.skip(f"{path} is absent from the corpus")
    lines = path.read_text().splitlines()
    assert len(lines) == 2000
    expected = {}
    for n, line in enumerate(lines):
        if m := SSHD_FAILURE.search(line):
            expected[n] = next(ip for ip in m.groups() if ip)
    found = {}
    for n, doc in enumerate(documents(path)):
        failure = (get_field(doc, "process.name"), get_field(doc, "event.outcome")) == (
            "sshd",
            "failure",
        )
        if failure and get_field(doc, "source.ip"):
            found[n] = doc["source"]["ip"]
    assert len(expected) > 700  # the brute force in this file is large; a broken regex finds few
    assert found == expected


def test_syslog_corpus_openssh_repeats_are_counted(corpus: Path) -> None:
    path = corpus / "syslog/loghub/OpenSSH/OpenSSH_2k.log"
    if not path.is_file():
        pytest.skip(f"{path} is absent from the corpus")
    text = path.read_text()
    repeats = sum(int(n) for n in re.findall(r"message repeated (\d+) times", text))
    counted = sum(doc["vigie"].get("repeat_count", 0) for doc in documents(path))
    assert counted == repeats > 0


# Elastic fields Vigie writes the same way; the rest (ecs.version, event.timezone, input.type,
# related.hosts, geo enrichment, ingest times) is Elastic pipeline machinery Vigie leaves out.
COMPARED = ("event.category", "event.type", "event.kind", "event.outcome", "event.action",
            "host.", "message", "process.", "related.", "source.ip", "source.port", "system.auth.",
            "user.", "group.")  # fmt: skip


def elastic_pairs(corpus: Path) -> list[tuple[str, dict[str, Any]]]:
    pairs = []
    for expected_file in sorted((corpus / "ecs-expected/system/auth").glob("*.log-expected.json")):
        docs = json.loads(expected_file.read_text())["expected"]
        pairs += [(d["event"]["original"], d) for d in docs]
    return pairs


def test_syslog_corpus_matches_elastic_system_auth(corpus: Path) -> None:
    pairs = elastic_pairs(corpus)
    if not pairs:
        pytest.skip("no ecs-expected/system/auth pairs in the corpus")
    for original, expected in pairs:
        moment = datetime.fromisoformat(expected["@timestamp"].replace("Z", "+00:00"))
        (event,) = Normalizer().handle(raw_event(original, received_at=moment))
        assert isinstance(event, EcsEvent), event
        assert event.timestamp == moment
        assert event.doc["event"]["original"] == original
        wanted = {
            k: v
            for k, v in flatten(expected).items()
            if k.startswith(COMPARED) and k != "related.hosts"
        }
        got = {k: v for k, v in flatten(event.doc).items() if k in wanted}
        assert got == wanted  # Vigie may add fields (e.g. event.outcome), never differ
