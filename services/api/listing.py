"""One page of a newest-first listing: open the cursor, query one row more than shown, re-cursor."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from services.api.cursor import CursorCodec
from services.api.queries import Keyset, Query, TenantScope
from services.runtime.store import Store

Build = Callable[[Keyset | None, int], Query]


async def fetch_page(
    store: Store,
    cursors: CursorCodec,
    build: Build,
    *,
    endpoint: str,
    scope: TenantScope,
    filters: Any,
    cursor: str | None,
    limit: int,
) -> tuple[list[dict[str, Any]], str | None]:
    """The rows of the page ``cursor`` points to (else the first page) and the next cursor."""
    binding = {"endpoint": endpoint, "scope": scope, "filters": filters}
    after = None if cursor is None else cursors.open(cursor, **binding)
    query = build(after, limit + 1)  # the extra row tells whether another page follows
    rows = await store.query(query.sql, query.parameters)
    return cursors.page(rows, limit, **binding)
