"""Syslog headers (RFC 5424, RFC 3164 and real-world variants) → ECS fields, line by line."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Any

import pytest

from services.normalizer.core import zone
from services.normalizer.parsers import PARSERS, ParseContext
from tests.unit.normalizer.factories import ABSENT, RECEIVED, assert_fields


def parse(line: str, *, tz: tzinfo = UTC, received_at: datetime = RECEIVED) -> dict[str, Any]:
    docs = PARSERS["syslog"](line, ParseContext(received_at, tz))
    assert len(docs) == 1
    return docs[0]


RFC5424 = [
    pytest.param(
        "<34>1 2026-10-11T22:14:15.003Z mymachine.example.com su - ID47 - "
        "\ufeff'su root' failed for lonvick on /dev/pts/8",
        {
            "log.syslog.priority": 34,
            "log.syslog.facility.code": 4,
            "log.syslog.facility.name": "auth",
            "log.syslog.severity.code": 2,
            "log.syslog.severity.name": "critical",
            "log.syslog.version": "1",
            "log.syslog.hostname": "mymachine.example.com",
            "host.hostname": "mymachine.example.com",
            "log.syslog.appname": "su",
            "process.name": "su",
            "log.syslog.procid": ABSENT,
            "process.pid": ABSENT,
            "log.syslog.msgid": "ID47",
            "log.syslog.structured_data": ABSENT,
            "@timestamp": "2026-10-11T22:14:15.003Z",
            "message": "'su root' failed for lonvick on /dev/pts/8",
        },
        id="rfc-example-bom-stripped",
    ),
    pytest.param(
        "<165>1 2026-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time.",
        {
            "@timestamp": "2026-08-24T12:14:15.000003Z",
            "host.hostname": "192.0.2.1",
            "log.syslog.procid": "8710",
            "process.pid": 8710,
            "log.syslog.msgid": ABSENT,
            "message": "%% It's time.",
            "event.dataset": "syslog",
            "event.module": "syslog",
        },
        id="microseconds-negative-offset",
    ),
    pytest.param(
        "<14>1 2026-01-01T05:30:00+05:30 h a - - - m",
        {"@timestamp": "2026-01-01T00:00:00Z", "message": "m"},
        id="half-hour-offset",
    ),
    pytest.param(
        "<13>1 - - - - - -",
        {
            "@timestamp": ABSENT,
            "host.hostname": ABSENT,
            "log.syslog.appname": ABSENT,
            "process": ABSENT,
            "log.syslog.version": "1",
            "message": "",
        },
        id="all-nilvalues",
    ),
    pytest.param(
        '<13>1 2026-01-01T00:00:00Z h a p m [id k="v"]',
        {"log.syslog.structured_data": {"id": {"k": "v"}}, "message": ""},
        id="sd-without-msg",
    ),
    pytest.param(
        '<13>1 2026-01-01T00:00:00Z h a - - [origin][meta x="1" y="a=b c" u="\u00e9"] m',
        {
            "log.syslog.structured_data": {
                "origin": {},
                "meta": {"x": "1", "y": "a=b c", "u": "é"},
            },
            "message": "m",
        },
        id="sd-empty-element-and-plain-values",
    ),
    pytest.param(
        '<13>1 2026-01-01T00:00:00Z h a - - [id k="unterminated] rest',
        {"log.syslog.structured_data": ABSENT, "message": '[id k="unterminated] rest'},
        id="malformed-sd-kept-in-message",
    ),
    pytest.param(
        "<13>1 2026-01-01T00:00:00Z h app worker-3 - - hi",
        {"log.syslog.procid": "worker-3", "process.pid": ABSENT, "process.name": "app"},
        id="non-numeric-procid",
    ),
    pytest.param(
        "<13>1 2026-13-01T00:00:00Z h app - - - bad month",
        {"@timestamp": ABSENT, "message": "bad month", "host.hostname": "h"},
        id="invalid-timestamp-keeps-the-rest",
    ),
]

RFC3164 = [
    pytest.param(
        "<13>Feb  5 17:32:18 10.0.0.99 myapp[1234]: Use the BFG!",
        {
            "log.syslog.priority": 13,
            "log.syslog.facility.name": "user",
            "log.syslog.severity.name": "notice",
            "log.syslog.version": ABSENT,
            "@timestamp": "2026-02-05T17:32:18Z",
            "host.hostname": "10.0.0.99",
            "log.syslog.hostname": "10.0.0.99",
            "log.syslog.appname": "myapp",
            "log.syslog.procid": "1234",
            "process.name": "myapp",
            "process.pid": 1234,
            "message": "Use the BFG!",
            "event.dataset": "syslog",
        },
        id="with-pri",
    ),
    pytest.param(
        "Mar  1 10:00:00 host-a cron: job done",
        {
            "log.syslog.priority": ABSENT,
            "log.syslog.facility": ABSENT,
            "process.name": "cron",
            "process.pid": ABSENT,
            "host.hostname": "host-a",
            "message": "job done",
        },
        id="no-pri-program-without-pid",
    ),
    pytest.param(
        "Mar  1 10:00:00 sshd[42]: Server listening on 0.0.0.0 port 22.",
        {"host.hostname": ABSENT, "process.name": "sshd", "process.pid": 42},
        id="missing-hostname",
    ),
    pytest.param(
        "Feb 22 10:21:43  app[1332]: hi",
        {"host.hostname": ABSENT, "process.name": "app", "message": "hi"},
        id="empty-hostname",
    ),
    pytest.param(
        "Mar  1 10:00:00 2001:db8::1 app[3]: v6",
        {"host.hostname": "2001:db8::1", "process.name": "app", "message": "v6"},
        id="ipv6-hostname-is-not-a-tag",
    ),
    pytest.param(
        "Mar  1 10:00:00 h prog[12] no colon",
        {"process.name": "prog", "process.pid": 12, "message": "no colon"},
        id="pid-without-colon",
    ),
    pytest.param(
        "Mar  1 10:00:00 h app:    padded",
        {"message": "padded"},
        id="padding-after-tag",
    ),
    pytest.param(
        "Mar  1 10:00:00.250 h app: frac",
        {"@timestamp": "2026-03-01T10:00:00.250Z"},
        id="fractional-seconds",
    ),
    pytest.param(
        "2026-03-01T10:00:00.123456+01:00 host-a app[7]: iso",
        {"@timestamp": "2026-03-01T09:00:00.123456Z", "host.hostname": "host-a", "message": "iso"},
        id="iso-timestamp-with-offset",
    ),
    pytest.param(
        "<166>Mar 01 2026 10:00:00 fw-1 : %ASA-6-302013: Built inbound TCP connection",
        {
            "log.syslog.facility.name": "local4",
            "log.syslog.severity.name": "informational",
            "@timestamp": "2026-03-01T10:00:00Z",
            "host.hostname": "fw-1",
            "process": ABSENT,
            "message": "%ASA-6-302013: Built inbound TCP connection",
        },
        id="cisco-year-and-no-tag",
    ),
    pytest.param(
        "<166>%ASA-6-302013: Built",
        {"log.syslog.priority": 166, "@timestamp": ABSENT, "message": "%ASA-6-302013: Built"},
        id="pri-without-header",
    ),
    pytest.param(
        "hello world",
        {"log": ABSENT, "@timestamp": ABSENT, "message": "hello world"},
        id="plain-text",
    ),
    pytest.param(
        "<999>Mar  1 10:00:00 h a: m",
        {"log": ABSENT, "message": "<999>Mar  1 10:00:00 h a: m"},
        id="out-of-range-pri-is-text",
    ),
    pytest.param(
        "Feb 29 10:00:00 h a: leap",
        {"@timestamp": ABSENT, "process.name": "a", "message": "leap"},
        id="feb-29-in-no-nearby-leap-year",
    ),
    pytest.param(
        "Mar  1 10:00:00 h app[1]: last message repeated 3 times",
        {"vigie.repeat_count": 3, "message": "last message repeated 3 times"},
        id="last-message-repeated",
    ),
]


@pytest.mark.parametrize(("line", "expected"), RFC5424 + RFC3164)
def test_syslog_header_fields(line: str, expected: dict[str, Any]) -> None:
    assert_fields(parse(line), expected)


NY = "America/New_York"


@pytest.mark.parametrize(
    ("line", "tz", "received", "timestamp"),
    [
        ("Dec 31 23:59:59 h a: m", "UTC", "2026-01-01T00:10", "2025-12-31T23:59:59Z"),
        ("Jan  1 00:00:01 h a: m", "UTC", "2026-12-31T23:59", "2027-01-01T00:00:01Z"),
        ("Jul  1 00:00:00 h a: m", "UTC", "2026-01-01T00:00", "2025-07-01T00:00:00Z"),
        ("Jul  3 00:00:00 h a: m", "UTC", "2026-01-01T00:00", "2025-07-03T00:00:00Z"),
        ("Feb 29 10:00:00 h a: m", "UTC", "2028-03-01T00:00", "2028-02-29T10:00:00Z"),
        # New York: UTC-5 in winter, UTC-4 in summer; the year is chosen in local time.
        ("Dec 31 20:00:00 h a: m", NY, "2026-01-01T00:30", "2026-01-01T01:00:00Z"),
        ("Jul  1 10:00:00 h a: m", NY, "2026-07-01T00:00", "2026-07-01T14:00:00Z"),
        ("2026-07-01T10:00:00 h a: m", "Europe/Paris", "2026-03-02T12:00", "2026-07-01T08:00:00Z"),
        ("2026-07-01T10:00:00Z h a: m", "Europe/Paris", "2026-03-02T12:00", "2026-07-01T10:00:00Z"),
        ("<13>1 2026-07-01T10:00:00+00:00 h a - - - m", "Europe/Paris", "2026-03-02T12:00",
         "2026-07-01T10:00:00Z"),
    ],
)  # fmt: skip
def test_syslog_timestamp_zone_and_year(line: str, tz: str, received: str, timestamp: str) -> None:
    received_at = datetime.fromisoformat(received).replace(tzinfo=UTC)
    assert parse(line, tz=zone(tz), received_at=received_at)["@timestamp"] == timestamp


@pytest.mark.parametrize(
    ("priority", "facility", "severity"),
    [
        (0, "kern", "emergency"),
        (34, "auth", "critical"),
        (86, "authpriv", "informational"),
        (131, "local0", "error"),
        (191, "local7", "debug"),
    ],
)
def test_syslog_priority_names(priority: int, facility: str, severity: str) -> None:
    doc = parse(f"<{priority}>Mar  1 10:00:00 h a: m")
    assert_fields(
        doc,
        {
            "log.syslog.priority": priority,
            "log.syslog.facility.code": priority // 8,
            "log.syslog.facility.name": facility,
            "log.syslog.severity.code": priority % 8,
            "log.syslog.severity.name": severity,
        },
    )


def test_syslog_sd_escapes_only_quote_backslash_bracket() -> None:
    line = r'<13>1 2026-01-01T00:00:00Z h a - - [x@1 a="\"q\"" b="\\" c="\]" d="\n\t" e="end\\"] m'
    sd = parse(line)["log"]["syslog"]["structured_data"]
    assert sd == {"x@1": {"a": '"q"', "b": "\\", "c": "]", "d": r"\n\t", "e": "end\\"}}


def test_syslog_repeated_message_is_read_by_the_program_parser() -> None:
    doc = parse(
        "Dec 10 07:13:56 LabSZ sshd[24227]: message repeated 5 times: "
        "[ Failed password for root from 203.0.113.9 port 42393 ssh2]"
    )
    assert_fields(
        doc,
        {
            "vigie.repeat_count": 5,
            "event.outcome": "failure",
            "event.dataset": "system.auth",
            "source.ip": "203.0.113.9",
            "source.port": 42393,
            "user.name": "root",
            "message": "message repeated 5 times: "
            "[ Failed password for root from 203.0.113.9 port 42393 ssh2]",
        },
    )
