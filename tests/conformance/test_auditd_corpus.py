"""The corpus's Linux syslog file under the ``auditd`` hint: it holds no auditd record.

``syslog/loghub/Linux/Linux_2k.log`` has two kernel printk lines about the audit subsystem
("audit: initializing netlink socket", "audit(1122475266.4294965305:0): initialized"), without a
``type=`` field: they are no audit records (the syslog parser reads them). Under the ``auditd``
hint every line of the file must come out as a dead letter with the parser's reason, none lost.
"""

from __future__ import annotations

from pathlib import Path

from schemas.dlq import DeadLetter
from services.normalizer.core import Normalizer
from tests.unit.normalizer.factories import raw_event

LINUX_LOG = Path("syslog/loghub/Linux/Linux_2k.log")


def test_auditd_corpus_linux_syslog_has_no_audit_record(corpus: Path) -> None:
    lines = (corpus / LINUX_LOG).read_bytes().split(b"\n")
    lines = [line for line in lines if line.strip()]
    normalizer = Normalizer()
    outputs = [
        normalizer.handle(raw_event(line, id=f"linux-{n}", format="auditd"))
        for n, line in enumerate(lines)
    ]
    assert all(len(output) == 1 for output in outputs) and len(outputs) == len(lines) == 2000
    letters = [output[0] for output in outputs if isinstance(output[0], DeadLetter)]
    assert len(letters) == len(lines)
    audit_lines = [n for n, line in enumerate(lines) if b"audit" in line]
    assert len(audit_lines) == 2
    for n in audit_lines:
        assert "auditd: not an audit record" in letters[n].error
