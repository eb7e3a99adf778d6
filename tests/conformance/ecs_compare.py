"""Score Vigie's ECS documents against Elastic's own pipeline-test output (``*-expected.json``).

``load_pairs(folder)`` reads every ``test-*.log`` / ``test-*.json`` input beside its
``<input>-expected.json`` (``{"expected": [doc, ...]}`` in input order) and returns one ``Pair``
per input record; ``config_timezone(folder)`` is the ``tz_offset`` that the folder's
``test-common-config.yml`` sets, if any. ``score(expected, actual)`` counts the leaf fields of
Elastic's document that Vigie reproduces with the same value, ignoring the fields listed in
``IGNORED`` (each with its reason: they describe Elastic's agent, pipeline or enrichment
databases, not the record).

``PAIR_SOURCES`` is the one table of the pair folders (under ``ecs-expected/``) and how Vigie
reads their inputs: format hint, timezone, and the least number of compared fields a pair must
have. ``compare(folder, pair)`` sends the pair's record through ``Normalizer.handle`` that way
(received at ``RECEIVED``) and scores the one document it must give; the ``test_ecs_*`` tests
assert on it (``assert_conforms``) and ``tests.conformance.report`` writes it down.

Equality rules (the only tolerances):

* lists are compared without order (Elastic appends ``related.ip``, ``event.category`` ... in
  processor order, which carries no meaning), element by element and strictly typed;
* two numbers (not booleans) are equal when numerically equal (``5`` and ``5.0``);
* two ISO 8601 date-times with an offset are equal when they name the same instant, at the
  precision Elastic wrote (its ``date`` processor keeps milliseconds: ``...26.024Z`` matches
  Vigie's ``...26.024477Z``; ``16:44:36.000+09:30`` matches ``07:14:36Z``).

Nothing else is converted: a string never equals a number.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from pprint import pformat
from typing import Any

import yaml

from schemas.ecs import EcsEvent, flatten
from services.normalizer.core import Normalizer
from tests.conftest import CORPUS
from tests.unit.normalizer.factories import raw_event

GEO_ENRICHMENT = ("city_name", "continent_name", "country_iso_code", "country_name", "location",
                  "region_iso_code", "region_name", "postal_code", "timezone")  # fmt: skip
_SIDES = ("source", "destination", "client", "server")
_GEO_REASON = "GeoIP enrichment from Elastic's test MaxMind databases, not from the record"
_AS_REASON = "ASN enrichment from Elastic's test MaxMind databases, not from the record"

# A flattened key is ignored when it starts with one of these strings.
IGNORED: dict[str, str] = {
    "ecs.version": "the ECS release Elastic's pipeline declares",
    "agent.": "the collecting Elastic Agent",
    "tags": "Elastic pipeline switches (preserve_original_event ...)",
    "data_stream.": "Elastic's index routing",
    "input.": "the Elastic Agent input type",
    "_tmp": "pipeline scratch fields",
    "_temp": "pipeline scratch fields",
    "_conf": "pipeline configuration echoed into the document",
    "log.offset": "the byte offset of the line in the file the agent read",
    "log.file.": "the file the agent read",
    "event.ingested": "ingest time; Vigie sets its own from the receive time",
    "event.created": "the time the agent read the line (a test-run time)",
    "event.original": "Vigie keeps its own copy of the record text",
    "event.timezone": "an echo of the pipeline's tz_offset setting, not of the record",
    "host.": "the collecting agent's host",
    "event.id": "Vigie's event.id is the collector's record id (the dedup key, see DESIGN.md); "
    "parsers keep the source's own id in the vendor namespace",
    **{
        f"user_agent.{part}": "parsed from user_agent.original by Elastic's user_agent processor "
        "and its uap-core database: an enrichment, like GeoIP"
        for part in ("name", "version", "os.", "device.")
    },  # fmt: skip
    **{f"{side}.geo.{leaf}": _GEO_REASON for side in _SIDES for leaf in GEO_ENRICHMENT},
    **{f"{side}.as.": _AS_REASON for side in _SIDES},
}

RECEIVED = datetime(2026, 3, 2, 12, 0, 0, tzinfo=UTC)
MIN_SHARE = 0.9


@dataclass(frozen=True)
class PairSource:
    """How Vigie reads the inputs of one folder of Elastic pairs."""

    format: str  # the RawEvent format hint
    min_fields: int  # fewer compared fields: Elastic's document says too little to score
    timezone: str | None = None  # when the folder's test-common-config.yml sets none


PAIR_SOURCES: dict[str, PairSource] = {  # folder under ecs-expected/ → how to read its inputs
    "aws/cloudtrail": PairSource("cloudtrail", 21),
    "azure/signinlogs": PairSource("azure_signin", 31),
    "cisco_asa/log": PairSource("cisco_asa", 21),
    "fortinet_fortigate/log": PairSource("fortigate", 21),
    # Elastic's test configuration set +09:30 (its expected event.timezone says so); that
    # configuration file is not in the corpus.
    "panw/panos": PairSource("paloalto", 41, timezone="+09:30"),
    "suricata/eve": PairSource("suricata", 31),
    "system/auth": PairSource("syslog", 1),
    "system/security": PairSource("windows", 1),
    "windows/sysmon_operational": PairSource("windows", 1),
}

_DATETIME = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2})(?:\.([0-9]{1,9}))?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})"
)


@dataclass(frozen=True)
class Pair:
    source: str  # input file name and record number, for messages
    record: str  # the record text as the collector would receive it
    expected: dict[str, Any]


def load_pairs(folder: Path) -> list[Pair]:
    """Every input record of the folder with Elastic's expected document for it."""
    pairs: list[Pair] = []
    for expected_file in sorted(folder.glob("test-*-expected.json")):
        input_file = expected_file.with_name(expected_file.name.removesuffix("-expected.json"))
        docs = json.loads(expected_file.read_text())["expected"]
        records = _records(input_file)
        if len(records) != len(docs):
            raise ValueError(f"{input_file.name}: {len(records)} records, {len(docs)} expected")
        pairs += [
            Pair(f"{input_file.name}#{n}", record, doc)
            for n, (record, doc) in enumerate(zip(records, docs, strict=True))
        ]
    return pairs


