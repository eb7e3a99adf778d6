"""Data for the hunt tests: Sigma features as rules, ECS events full of edge cases, positive
events synthesised from any rule, and a chDB store holding one data set at a time.

The events are the oracle's input: the tests compare the hunt's answer with ``rule.matches`` on
the same stored documents, so the values here only need to be varied and tricky, not "right".
Example data only (example.com, documentation address ranges).
"""

from __future__ import annotations

import asyncio
import math
import random
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import product
from pathlib import Path
from typing import Any

import orjson
import yaml

from schemas.ecs import EcsEvent, flatten, get_field, set_field
from services.api.rows import event_row
from services.correlator.model import DetectionRule
from services.correlator.sigma_terms import (
    AllOf,
    AnyOf,
    Boolean,
    Cidr,
    Compare,
    Exists,
    FieldRef,
    Match,
    Number,
    Term,
    Text,
    Value,
    Wild,
)
from services.runtime.store import Store

TENANT, OTHER_TENANT = "t-main", "t-other"
T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
SINCE, UNTIL = T0, T0 + timedelta(hours=1)

TEXTS: list[Any] = [
    "whoami", "WHOAMI /all", "cmd.exe /c WhoAmI", "net user admin", "NET USER", "Net  User",
    "C:\\Windows\\System32\\cmd.exe", "c:\\windows\\system32\\CMD.EXE", "c:\\windows\\",
    "50%_off", "50x_off", "50%xoff", "50%_", "a*b?c", "axbyc", "abc", "a\\*b\\?c",
    "it's \\ \"q\"", "line1\nline2", "line1 line2", "ÉCOLE", "école", "İstanbul", "istanbul",
    "ΟΔΟΣ", "οδος", "", " ", "x", "d2hvYW1p", "powershell -enc d2hvYW1p", "xx3aG9hbWxx",
    "dwBoAG8AYQBtAGkA", "-encodedcommand", "/EncodedCommand", "powershell –encodedcommand x",
    "'); DROP TABLE events; --", "{p0:String}", "\\'", "%", "_", "\\", "who\u0000ami",
    "user@example.com", "host-1.example.com", "HOST-1.example.com",
]  # fmt: skip
NUMBERS: list[Any] = [
    42, 42.0, -1, 0, 4.2, 1e16, 1e15, 1.5e-7, 0.0001, 1e-5, -0.0, 4.0, 1e300, 5e-324,
    18446744073709551615, -9223372036854775808, 9007199254740993, 9007199254740992.0,
    "42", " 42 ", "\u00a042\u3000", "4_2", "٤٢", "+42", "42.0", "4.2e1", "1e400", "inf",
    "-Infinity", "NaN", "0x2a", "4__2", "42abc", "１２", "1e+16", "4.0", "1.5e-07", ".5", "5.",
    "-0", "00042", "1_000.5", "9" * 80, True, False, "true", "TRUE", "False",
]  # fmt: skip
ADDRESSES: list[Any] = [
    "192.0.2.10", " 192.0.2.10\n", "192.0.2.010", "::ffff:192.0.2.10", "::ffff:c000:20a",
    "2001:db8::1", "2001:DB8::1%eth0", "fe80::1%", "2001:db8::1/64", "198.51.100.7",
    "203.0.113.300", "::", "2001:db8:0:0:0:0:0:1:2", "::192.0.2.10", "1:2:3:4:5:6:7::8",
    "2001:0db8::1", "0.0.0.0", "2001:db8:::1", "::ffff:192.0.2.010", "2001:db8::%a%b",
    "1:2:3:4:5:6:192.0.2.1", "\u3000198.51.100.9", "x" * 70,
]  # fmt: skip
OTHERS: list[Any] = [
    ["decoy", "whoami"], [42, "x"], [None, "192.0.2.10"], [["whoami"]], [], [None],
    [{"k": "whoami"}], ["2001:db8::5", 7], [True, "net user admin"], [4.2, "1e+16", 1e16],
    {"k": "whoami"}, None,
]  # fmt: skip
ATOMS = TEXTS + NUMBERS + ADDRESSES + OTHERS
ROUTING: dict[str, list[Any]] = {
    "winlog.channel": ["Security", "security", "Microsoft-Windows-Sysmon/Operational", "System"],
    "event.code": ["4688", 4688, "1", 1, "3", " 4688"],
    "process.name": ["sshd", "SSHD", ["cron", "sshd"], "bash"],
    "event.dataset": ["system.auth", "syslog", "System.Auth"],
    "event.category": ["process", ["network", "process"], "web"],
    "event.type": ["start", ["start", "end"]],
}
FIELDS = [
    "process.command_line", "process.pid", "source.ip", "user.name", "host.name", "flag",
    "a.b.c", "message", "event.original", "x.y.z.w",
]  # fmt: skip
FLOATS = [
    1.0, 1e16, 1e15, 1.5e-7, 1e-4, 1e-5, -0.0, 123456789012345680.0, 5e-324, 2.5e-320, 0.1,
    1e22, 1e100, 1.7976931348623157e308, 2.2250738585072014e-308, 123.456, -9.5e-10,
]  # fmt: skip


