"""The one registration point of the normalizer's parsers: literal dicts, found by grep.

``PARSERS`` maps a RawEvent ``format`` hint to a ``Parser`` (one module per source format).
``PROGRAMS`` maps a syslog program name (the tag up to any ``(``) — or a PAM module name, for
``pam_x(...)`` lines from programs with no entry — to the ``ProgramParser`` that reads its message.
Adding a format is one module plus one line here.
"""

from __future__ import annotations

from functools import partial

from services.normalizer.parsers import (
    auditd,
    azure_signin,
    cef,
    checkpoint,
    cisco_asa,
    cloudtrail,
    fortigate,
    leef,
    linux_auth,
    m365_audit,
    okta,
    paloalto,
    pfsense,
    sophos,
    suricata,
    syslog,
    windows,
    zeek,
)
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
    "cloudtrail": cloudtrail.parse,
    "azure_signin": azure_signin.parse,
    "okta": okta.parse,
    "m365_audit": m365_audit.parse,
    "paloalto": paloalto.parse,
    "panos": paloalto.parse,
    "suricata": suricata.parse,
    "zeek": zeek.parse,
    "zeek.conn": partial(zeek.parse, log="conn"),
    "zeek.dns": partial(zeek.parse, log="dns"),
    "zeek.http": partial(zeek.parse, log="http"),
    "zeek.ssl": partial(zeek.parse, log="ssl"),
    "zeek.files": partial(zeek.parse, log="files"),
    "zeek.notice": partial(zeek.parse, log="notice"),
    "zeek.weird": partial(zeek.parse, log="weird"),
    "zeek.ssh": partial(zeek.parse, log="ssh"),
    "zeek.x509": partial(zeek.parse, log="x509"),
    "cef": cef.parse,
    "leef": leef.parse,
    "fortigate": fortigate.parse,
    "cisco_asa": cisco_asa.parse,
    "pfsense": pfsense.parse,
    "checkpoint": checkpoint.parse,
    "sophos": sophos.parse,
    "windows": windows.parse,
    "auditd": auditd.parse,
}

__all__ = ["PARSERS", "PROGRAMS", "Doc", "ParseContext", "ParseError", "Parser", "ProgramParser"]
