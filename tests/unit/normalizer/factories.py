"""RawEvents and field assertions shared by the normalizer tests."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any, Literal

from schemas.ecs import get_field
from schemas.raw import RawEvent

RECEIVED = datetime(2026, 3, 2, 12, 0, 0, tzinfo=UTC)
ABSENT = object()  # expected value meaning "the field must not be in the document"


def raw_event(
    data: str | bytes,
    *,
    id: str = "raw-1",
    tenant: str = "acme",
    source: str = "syslog-udp:0.0.0.0:514",
    format: str | None = "syslog",
    received_at: datetime = RECEIVED,
    truncated: bool = False,
) -> RawEvent:
    """A RawEvent as the collector makes it: text, or base64 when the bytes are not UTF-8."""
    encoding: Literal["utf8", "base64"] = "utf8"
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text, encoding = base64.b64encode(data).decode(), "base64"
        data = text
    return RawEvent(
        id=id, tenant=tenant, source=source, received_at=received_at, transport="udp",
        format=format, data=data, encoding=encoding, truncated=truncated,
    )  # fmt: skip


def assert_fields(doc: dict[str, Any], expected: dict[str, Any]) -> None:
    """Every dotted path in ``expected`` has exactly that value (``ABSENT``: is missing)."""
    missing = object()
    for path, want in expected.items():
        got = get_field(doc, path, missing)
        if want is ABSENT:
            assert got is missing, f"{path} should be absent, got {got!r}"
        else:
            assert got == want, f"{path}: expected {want!r}, got {got!r}"
