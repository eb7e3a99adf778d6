"""The parser contract shared by every source-format module.

A ``Parser`` takes the record text and a ``ParseContext`` and returns one or more nested ECS
documents (plain dicts; the ``Normalizer`` adds ids, tenant and provenance). It raises
``ParseError`` when the text is not the format its hint names. A ``ProgramParser`` reads the
message of one syslog program (``app`` is the syslog tag, e.g. ``sshd`` or ``sshd(pam_unix)``)
and returns the fields to add to the syslog document: a top-level object the syslog header also
wrote (``event``, ``process``, ``vigie``) is updated key by key, any other key is set.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

Doc = dict[str, Any]


@dataclass(frozen=True, slots=True)
class ParseContext:
    received_at: datetime  # aware, UTC: the reference for year inference
    timezone: tzinfo  # for timestamps that carry no offset of their own


Parser = Callable[[str, ParseContext], list[Doc]]
ProgramParser = Callable[[str, str], Doc]


class ParseError(ValueError):
    """The text is not a valid record of the format its hint names."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def utc_iso(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z`` suffix; a naive datetime is taken as UTC."""
    if moment.tzinfo is None:
        return moment.isoformat() + "Z"
    if moment.utcoffset():
        moment = moment.astimezone(UTC)
    return moment.isoformat()[:-6] + "Z"  # drop the "+00:00" isoformat writes for UTC
