"""Normaliser bench: ``Normalizer.handle`` CPU cost per format of ``PARSERS``.

Records: the corpus files named in ``CORPUS_FILES`` for the format (a line each, or as
``RECORDS`` splits the file: Zeek TSV files are whole records, Windows files hold JSON events),
else lines made by ``GENERATED_LINES``; a format with neither is reported as skipped. RawEvents
(one per record, fresh ids, one tenant) are made outside the timed part, then handled in batches
until a third of the bench budget (at least 0.5 CPU seconds) was spent. An "event" is a
RawEvent; ``documents_per_cpu_second`` counts the ECS documents out (several per Zeek TSV
record). Skipped entirely, with a note, while ``services/normalizer/core.py`` is absent.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bench import CORPUS
from bench.ecs_sources import USERS, ip
from bench.report import Target, cpu_rate
from schemas.ecs import EcsEvent
from schemas.raw import RawEvent

if TYPE_CHECKING:
    from services.normalizer.core import Normalizer

BATCH = 200  # records per timed batch (a Zeek TSV record is a whole file)
RECEIVED = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
ZEEK_TSV = ("http", "ssl", "files", "notice", "weird", "ssh", "x509")
AUTH_LOGS = (
    "syslog/loghub/OpenSSH/*.log",
    "syslog/loghub/Linux/*.log",
    "syslog/elastic-system-auth/*.log",
)
CORPUS_FILES = {  # format -> corpus globs; a record is a line unless ``RECORDS`` says otherwise
    "syslog": AUTH_LOGS,
    "cloudtrail": ("ecs-expected/aws/cloudtrail/test-*.log",),
    "azure_signin": ("ecs-expected/azure/signinlogs/test-*.log",),
    "okta": ("cloud/okta/*.log",),
    "paloalto": ("ecs-expected/panw/panos/test-*.log",),
    "panos": ("ecs-expected/panw/panos/test-*.log",),
    "suricata": ("ecs-expected/suricata/eve/test-*.log", "network/suricata/**/eve.json"),
    "zeek.conn": ("network/zeek/elastic-json/test-conn.log",),
    "cef": ("network/cef/*.log",),
    "fortigate": ("ecs-expected/fortinet_fortigate/log/test-*.log",),
    "cisco_asa": ("ecs-expected/cisco_asa/log/test-*.log",),
    "pfsense": ("network/firewall/pfsense/*.log",),
    "windows": ("sigma/regression/regression_data/**/*.json",),
    "zeek": ("network/zeek/Baseline/**/*.log",),
    **{f"zeek.{log}": (f"network/zeek/Baseline/**/{log}.log",) for log in ZEEK_TSV},
}
_SPACE = re.compile(r"\s*")


def _generated(make: Callable[[random.Random, int], str]) -> Callable[[int], list[str]]:
    def lines(n: int) -> list[str]:
        rng = random.Random(7)
        return [make(rng, i) for i in range(n)]

    return lines


GENERATED_LINES: dict[str, Callable[[int], list[str]]] = {  # formats the corpus has no file of
    "leef": _generated(lambda r, i: (
        f"LEEF:2.0|Lancope|StealthWatch|1.0|41|^|src={ip(r)}^dst={ip(r)}^srcPort="
        f"{r.randint(1024, 65535)}^dstPort=443^proto=TCP^usrName={r.choice(USERS)}^sev=5"
        f"^devTime={1_764_583_200_000 + i}")),
    "checkpoint": _generated(lambda r, i: (
        f'time="{1_764_583_200 + i}" action="Accept" src="{ip(r)}" dst="{ip(r)}" '
        f's_port="{r.randint(1024, 65535)}" service="443" proto="6" origin="192.0.2.1" '
        f'product="VPN-1 & FireWall-1" ifdir="outbound" rule_name="lan-out"')),
    "sophos": _generated(lambda r, i: (
        f'device="SFW" date=2026-12-01 time=10:00:{i % 60:02} timezone="UTC" device_name="XG230" '
        f'log_id=010101600001 log_type="Firewall" log_component="Firewall Rule" '
        f'log_subtype="Allowed" status="Allow" fw_rule_id=5 user_name="{r.choice(USERS)}" '
        f'src_ip={ip(r)} dst_ip={ip(r)} protocol="TCP" src_port={r.randint(1024, 65535)} '
        f"dst_port=443")),
    "m365_audit": _generated(lambda r, i: json.dumps({
        "CreationTime": f"2026-12-01T10:00:{i % 60:02}", "Id": f"{i:032x}",
        "Operation": r.choice(["UserLoggedIn", "FileAccessed", "Set-Mailbox"]), "RecordType": 15,
        "Workload": "AzureActiveDirectory", "UserId": f"{r.choice(USERS)}@example.com",
        "ClientIP": ip(r), "ResultStatus": "Succeeded"})),
    "auditd": _generated(lambda r, i: (
        f"type=SYSCALL msg=audit(1764583200.{i % 1000:03}:{i}): arch=c000003e syscall=59 "
        f"success=yes exit=0 ppid=1000 pid={r.randint(1001, 60000)} auid=1000 uid=0 gid=0 "
        f'euid=0 tty=pts0 ses=3 comm="bash" exe="/usr/bin/bash" key="exec"')),
}  # fmt: skip


def run(budget: float) -> tuple[dict[str, Any], dict[str, Any], list[Target]]:
    try:
        from services.normalizer.core import Normalizer
        from services.normalizer.parsers import PARSERS
    except ImportError as exc:
        return {}, {"skipped": f"normaliser not available: {exc}"}, []
    per_format = max(0.5, budget / 3)  # two dozen formats: keep the whole run short
    figures: dict[str, Any] = {}
    for fmt in PARSERS:
        records = sample_records(fmt)
        figures[fmt] = (
            measure(Normalizer(), fmt, records, budget=per_format)
            if records
            else {"skipped": "no corpus or generated records for this format"}
        )
    return {"budget_cpu_seconds_per_format": per_format, "batch_events": BATCH}, figures, []


def measure(
    normalizer: Normalizer, fmt: str, records: list[str], *, budget: float
) -> dict[str, Any]:
    outcomes = {"documents": 0, "dead_letters": 0}

    def handle(raw: RawEvent) -> None:
        for out in normalizer.handle(raw):
            outcomes["documents" if isinstance(out, EcsEvent) else "dead_letters"] += 1

    events, cpu = cpu_rate(_batches(fmt, records), handle, budget=budget)
    return {
        "records": len(records), "events": events, "cpu_seconds": round(cpu, 3),
        "events_per_cpu_second": round(events / cpu), "us_per_event": round(cpu / events * 1e6, 2),
        "documents_per_cpu_second": round(outcomes["documents"] / cpu),
        **outcomes,
    }  # fmt: skip


def sample_records(fmt: str) -> list[str]:
    """The records of the corpus files for ``fmt``, else generated ones ([]: neither)."""
    paths = sorted({p for g in CORPUS_FILES.get(fmt, ()) for p in CORPUS.glob(g) if p.is_file()})
    split = RECORDS.get(fmt, str.splitlines)
    records = [r for p in paths for r in split(p.read_text(encoding="utf-8")) if r.strip()]
    if not records and fmt in GENERATED_LINES:
        records = GENERATED_LINES[fmt](2_000)
    return records


def _json_values(text: str) -> Iterator[Any]:
    """The JSON values written one after the other in ``text`` (some files hold several)."""
    decoder, at = json.JSONDecoder(), 0
    while (at := _SPACE.match(text, at).end()) < len(text):  # type: ignore[union-attr]
        value, at = decoder.raw_decode(text, at)
        yield value


def _whole(text: str) -> list[str]:
    return [text]  # a Zeek TSV record is its header lines and data lines together


RECORDS: dict[str, Callable[[str], Iterable[str]]] = {  # how a file splits into records
    "windows": lambda text: (json.dumps(value) for value in _json_values(text)),
    "zeek": _whole,
    **{f"zeek.{log}": _whole for log in ZEEK_TSV},
}


def _batches(fmt: str, records: list[str]) -> Iterator[list[RawEvent]]:
    count = 0
    while True:
        yield [_raw(fmt, n, records[n % len(records)]) for n in range(count, count + BATCH)]
        count += BATCH


def _raw(fmt: str, n: int, line: str) -> RawEvent:
    return RawEvent(
        id=f"{n:032x}", tenant="bench", source="bench", received_at=RECEIVED, transport="udp",
        format=fmt, data=line,
    )  # fmt: skip
