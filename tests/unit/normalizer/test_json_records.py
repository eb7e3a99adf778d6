"""The batch unwrapping and small helpers the JSON-record parsers share."""

from __future__ import annotations

from typing import Any

import pytest

from services.normalizer.parsers import ParseError
from services.normalizer.parsers.json_records import (
    MAX_DEPTH,
    address_port,
    load_records,
    nest_dotted,
    prune,
    split_account,
)

A, B = {"n": 1}, {"n": 2}


@pytest.mark.parametrize(
    ("text", "records"),
    [
        ('{"n": 1}', [A]),
        ('[{"n": 1}, {"n": 2}]', [A, B]),
        ('{"Records": [{"n": 1}, {"n": 2}]}', [A, B]),
        ('{"n": 1}\n\n{"n": 2}\n', [A, B]),  # NDJSON, blank lines skipped
        ('{"Records": [{"n": 1}]}\n{"n": 2}', [A, B]),
        ('{"Records": "not a list", "n": 1}', [{"Records": "not a list", "n": 1}]),
    ],
)
def test_json_records_unwraps_every_batch_shape(text: str, records: list[dict[str, Any]]) -> None:
    assert load_records(text, wrapper="Records") == records


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "not JSON"),
        ('{"n": 1', "not JSON"),
        ('{"n": 1}\n{"n": ', "line 2 is not JSON"),
        ("[]", "empty batch"),
        ('"text"', "record 1 is a JSON string"),
        ('[{"n": 1}, null]', "record 2 is a JSON null"),
        ('{"a": ' * MAX_DEPTH + "1" + "}" * MAX_DEPTH, ""),  # at the limit: accepted
        ('{"a": ' * (MAX_DEPTH + 1) + "1" + "}" * (MAX_DEPTH + 1), "nests deeper"),
    ],
)
def test_json_records_rejects_with_a_reason(text: str, reason: str) -> None:
    if not reason:
        assert len(load_records(text)) == 1
        return
    with pytest.raises(ParseError) as error:
        load_records(text)
    assert reason in error.value.reason


@pytest.mark.parametrize(
    ("blank", "expected"),
    [
        (False, {"b": "", "c": [""], "e": 0, "f": False, "g": {"h": ""}}),
        (True, {"e": 0, "f": False}),
    ],
)
def test_json_records_prune_drops_nulls_and_emptied_containers(
    blank: bool, expected: dict[str, Any]
) -> None:
    value = {"a": None, "b": "", "c": [None, "", {"d": None}], "e": 0, "f": False, "g": {"h": ""}}
    assert prune(value, blank=blank) == expected
    assert prune({"a": {"b": [None]}}) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("198.51.100.7", ("198.51.100.7", None)),
        ("198.51.100.7:8443", ("198.51.100.7", 8443)),
        ("[198.51.100.7]:8443", ("198.51.100.7", 8443)),
        ("2001:db8::7", ("2001:db8::7", None)),
        ("[2001:db8::7]", ("2001:db8::7", None)),
        ("[2001:db8::7]:443", ("2001:db8::7", 443)),
        (" 203.0.113.1 ", ("203.0.113.1", None)),
        ("198.51.100.7:99999", ("198.51.100.7", None)),  # no such port
        ("null", (None, None)),
        ("host.example.com:443", (None, None)),
        ("999.1.1.1", (None, None)),
        (42, (None, None)),
    ],
)
def test_json_records_address_port(text: Any, expected: tuple[str | None, int | None]) -> None:
    assert address_port(text) == expected


def test_json_records_nest_dotted_and_split_account() -> None:
    assert nest_dotted({"a.b": 1, "a.c": 2, "d": 3}) == {"a": {"b": 1, "c": 2}, "d": 3}
    assert split_account("user1@example.com") == ("user1", "example.com")
    assert split_account("a@b@example.com") is None
    assert split_account("@example.com") is None
