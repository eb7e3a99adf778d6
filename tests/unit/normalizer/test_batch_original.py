"""Batch records (JSON arrays, ``Records`` wrappers, NDJSON, Zeek TSV): each document keeps its
own record's text as ``event.original``, never the whole batch; ids and provenance as usual."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest

from schemas.ecs import EcsEvent
from schemas.ids import derived_id
from services.normalizer.core import Normalizer
from services.normalizer.parsers import ParseContext
from services.normalizer.parsers.json_records import documents_of
from tests.unit.normalizer.factories import raw_event
from tests.unit.normalizer.test_azure_signin import sign_in
from tests.unit.normalizer.test_cloudtrail import record as cloudtrail_record
from tests.unit.normalizer.test_detect import ZEEK_CONN, ZEEK_TSV
from tests.unit.normalizer.test_m365_audit import audit
from tests.unit.normalizer.test_okta import event as okta_event
from tests.unit.normalizer.test_windows import FORMS as WINDOWS_FORMS


def docs_of(text: str, fmt: str) -> list[dict[str, Any]]:
    outputs = Normalizer().handle(raw_event(text, id="batch-1", format=fmt))
    assert all(isinstance(o, EcsEvent) for o in outputs), outputs
    return [o.doc for o in outputs if isinstance(o, EcsEvent)]


def originals(docs: list[dict[str, Any]]) -> list[str]:
    return [doc["event"]["original"] for doc in docs]


TWO = [
    ("cloudtrail", [cloudtrail_record(eventName="ListUsers"), cloudtrail_record(eventName="GetUser")]),
    ("okta", [okta_event(), okta_event(eventType="user.session.end")]),
    ("azure_signin", [sign_in(), sign_in(resultType="50126")]),
    ("m365_audit", [audit(), audit(Operation="FileDownloaded")]),
    ("windows", [json.loads(WINDOWS_FORMS["winlogbeat"]), json.loads(WINDOWS_FORMS["nxlog"])]),
]  # fmt: skip
WRAPPERS = {"cloudtrail": "Records", "azure_signin": "records"}
SHAPES = {  # how a collector may hand several records over in one RawEvent
    "array": lambda records, fmt: json.dumps(records),
    "wrapper": lambda records, fmt: json.dumps({WRAPPERS[fmt]: records}),
    "ndjson": lambda records, fmt: "\n".join(json.dumps(r) for r in records),
}
CASES = [
    (fmt, records, shape)
    for fmt, records in TWO
    for shape in SHAPES
    if shape != "wrapper" or fmt in WRAPPERS
]


@pytest.mark.parametrize(("fmt", "records", "shape"), CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_batch_original_json_records_keep_their_own_text(
    fmt: str, records: list[dict[str, Any]], shape: str
) -> None:
    text = SHAPES[shape](records, fmt)
    docs = docs_of(text, fmt)
    assert [orjson.loads(original) for original in originals(docs)] == records
    assert sum(len(original) for original in originals(docs)) <= len(text)
    assert [d["event"]["id"] for d in docs] == ["batch-1", derived_id("batch-1", "1")]
    assert [d["vigie"]["raw_id"] for d in docs] == ["batch-1", "batch-1"]


def test_batch_original_ndjson_keeps_each_line_exactly() -> None:
    lines = [
        json.dumps(okta_event(), indent=None, separators=(", ", ": ")),
        json.dumps(okta_event()),
    ]
    assert originals(docs_of("\n".join(lines) + "\n", "okta")) == lines


def test_batch_original_single_record_keeps_the_whole_text() -> None:
    text = json.dumps(cloudtrail_record(), indent=2) + "\n"
    for wrapped in (text, f'{{"Records": [{text}]}}'):
        assert originals(docs_of(wrapped, "cloudtrail")) == [wrapped]


def test_batch_original_helper_encodes_records_before_the_mapping_takes_keys_out() -> None:
    def destructive(n: int, record: dict[str, Any]) -> dict[str, Any]:
        return {"message": record.pop("m")}

    docs = documents_of('[{"m": "a"}, {"m": "b"}]', destructive)
    assert [d["event"]["original"] for d in docs] == ['{"m":"a"}', '{"m":"b"}']


def test_batch_original_zeek_tsv_documents_keep_their_data_line() -> None:
    second = "1300475168.1\tC2\t192.0.2.2\t53\t198.51.100.2\t53\tudp"
    docs = docs_of(ZEEK_TSV + "\n" + second + "\n#close\t2026-03-02-12-00-00", "zeek")
    assert originals(docs) == [ZEEK_TSV.splitlines()[-1], second]
    assert [d["zeek"]["session_id"] for d in docs] == ["CHhAvVGS1DHFjwGM9", "C2"]


def test_batch_original_zeek_json_documents_keep_their_line() -> None:
    other = ZEEK_CONN.replace("CAcJw21BbVedgFnYH3", "C2")
    assert originals(docs_of(f"{ZEEK_CONN}\n{other}", "zeek.conn")) == [ZEEK_CONN, other]


def test_batch_original_core_keeps_only_a_string_set_by_the_parser() -> None:
    def parser(text: str, ctx: ParseContext) -> list[dict[str, Any]]:
        return [{"event": {"original": "own"}}, {"event": {"original": 7}}, {}]

    outputs = Normalizer({"x": parser}).handle(raw_event("whole", format="x"))
    assert [o.doc["event"]["original"] for o in outputs if isinstance(o, EcsEvent)] == [
        "own", "whole", "whole",
    ]  # fmt: skip
    assert all(o.doc["event"]["ingested"] == "2026-03-02T12:00:00Z" for o in outputs)
