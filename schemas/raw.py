"""RawEvent: one received log record, as the collector saw it (topic ``raw.events``)."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

Transport = Literal["udp", "tcp", "tls", "http", "file"]


class RawEvent(BaseModel):
    """The collector's record of one log line or item.

    ``data`` holds the original text when it was valid UTF-8 (``encoding="utf8"``) and the
    base64 of the original bytes otherwise, so nothing is altered or lost on the way.
    """

    model_config = ConfigDict(frozen=True)

    id: str
    tenant: str
    source: str
    received_at: datetime
    transport: Transport
    peer: str | None = None
    format: str | None = None
    data: str
    encoding: Literal["utf8", "base64"] = "utf8"
    truncated: bool = False
    original_size: int = 0

    def text(self) -> str:
        """The record as text; invalid UTF-8 bytes are shown as U+FFFD."""
        if self.encoding == "utf8":
            return self.data
        return base64.b64decode(self.data).decode("utf-8", errors="replace")
