"""Shared by the tests of the JSON-record parsers (CloudTrail, Okta, Entra ID, Microsoft 365).

``normalize`` runs records through the real ``Normalizer`` as the HTTP ingest hands them over;
``case_records`` reads the records of a bug-report case meant for one format; ``records`` and
``variants`` feed the property tests with hostile JSON: random values under the keys each parser
reads, alone and laid over a valid record.
"""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any

import orjson
from hypothesis import strategies as st

from schemas.dlq import DeadLetter
from schemas.ecs import EcsEvent
from services.normalizer.core import Normalizer
from services.normalizer.parsers import ParseContext, ParseError, Parser
from tests.conftest import load_cases
from tests.unit.normalizer.factories import RECEIVED, raw_event

CONTEXT = ParseContext(RECEIVED, UTC)
COMMENTARY = {"note"}  # keys of a case's ``expected`` that explain rather than expect
CASE_FORMATS = {"okta_system_log": "okta", "entra_signin": "azure_signin"}  # case source -> hint


def normalize(record: Any, fmt: str, *, timezone: str = "UTC") -> list[dict[str, Any]]:
    """The ECS documents of one RawEvent holding ``record`` (JSON-encoded unless text)."""
    text = record if isinstance(record, str) else json.dumps(record)
    outputs = Normalizer(default_timezone=timezone).handle(
        raw_event(text, format=fmt, source="http:ingest")
    )
    assert outputs and all(isinstance(o, EcsEvent) for o in outputs), outputs
    return [o.doc for o in outputs if isinstance(o, EcsEvent)]


def dead_letter(record: Any, fmt: str) -> str:
    """The error of the dead letter one RawEvent holding ``record`` must produce."""
    text = record if isinstance(record, str) else json.dumps(record)
    (output,) = Normalizer().handle(raw_event(text, format=fmt, source="http:ingest"))
    assert isinstance(output, DeadLetter), output
    return output.error


def case_records(case_id: str, fmt: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(record, expected fields) of a bug-report case for ``fmt`` ([] when the case is absent)."""
    case = load_cases().get(case_id)
    if case is None:
        return []
    given, wanted = case["input"], case["expected"]
    pairs = zip(given, wanted, strict=True) if isinstance(given, list) else [(given, wanted)]
    out = []
    for item, expected in pairs:
        source = item.get("source") if isinstance(item.get("record"), dict) else None
        if source is not None and CASE_FORMATS.get(source) != fmt:
            continue
        record = item["record"] if source is not None else item
        out.append((record, {k: v for k, v in expected.items() if k not in COMMENTARY}))
    return out


JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
    | st.sampled_from(
        [
            "",
            "null",
            "0",
            "-1",
            "2026-12-01T10:00:00Z",
            "198.51.100.7",
            "[2001:db8::1]:443",
            "SUCCESS",
            "Failure",
            "user@example.com",
        ]
    )
)


def records(keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Objects whose keys, at any depth, are mostly the ones a parser reads, with any values."""
    key = st.sampled_from(keys) | st.text(max_size=8)
    values = st.recursive(
        JSON_SCALARS,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(key, inner, max_size=4),
        max_leaves=10,
    )
    return st.dictionaries(key, values, max_size=10)


def variants(base: dict[str, Any], noise: dict[str, Any], text: str) -> list[str]:
    """Hostile texts from one random object: alone, laid over a valid record at its top and in
    each of its objects, in a batch and NDJSON, cut short; plus a random text."""
    laid = [{**base, **noise}]
    laid += [
        {**base, key: {**value, **noise}} for key, value in base.items() if isinstance(value, dict)
    ]
    encoded = [json.dumps(r) for r in (noise, *laid)]
    return [
        *encoded,
        json.dumps(laid),
        "\n".join(encoded),
        encoded[1][: len(encoded[1]) // 2],
        text,
    ]


def parses_or_rejects(parser: Parser, text: str) -> None:
    """A parser's whole contract on hostile input: documents, or a ParseError with a reason."""
    try:
        docs = parser(text, CONTEXT)
    except ParseError as exc:
        assert exc.reason
        return
    assert docs and all(isinstance(doc, dict) for doc in docs)
    orjson.dumps(docs)  # plain JSON data all the way down, as the bus codec needs
