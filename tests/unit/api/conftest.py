"""Fixtures for the sink and API tests (data and helpers live in ``data.py``).

chDB opens one data folder per process at a time, so a store is always closed before the next
one opens: function-scoped stores close at the end of their test, and the API data set (a
module-scoped store) is loaded and closed with ``asyncio.run`` around its module.
"""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path

import pytest

from services.runtime.settings import Settings
from services.runtime.store import Store
from tests.unit.api.data import dsn, make_settings


@pytest.fixture
def settings() -> Settings:
    return make_settings()


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = Store(dsn(tmp_path / "store"))
    await opened.start()
    yield opened
    await opened.close()


@pytest.fixture
def berlin_host() -> Iterator[None]:
    """The process runs on Europe/Berlin local time for the test (UTC+2 in June)."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "Europe/Berlin"
    time.tzset()
    try:
        assert datetime(2026, 6, 15, 12).timestamp() == 1781517600  # naive = Berlin wall time
        yield
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()