def rule_yaml(detection: dict[str, Any], condition: str = "sel", **logsource: str) -> str:
    """A Sigma rule; its fields are ECS names unless the logsource maps them (``vigie_test``
    maps nothing)."""
    document = {
        "title": "hunt test",
        "id": "0d7c43a2-8a4c-4b5e-9c1d-2f3a4b5c6d7e",
        "logsource": logsource or {"product": "vigie_test"},
        "detection": {**detection, "condition": condition},
    }
    return yaml.safe_dump(document, allow_unicode=True)


def _place(doc: dict[str, Any], path: str, value: Any, rng: random.Random) -> None:
    """Set ``path`` in ``doc`` under a random split into keys (``a.b``/``c``, ``a``/``b.c``...)."""
    parts = path.split(".")
    keys, current = [], [parts[0]]
    for part in parts[1:]:
        if rng.random() < 0.3:
            current.append(part)
        else:
            keys.append(".".join(current))
            current = [part]
    keys.append(".".join(current))
    node = doc
    for key in keys[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            child = node[key] = {}
        node = child
    node[keys[-1]] = value
    if len(keys) < len(parts) and rng.random() < 0.3:  # a shadowed or shadowing nested copy too
        set_field(doc, path, rng.choice(ATOMS))


def identified(
    event_id: str, body: dict[str, Any], *, tenant: str = TENANT, at: datetime = T0
) -> dict[str, Any]:
    """The body with its event id, tenant and time (the fields the sink needs)."""
    doc = dict(body)
    event = doc.get("event")
    doc["event"] = {**(event if isinstance(event, dict) else {}), "id": event_id}
    doc["organization"] = {"id": tenant}
    doc["@timestamp"] = at.isoformat().replace("+00:00", "Z")
    return doc


def feature_events() -> list[dict[str, Any]]:
    """Every atom alone in a few fields, float/text pairs, then random mixes with routing."""
    rng = random.Random(7)
    bodies: list[dict[str, Any]] = []
    for atom in ATOMS:
        for path in ("process.command_line", "process.pid", "source.ip", "a.b.c", "flag"):
            doc: dict[str, Any] = {}
            set_field(doc, path, atom)
            bodies.append(doc)
    for number in FLOATS + [_random_float(rng) for _ in range(60)]:
        for spelled in (repr(number), str(int(number)) if abs(number) < 1e300 else "x", "1e16"):
            bodies.append({"user": {"name": number}, "host": {"name": spelled}})
    for channel, code, line in product(ROUTING["winlog.channel"], ROUTING["event.code"], TEXTS[:4]):
        bodies.append(
            {
                "winlog": {"channel": channel},
                "event": {"code": code},
                "process": {"command_line": line},
            }
        )
    for name, message in product(ROUTING["process.name"], ["invalid user x", "USER root", 7]):
        bodies.append({"process": {"name": name}, "message": message})
    for _ in range(700):
        doc = {}
        for path in rng.sample(FIELDS, rng.randint(2, 6)):
            _place(doc, path, rng.choice(ATOMS), rng)
        if rng.random() < 0.15:
            doc["user.name"] = doc["host.name"] = rng.choice(TEXTS)
        for path in rng.sample(sorted(ROUTING), rng.randint(0, 4)):
            _place(doc, path, rng.choice(ROUTING[path]), rng)
        bodies.append(doc)
    return [_scoped(i, body, rng) for i, body in enumerate(bodies)]


def _random_float(rng: random.Random) -> float:
    """Any finite double: random bits, so every exponent and digit count turns up."""
    while not math.isfinite(number := struct.unpack("<d", rng.randbytes(8))[0]):
        pass
    return number


def _scoped(index: int, body: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """Most events in the hunted tenant and hour; some outside either (never returned)."""
    roll = rng.random()
    tenant = OTHER_TENANT if roll < 0.04 else TENANT
    at = T0 - timedelta(seconds=1) if roll > 0.97 else T0 + timedelta(seconds=index)
    if roll > 0.99:
        at = UNTIL
    return identified(f"f{index}", body, tenant=tenant, at=at)


# --- positive events for any rule (the corpus) ---------------------------------------------------


def positives(rule: DetectionRule) -> list[dict[str, Any]]:
    """Bodies that meet the rule's first, then last, alternatives, in five spellings each."""
    out = []
    for choice in (0, -1):
        body: dict[str, Any] = {}
        if rule.detection is not None:
            _fill(rule.detection, body, choice)
        for path, values in rule.route:
            set_field(body, path, values[choice] if values else "present")
        out += list(_spellings(body))
    return out


def _fill(term: Term, body: dict[str, Any], choice: int) -> None:
    if isinstance(term, Match):
        if isinstance(term.value, FieldRef):
            set_field(body, term.field or "message", "same")
            set_field(body, term.value.field, "same")
        elif (value := _example(term.value)) is not None:
            _add(body, term.field or "message", value)
    elif isinstance(term, AllOf):
        for child in term.terms:
            _fill(child, body, choice)
    elif isinstance(term, AnyOf) and term.terms:
        _fill(term.terms[choice], body, choice)


def _add(body: dict[str, Any], path: str, value: Any) -> None:
    """Set a field; a second string for the same field is appended, so both substrings occur."""
    before = get_field(body, path)
    if isinstance(before, str) and isinstance(value, str):
        value = f"{before} {value}"
    set_field(body, path, value)


def _example(value: Value) -> Any:
    if isinstance(value, Text):
        return "".join(
            t if isinstance(t, str) else ("x" if t is Wild.ONE else "") for t in value.tokens
        )
    if isinstance(value, (Number, Boolean)):
        return value.value
    if isinstance(value, Cidr):
        network = value.network
        return str(network.network_address + (1 if network.num_addresses > 1 else 0))
    if isinstance(value, Compare):
        return value.value + (1 if value.op in ("gt", "gte", "neq") else -1)
    if isinstance(value, Exists) and value.present:
        return "present"
    return None  # regular expressions and absent fields are left out


def _spellings(body: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield body
    yield flatten(body)
    yield _mapped(body, lambda v: v.upper() if isinstance(v, str) else v)
    yield _mapped(body, lambda v: ["decoy", v])
    yield _mapped(body, lambda v: str(v) if isinstance(v, (int, float)) else v)


def _mapped(node: Any, leaf: Any) -> Any:
    if isinstance(node, dict):
        return {k: _mapped(v, leaf) for k, v in node.items()}
    return leaf(node)


# --- a store with one data set at a time (chDB opens one folder per process) ---------------------


@dataclass
class Stores:
    root: Path
    name: str | None = None
    store: Store | None = None
    docs: dict[str, dict[str, Any]] = field(default_factory=dict)  # event id -> stored document

    def holding(self, name: str, events: Callable[[], list[dict[str, Any]]]) -> Store:
        """The store filled with ``events()`` (made only when the data set is not open yet)."""
        if self.name != name:
            self.close()
            self.store = Store(f"chdb:///{(self.root / name).as_posix().lstrip('/')}")
            self.docs = asyncio.run(_load(self.store, events()))
            self.name = name
        assert self.store is not None
        return self.store

    def close(self) -> None:
        if self.store is not None:
            asyncio.run(self.store.close())
            self.store, self.name = None, None


async def _load(store: Store, events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    await store.start()
    now = datetime.now(UTC)
    rows = [event_row(EcsEvent(e), retention_days=365, now=now) for e in events]
    await store.insert("events", rows)
    return {row["id"]: orjson.loads(row["doc"]) for row in rows}


def expected(rule: DetectionRule, docs: dict[str, dict[str, Any]]) -> set[str]:
    """What the stream matcher matches among the stored documents inside the hunt's window."""
    return {
        event_id
        for event_id, doc in docs.items()
        if doc["organization"]["id"] == TENANT
        and SINCE <= datetime.fromisoformat(doc["@timestamp"]) < UNTIL
        and rule.matches(doc)
    }
