"""Store: ClickHouse through clickhouse-connect; ``chdb:///path`` and ``http://host:8123`` alike.

The chDB backend is synchronous and one data folder belongs to one process, so every call runs on
one dedicated thread (``asyncio`` callers never block, and chDB is never entered concurrently).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import clickhouse_connect

from schemas import ddl


class StoreError(RuntimeError):
    pass


class Store:
    def __init__(self, dsn: str) -> None:
        if not dsn.startswith(("chdb://", "http://", "https://", "clickhouse://")):
            raise StoreError(f"unsupported store DSN {dsn!r}: use chdb:///path or http://host:8123")
        self.dsn = dsn
        self._client: Any = None
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vigie-store")

    async def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, lambda: fn(*args, **kwargs))

    def _connect(self) -> None:
        if self.dsn.startswith("chdb://"):
            Path("/" + self.dsn.removeprefix("chdb://").lstrip("/")).mkdir(parents=True, exist_ok=True)
        self._client = clickhouse_connect.get_client(dsn=self.dsn)
        for statement in ddl.statements():
            self._client.command(statement)

    async def start(self) -> None:
        await self._call(self._connect)

    async def close(self) -> None:
        if self._client is not None:
            await self._call(self._client.close)
            self._client = None
        self._thread.shutdown(wait=True)

    async def insert(self, table: str, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        columns = list(rows[0])
        data = [[row[c] for c in columns] for row in rows]
        await self._call(self._client.insert, table, data, column_names=columns)

    async def query(self, sql: str, parameters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        result = await self._call(self._client.query, sql, parameters=parameters or {})
        names = result.column_names
        return [dict(zip(names, row, strict=True)) for row in result.result_rows]

    async def command(self, sql: str, parameters: dict[str, Any] | None = None) -> Any:
        return await self._call(self._client.command, sql, parameters=parameters or {})