@dataclass(frozen=True)
class Outcome:
    """One pair scored: Vigie's document, or ``error`` when the record gave no single one."""

    matched: int = 0
    total: int = 0
    mismatches: list[tuple[str, Any, Any]] = field(default_factory=list)
    doc: dict[str, Any] | None = None
    error: str | None = None

    @property
    def share(self) -> float:
        return self.matched / self.total if self.total else 0.0


def pairs_in(folder: str, corpus: Path = CORPUS) -> list[Pair]:
    """The pairs of ``ecs-expected/<folder>``; none when the corpus lacks the folder."""
    path = corpus / "ecs-expected" / folder
    return load_pairs(path) if path.is_dir() else []


def timezone_of(folder: str, corpus: Path = CORPUS) -> str:
    configured = config_timezone(corpus / "ecs-expected" / folder)
    return configured or PAIR_SOURCES[folder].timezone or "UTC"


def compare(folder: str, pair: Pair, corpus: Path = CORPUS) -> Outcome:
    """The pair's record through ``Normalizer.handle`` as ``PAIR_SOURCES`` says, scored."""
    normalizer = Normalizer(default_timezone=timezone_of(folder, corpus))
    raw = raw_event(pair.record, format=PAIR_SOURCES[folder].format, received_at=RECEIVED)
    outputs = normalizer.handle(raw)
    if len(outputs) != 1 or not isinstance(outputs[0], EcsEvent):
        reasons = [getattr(o, "error", type(o).__name__) for o in outputs]
        return Outcome(error=f"{len(outputs)} outputs instead of one document: {reasons}")
    matched, total, mismatches = score(pair.expected, outputs[0].doc)
    return Outcome(matched, total, mismatches, outputs[0].doc)


def assert_conforms(folder: str, pair: Pair) -> dict[str, Any]:
    """Assert the pair reaches ``MIN_SHARE``; Vigie's document, for further checks."""
    outcome = compare(folder, pair)
    assert outcome.doc is not None, outcome.error
    # A pair Elastic barely filled would pass anything.
    assert outcome.total >= PAIR_SOURCES[folder].min_fields, (outcome.total, pair.source)
    assert outcome.matched >= MIN_SHARE * outcome.total, (
        f"{pair.source}: {outcome.matched}/{outcome.total}\n{pformat(outcome.mismatches)}"
    )
    return outcome.doc


def config_timezone(folder: Path) -> str | None:
    """The ``tz_offset`` a folder's ``test-common-config.yml`` sets (``var.`` or ``_conf.``)."""
    config_file = folder / "test-common-config.yml"
    if not config_file.is_file():
        return None
    config = yaml.safe_load(config_file.read_text()) or {}
    for section in (config.get("fields", {}).get("_conf", {}), config.get("vars", {}), config):
        if isinstance(section, dict) and isinstance(section.get("tz_offset"), str):
            return str(section["tz_offset"])
    return None


def _records(input_file: Path) -> list[str]:
    if input_file.suffix == ".json":
        events = json.loads(input_file.read_text())["events"]
        return [_event_text(event) for event in events]
    return [line for line in input_file.read_text().splitlines() if line.strip()]


def _event_text(event: dict[str, Any]) -> str:
    if isinstance(event.get("message"), str):
        return str(event["message"])
    original = event.get("event", {}).get("original")
    return original if isinstance(original, str) else json.dumps(event)


def is_ignored(key: str) -> bool:
    return key.startswith(tuple(IGNORED))


def score(
    expected: dict[str, Any], actual: dict[str, Any]
) -> tuple[int, int, list[tuple[str, Any, Any]]]:
    """(matched, total, [(key, expected value, actual value) ...]) over Elastic's leaf fields."""
    wanted = {k: v for k, v in flatten(expected).items() if not is_ignored(k)}
    got = flatten(actual)
    mismatches = [(k, v, got.get(k)) for k, v in wanted.items() if not same(v, got.get(k))]
    return len(wanted) - len(mismatches), len(wanted), mismatches


def same(want: Any, got: Any) -> bool:
    """Elastic's value ``want`` and Vigie's ``got`` under the module's equality rules."""
    if isinstance(want, list):
        return isinstance(got, list) and _unordered(want) == _unordered(got)
    if _is_number(want) and _is_number(got):
        return bool(want == got)
    if isinstance(want, str) and isinstance(got, str) and want != got:
        return _same_instant(want, got)
    return type(want) is type(got) and bool(want == got)


def _unordered(values: list[Any]) -> list[str]:
    return sorted(json.dumps(v, sort_keys=True) for v in values)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _same_instant(want: str, got: str) -> bool:
    expected, precision = _instant(want)
    actual, _ = _instant(got)
    if expected is None or actual is None:
        return False
    micros = 10 ** (6 - min(precision, 6))
    return expected == actual.replace(microsecond=actual.microsecond // micros * micros)


def _instant(value: str) -> tuple[datetime | None, int]:
    match = _DATETIME.fullmatch(value)
    if match is None:
        return None, 0
    seconds, fraction, zone = match.groups()
    fraction = fraction or ""
    text = f"{seconds}.{(fraction + '000000')[:6]}{'+00:00' if zone == 'Z' else zone}"
    return datetime.fromisoformat(text), len(fraction)
