"""The Service port: what the embedded runner and ``vigie serve`` start, watch and stop."""

from __future__ import annotations

from typing import Protocol


class Service(Protocol):
    stage: str
    ready: bool

    async def run(self) -> None: ...
    def stop(self) -> None: ...
