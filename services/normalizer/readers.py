"""The one registration point of file-level readers: whole files → ECS documents, for the
``vigie parse FILE`` and ``vigie detect FILE`` commands.

A ``Reader`` takes a file path and yields one item per record of the file, in order: the record's
ECS document (a plain dict, as a ``Parser`` returns it; the caller adds ids, tenant and
provenance) or a ``ParseError`` for a record that could not be read. It never raises, so the
records in equal the documents plus the errors out. ``READERS`` is keyed by format name, which is
also the file suffix the commands recognise (``.evtx``). Text formats go through ``PARSERS``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from services.normalizer.parsers import evtx
from services.normalizer.parsers.base import Doc, ParseError

Reader = Callable[[Path], Iterator[Doc | ParseError]]

READERS: dict[str, Reader] = {
    "evtx": evtx.read_evtx,
}

__all__ = ["READERS", "Reader"]
