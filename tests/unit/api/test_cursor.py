"""Cursors: opaque, signed, and valid only for the listing (endpoint, scope, filters) of origin."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.api.cursor import CursorCodec, InvalidCursor
from services.api.queries import ActionFilter, AlertFilter, Keyset, TenantScope

CODEC = CursorCodec(b"unit-test-secret")
SCOPE_A = TenantScope(frozenset({"tenant-a"}))
HIGH = AlertFilter(level="high")
KEYSET = Keyset(1796119380000, "f-a2")
LISTING: dict[str, Any] = {"endpoint": "alerts", "scope": SCOPE_A, "filters": HIGH}


def issued() -> str:
    return CODEC.issue(KEYSET, **LISTING)


def test_cursor_round_trips_the_keyset() -> None:
    assert CODEC.open(issued(), **LISTING) == KEYSET


def test_cursor_binds_instants_not_their_spelling() -> None:
    paris = timezone(timedelta(hours=1))
    written = AlertFilter(since=datetime(2026, 12, 1, 11, tzinfo=paris))
    token = CODEC.issue(KEYSET, endpoint="alerts", scope=SCOPE_A, filters=written)
    same = AlertFilter(since=datetime(2026, 12, 1, 10, tzinfo=UTC))
    assert CODEC.open(token, endpoint="alerts", scope=SCOPE_A, filters=same) == KEYSET


@pytest.mark.parametrize(
    "other",
    [
        {"endpoint": "actions"},
        {"scope": TenantScope(frozenset({"tenant-b"}))},
        {"scope": TenantScope(None)},
        {"scope": TenantScope(frozenset({"tenant-a", "tenant-b"}))},
        {"filters": AlertFilter(level="low")},
        {"filters": AlertFilter()},
        {"filters": AlertFilter(level="high", rule="rule-brute")},
        {"filters": ActionFilter()},
    ],
)
def test_cursor_is_refused_for_another_listing(other: dict[str, Any]) -> None:
    with pytest.raises(InvalidCursor):
        CODEC.open(issued(), **{**LISTING, **other})


def test_cursor_is_refused_when_signed_with_another_secret() -> None:
    with pytest.raises(InvalidCursor, match="signature"):
        CursorCodec(b"another-secret").open(issued(), **LISTING)


def test_cursor_with_a_rewritten_payload_is_refused() -> None:
    body, signature = issued().split(".")
    payload = orjson.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["b"]["s"] = ["tenant-b"]
    forged = base64.urlsafe_b64encode(orjson.dumps(payload)).rstrip(b"=").decode()
    scope_b = TenantScope(frozenset({"tenant-b"}))
    with pytest.raises(InvalidCursor, match="signature"):
        CODEC.open(f"{forged}.{signature}", **{**LISTING, "scope": scope_b})


@given(st.text(max_size=300) | st.binary(max_size=200).map(lambda b: base64.b64encode(b).decode()))
def test_cursor_garbage_is_refused_cleanly(token: str) -> None:
    with pytest.raises(InvalidCursor):
        CODEC.open(token, **LISTING)


def test_cursor_oversized_token_is_refused() -> None:
    with pytest.raises(InvalidCursor, match="malformed"):
        CODEC.open("a" * 5000 + "." + "b", **LISTING)


def test_cursor_secret_from_setting() -> None:
    token = CursorCodec.from_setting("configured").issue(KEYSET, **LISTING)
    assert CursorCodec.from_setting("configured").open(token, **LISTING) == KEYSET
    random_a, random_b = CursorCodec.from_setting(""), CursorCodec.from_setting("")
    with pytest.raises(InvalidCursor):  # unconfigured: a fresh secret, gone with the process
        random_b.open(random_a.issue(KEYSET, **LISTING), **LISTING)


def test_cursor_page_points_after_the_last_row_shown() -> None:
    rows = [{"at_ms": 30, "id": "c"}, {"at_ms": 20, "id": "b"}, {"at_ms": 10, "id": "a"}]
    shown, token = CODEC.page(rows, 2, **LISTING)
    assert shown == rows[:2]
    assert token is not None and CODEC.open(token, **LISTING) == Keyset(20, "b")
    assert CODEC.page(rows, 3, **LISTING) == (rows, None)
    assert CODEC.page([], 3, **LISTING) == ([], None)
