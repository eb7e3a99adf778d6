"""The Service port: what the embedded runner and ``vigie serve`` start, watch and stop."""

from __future__ import annotations

from typing import Protocol


class Service(Protocol):
    stage: str

    @property
    def ready(self) -> bool: ...  # read by the runners only: an attribute or a property

    async def run(self) -> None: ...
    def stop(self) -> None: ...
