"""Windows events from ../shared/corpus: Elastic's expected ECS (system.security,
windows.sysmon_operational), every EVTX file (nothing lost, nothing raised, damaged copies too),
and SigmaHQ's regression samples (evtx_dump JSON trees, the same events as their .evtx files).
"""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from evtx import PyEvtxParser

from schemas.ecs import EcsEvent
from services.normalizer.core import Normalizer
from services.normalizer.parsers.base import ParseError
from services.normalizer.parsers.evtx import read_evtx
from tests.conformance.ecs_compare import Pair, assert_conforms, pairs_in
from tests.conftest import CORPUS
from tests.unit.normalizer.factories import raw_event

INTEGRATIONS = ("system/security", "windows/sysmon_operational")
SAMPLES = CORPUS / "windows" / "omerbenamram-evtx-samples"
REGRESSION = CORPUS / "sigma" / "regression" / "regression_data"
# (documents, error items) per sample file: sysmon.evtx has 8 damaged 64 KiB chunks.
SAMPLE_COUNTS = {"new-user-security.evtx": (4, 0), "Security_short_selected.evtx": (7, 0),
                 "security.evtx": (2261, 0), "sysmon.evtx": (358, 8)}  # fmt: skip


def pairs() -> list[tuple[str, Pair]]:
    return [(integration, pair) for integration in INTEGRATIONS for pair in pairs_in(integration)]


def evtx_files() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return sorted([*(CORPUS / "windows").rglob("*.evtx"), *REGRESSION.rglob("*.evtx")])


def _normalize(record: str, name: str) -> dict[str, Any]:
    (output,) = Normalizer().handle(raw_event(record, id=name, format="windows"))
    assert isinstance(output, EcsEvent), output
    return output.doc


@pytest.mark.parametrize(("integration", "pair"), pairs(), ids=lambda v: getattr(v, "source", v))
def test_ecs_windows_matches_elastic(corpus: Path, integration: str, pair: Pair) -> None:
    assert_conforms(integration, pair)


@pytest.mark.parametrize("integration", INTEGRATIONS)
def test_ecs_windows_winlogbeat_json_form_matches_elastic(corpus: Path, integration: str) -> None:
    """The pairs' inputs as the Winlogbeat JSON documents themselves (not their XML original)."""
    folder = corpus / "ecs-expected" / integration
    for input_file in sorted(folder.glob("test-*.json")):
        if input_file.name.endswith("-expected.json"):
            continue
        events = json.loads(input_file.read_text())["events"]
        expected = json.loads(Path(f"{input_file}-expected.json").read_text())["expected"]
        for n, (event, want) in enumerate(zip(events, expected, strict=True)):
            event.get("event", {}).pop("original", None)
            assert_conforms(integration, Pair(f"{input_file.name}#{n}", json.dumps(event), want))


@pytest.mark.parametrize("path", evtx_files(), ids=lambda p: p.name)
def test_ecs_windows_every_evtx_record_is_accounted_for(corpus: Path, path: Path) -> None:
    items = list(read_evtx(path))
    docs = [item for item in items if isinstance(item, dict)]
    errors = [item for item in items if isinstance(item, ParseError)]
    assert len(docs) + len(errors) == len(items) > 0
    assert len(docs) == _library_records(path)  # each record the library decodes is a document
    assert all(doc["event"]["code"] == doc["winlog"]["event_id"] for doc in docs)
    if path.name in SAMPLE_COUNTS:
        assert (len(docs), len(errors)) == SAMPLE_COUNTS[path.name], [e.reason for e in errors]
    else:
        assert errors == []


def _library_records(path: Path) -> int:
    records, count = PyEvtxParser(str(path)).records_json(), 0
    while True:
        try:
            next(records)
        except StopIteration:
            return count
        except RuntimeError:
            continue
        count += 1


def test_ecs_windows_new_user_sample_events(corpus: Path) -> None:
    docs = [d for d in read_evtx(SAMPLES / "new-user-security.evtx") if isinstance(d, dict)]
    assert sorted(d["event"]["code"] for d in docs) == ["4720", "4728", "4732", "4732"]
    created = next(d for d in docs if d["event"]["code"] == "4720")
    assert created["event"]["action"] == "added-user-account"
    assert created["user"]["target"]["name"] and created["event"]["outcome"] == "success"


@pytest.mark.parametrize("name", ["Security_short_selected.evtx", "new-user-security.evtx"])
def test_ecs_windows_damaged_evtx_copies_never_raise(
    corpus: Path, tmp_path: Path, name: str
) -> None:
    original = (SAMPLES / name).read_bytes()
    rng = random.Random(name)
    kinds: Counter[str] = Counter()
    for n in range(25):
        damaged = bytearray(original)
        for _ in range(rng.randrange(1, 60)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        if n % 5 == 0:
            damaged = damaged[: rng.randrange(len(damaged))]
        path = tmp_path / f"damaged-{n}.evtx"
        path.write_bytes(bytes(damaged))
        for item in read_evtx(path):
            assert isinstance(item, dict | ParseError), item
            kinds[type(item).__name__] += 1
    assert kinds["dict"] > 0 and kinds["ParseError"] > 0  # both outcomes were exercised


def regression_samples() -> list[Path]:
    return sorted(REGRESSION.rglob("*.json")) if REGRESSION.is_dir() else []


def json_objects(path: Path) -> list[dict[str, Any]]:
    """The JSON objects of a regression sample (some files hold several, one after another)."""
    text, decoder, position, found = path.read_text(encoding="utf-8-sig"), json.JSONDecoder(), 0, []
    while position < len(text):
        if text[position].isspace():
            position += 1
            continue
        value, position = decoder.raw_decode(text, position)
        found.append(value)
    return found


@pytest.mark.parametrize("path", regression_samples(), ids=lambda p: p.parent.name)
def test_ecs_windows_regression_sample_shape(corpus: Path, path: Path) -> None:
    events = json_objects(path)
    docs = [_normalize(json.dumps(event), f"{path.stem}-{n}") for n, event in enumerate(events)]
    for event, doc in zip(events, docs, strict=True):
        system, data = event["Event"]["System"], event["Event"].get("EventData") or {}
        assert doc["event"]["code"] == str(system["EventID"])
        assert doc["winlog"]["channel"] == system["Channel"]
        names = {key.replace(" ", "") for key in data if not key.startswith("#")}
        assert set(doc["winlog"].get("event_data", {})) == names
    evtx_docs = [d for d in read_evtx(path.with_suffix(".evtx")) if isinstance(d, dict)]
    assert [_comparable(d) for d in evtx_docs] == [_comparable(d) for d in docs]


def _comparable(doc: dict[str, Any]) -> dict[str, Any]:
    """``winlog`` with event data values stripped: a JSON sample lost a command line's last space."""
    data = doc["winlog"].get("event_data", {})
    return {**doc["winlog"], "event_data": {k: v.strip() for k, v in data.items()}}
