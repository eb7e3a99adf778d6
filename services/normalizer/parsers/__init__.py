"""The one registration point of the normalizer's parsers: literal dicts, found by grep.

``PARSERS`` maps a RawEvent ``format`` hint to a ``Parser`` (one module per source format).
``PROGRAMS`` maps a syslog program name (the tag up to any ``(``) — or a PAM module name, for
``pam_x(...)`` lines from programs with no entry — to the ``ProgramParser`` that reads its message.
Adding a format is one module plus one line here.
"""

from __future__ import annotations

from functools import partial

from services.normalizer.parsers import linux_auth, syslog
from services.normalizer.parsers.base import (
    Doc,
    ParseContext,
    ParseError,
    Parser,
    ProgramParser,
)

PROGRAMS: dict[str, ProgramParser] = {
    "sshd": linux_auth.parse_sshd,
    "sudo": linux_auth.parse_sudo,
    "su": linux_auth.parse_su,
    "useradd": linux_auth.parse_account,
    "groupadd": linux_auth.parse_account,
    "usermod": linux_auth.parse_account,
    "userdel": linux_auth.parse_account,
    "groupdel": linux_auth.parse_account,
    "groupmod": linux_auth.parse_account,
    "passwd": linux_auth.parse_account,
    "chage": linux_auth.parse_account,
    "chfn": linux_auth.parse_account,
    "pam_unix": linux_auth.parse_pam,
}

PARSERS: dict[str, Parser] = {
    "syslog": partial(syslog.parse, programs=PROGRAMS),
}

__all__ = ["PARSERS", "PROGRAMS", "Doc", "ParseContext", "ParseError", "Parser", "ProgramParser"]
