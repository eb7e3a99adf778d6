"""Zeek corpus files through Normalizer.handle: nothing lost, nothing crashes.

How records are counted (Zeek TSV needs its header to be read; see ``parsers/zeek.py``):

* a TSV file with a ``#fields`` header is sent as ONE RawEvent (format ``zeek``), the batch a
  shipper sends; its records are its data lines (non-empty lines not starting with ``#``:
  header, ``#open``/``#close`` and ``###`` comment lines are not records), and each must give
  one ECS document;
* a TSV file without a header (``zeek-cut`` output) is sent line by line: every data line is a
  record that cannot be read without column names and must give one dead letter;
* a JSON file is sent line by line with the format hint of its log (``zeek.conn``): one
  document per line.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from schemas.dlq import DeadLetter
from schemas.ecs import EcsEvent
from services.normalizer.core import Normalizer
from tests.conftest import CORPUS
from tests.unit.normalizer.factories import raw_event

ZEEK = CORPUS / "network" / "zeek"
JSON_LOGS = {"elastic-json/test-conn.log": "zeek.conn"}


def zeek_files() -> list[Path]:
    return sorted(ZEEK.rglob("*.log")) if ZEEK.is_dir() else []


def data_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


def normalize(records: list[str], fmt: str, name: str) -> tuple[list[EcsEvent], list[DeadLetter]]:
    normalizer = Normalizer()
    outputs = [
        o
        for n, record in enumerate(records)
        for o in normalizer.handle(raw_event(record, id=f"{name}-{n}", format=fmt))
    ]
    events = [o for o in outputs if isinstance(o, EcsEvent)]
    return events, [o for o in outputs if isinstance(o, DeadLetter)]


@pytest.mark.parametrize("path", zeek_files(), ids=lambda path: str(path.relative_to(ZEEK)))
def test_ecs_zeek_every_corpus_record_is_accounted_for(corpus: Path, path: Path) -> None:
    text = path.read_text()
    lines = data_lines(text)
    relative = str(path.relative_to(ZEEK))
    if relative in JSON_LOGS:
        events, letters = normalize(lines, JSON_LOGS[relative], path.name)
        assert (len(events), len(letters)) == (len(lines), 0), [x.error for x in letters]
        assert all(e.doc["@timestamp"] != e.doc["event"]["ingested"] for e in events)
    elif "\n#fields" in text:
        events, letters = normalize([text], "zeek", path.name)
        assert (len(events), len(letters)) == (len(lines), 0), [x.error for x in letters]
        assert all(e.doc["event"]["dataset"].startswith("zeek.") for e in events)
        assert not [e for e in events if e.doc["event"]["kind"] == "pipeline_error"]
    else:
        events, letters = normalize(lines, "zeek", path.name)
        assert (len(events), len(letters)) == (0, len(lines))
        assert all("#fields header" in letter.error for letter in letters)


def test_ecs_zeek_corpus_maps_the_logs_detection_reads(corpus: Path) -> None:
    """The fields the correlator's Zeek routes and Sigma mappings read are there."""
    if not zeek_files():
        pytest.skip(f"no Zeek log under {ZEEK}")
    by_dataset: dict[str, list[dict]] = {}
    for path in zeek_files():
        text = path.read_text()
        if "\n#fields" in text:
            for event in normalize([text], "zeek", path.name)[0]:
                by_dataset.setdefault(event.doc["event"]["dataset"], []).append(event.doc)
    dns = by_dataset["zeek.dns"]
    assert all(d["dns"]["question"]["name"] and d["source"]["ip"] for d in dns)
    http = [d for d in by_dataset["zeek.http"] if "method" in d.get("http", {}).get("request", {})]
    assert http and all(d["http"]["request"]["method"] == d["event"]["action"] for d in http)
    assert all("service" in d["zeek"]["kerberos"] for d in by_dataset["zeek.kerberos"])
    assert all(d["zeek"]["x509"]["certificate"]["serial"] for d in by_dataset["zeek.x509"])
    conn = by_dataset["zeek.connection"]
    assert all(d["network"]["transport"] and d["zeek"]["connection"]["state"] for d in conn)
    notice = by_dataset["zeek.notice"]
    assert all(d["event"]["kind"] == "alert" and d["rule"]["name"] for d in notice)
