"""Every corpus file of the firewall and SIEM-interchange formats through Normalizer.handle.

Records in == ECS documents + dead letters out, no dead letter in these files, and the fields a
detection needs hold values checked independently of the parser (with plain regexes).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from schemas.dlq import DeadLetter
from schemas.ecs import EcsEvent, get_field
from services.normalizer.core import Normalizer
from tests.unit.normalizer.factories import raw_event

FILES = [  # (format hint, file, whether every record carries its own time)
    ("cef", "network/cef/test-cef.log", False),
    ("pfsense", "network/firewall/pfsense/test-pfsense-bsd.log", True),
    ("fortigate", "ecs-expected/fortinet_fortigate/log/test-fortinet-7-6.log", True),
    ("fortigate", "ecs-expected/fortinet_fortigate/log/test-fortinet-fix.log", True),
    ("cisco_asa", "ecs-expected/cisco_asa/log/test-302020-direction.log", True),
    ("cisco_asa", "ecs-expected/cisco_asa/log/test-repeat-deny.log", True),
]
FILTERLOG_CSV = re.compile(r"filterlog\[[0-9]+\]: (.*)")
ADDRESS_COLUMNS = {"4": (18, 19), "6": (15, 16)}  # pf's filterlog layout per IP version


def lines_of(corpus: Path, relative: str) -> list[str]:
    path = corpus / relative
    if not path.is_file():
        pytest.skip(f"{path} is absent from the corpus")
    return [line for line in path.read_text().splitlines() if line.strip()]


def documents(fmt: str, lines: list[str]) -> list[dict]:
    normalizer = Normalizer()
    outputs = [normalizer.handle(raw_event(line, id=f"{fmt}-{n}", format=fmt))
               for n, line in enumerate(lines)]  # fmt: skip
    events = [o for out in outputs for o in out if isinstance(o, EcsEvent)]
    letters = [o for out in outputs for o in out if isinstance(o, DeadLetter)]
    assert len(events) + len(letters) == len(lines)
    assert letters == [], [letter.error for letter in letters]
    return [event.doc for event in events]


@pytest.mark.parametrize(("fmt", "relative", "timed"), FILES, ids=[f[1] for f in FILES])
def test_firewall_corpus_every_record_is_accounted_for(
    corpus: Path, fmt: str, relative: str, timed: bool
) -> None:
    docs = documents(fmt, lines_of(corpus, relative))
    assert docs
    assert all(get_field(doc, "event.dataset") for doc in docs)
    if timed:  # the record's own time, not the receive-time fallback
        assert all(doc["@timestamp"] != doc["event"]["ingested"] for doc in docs)


def test_firewall_corpus_cef_header_and_addresses(corpus: Path) -> None:
    lines = lines_of(corpus, "network/cef/test-cef.log")
    for line, doc in zip(lines, documents("cef", lines), strict=True):
        assert (doc["observer"]["vendor"], doc["event"]["code"]) == ("Elastic", "18")
        for key, path in (("src", "source.ip"), ("dst", "destination.ip"), ("spt", "source.port")):
            written = re.search(rf"(?:^| ){key}=(\S+)", line)
            want = written and (int(written[1]) if key == "spt" else written[1])
            assert get_field(doc, path) == want, (key, line)
    padded = documents("cef", lines[-1:])[0]
    assert padded["cef"]["extensions"]["src"] == "192.168.3.4"  # trailing spaces are not data


def test_firewall_corpus_pfsense_addresses_and_verdicts(corpus: Path) -> None:
    lines = lines_of(corpus, "network/firewall/pfsense/test-pfsense-bsd.log")
    for line, doc in zip(lines, documents("pfsense", lines), strict=True):
        columns = FILTERLOG_CSV.search(line)[1].split(",")  # type: ignore[index]
        source, destination = (columns[n] for n in ADDRESS_COLUMNS[columns[8]])
        assert (doc["source"]["ip"], doc["destination"]["ip"]) == (source, destination)
        verdict = "denied" if ",block," in line else "allowed"
        assert doc["event"]["type"] == ["connection", verdict]
        if ",tcp," in line or ",udp," in line or ",UDP," in line:
            assert isinstance(doc["source"]["port"], int), line
