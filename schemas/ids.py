"""Record identifiers: time-ordered, collision-resistant, stable once assigned."""

from __future__ import annotations

import hashlib
import os
import time


def new_id() -> str:
    """A 32-hex-digit id whose first 12 digits are the millisecond clock (sorts by creation)."""
    return f"{time.time_ns() // 1_000_000:012x}{os.urandom(10).hex()}"


def derived_id(*parts: str) -> str:
    """A deterministic id from parts, so a redelivered input yields the same output id."""
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16).hexdigest()
