"""Linux audit records (auditd ``audit.log``, RAW or ENRICHED format) → ECS, as Elastic's ``auditd``
integration (``auditd.log`` data stream) maps them.

Input (format hint ``auditd``), one record per text: ``[node=N ]type=T msg=audit(EPOCH:SERIAL):
key=value ...``. User-space records carry ``msg='key=value ...'``, whose pairs are read too;
ENRICHED format's interpretations after the 0x1D separator keep their upper-case keys
(``UID="root"``, as Elastic keeps them); the kernel's printk form ``audit: type=1400
audit(...): ...`` and ``type=T`` without ``msg=audit(...)`` are read as well; any of these may
follow a syslog header (audispd, rsyslog, kernel), whose ``log.syslog`` and ``host.hostname`` are
kept. A numeric type (``1300``) is named (``SYSCALL``) when the kernel's table has it.

Fields out: ``auditd.log.*`` (every key of the record plus ``record_type``, ``sequence`` and
``node``; quotes removed, hex-encoded text decoded, ``?``/``(null)``/empty values dropped,
``success`` as a boolean, ports and sizes as numbers), ``@timestamp`` from the record's epoch,
``event.kind/action/category/type/outcome``, ``event.module`` = ``auditd``, ``event.dataset`` =
``auditd.log``, ``user.*`` (per record type: ``user``, ``user.effective``, ``user.target``,
``group``; then id, group.id, audit.id, effective.id, saved.id, filesystem.id, owner.id, name,
terminal), ``process.*`` (pid, parent.pid, name, executable, args, args_count, exit_code,
working_directory), ``host.architecture``, ``network.direction``, ``source.address/ip``,
``destination.address``, ``container.name/runtime``, ``message``, ``related.user/ip``.

Where Vigie differs from Elastic: ``event.action`` is one string (Elastic leaves a one-element
list when its table names the action); the keys Elastic moves to ECS fields also stay in
``auditd.log`` (Sigma's auditd rules name raw keys: ``a0``, ``key``, ``unit``, ``exe``...);
EXECVE arguments are hex-decoded and ``aN[i]`` chunks joined; a SYSCALL's ``success=no`` sets
``event.outcome`` when no ``res`` does; PROCTITLE's NUL separators become spaces.

Out of scope, knowingly: one text is one record. The records of one event (SYSCALL, EXECVE,
PATH, CWD, PROCTITLE sharing ``audit(...:SERIAL)``) are not assembled into one document; each
carries ``auditd.log.sequence`` so that a consumer can group them.

Errors (``ParseError``): no ``type=`` record in the text, after an optional syslog header.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from schemas.ecs import get_field, set_field
from services.normalizer.parsers.auditd_tables import (
    AVC_ACTIONS,
    BOOLEAN_KEYS,
    EGRESS_SYSCALLS,
    HEX_KEYS,
    INGRESS_SYSCALLS,
    NUMBER_KEYS,
    NUMERIC_TYPES,
    RECORD_TYPES,
    SYSCALLS,
    Action,
)
from services.normalizer.parsers.base import Doc, ParseContext, ParseError
from services.normalizer.parsers.network import add_related, is_ip
from services.normalizer.parsers.syslog import split_header

_RECORD = re.compile(
    r"(?:node=(\S+) )?type=(\S+)(?: (?:msg=)?audit\(([0-9]{1,11})(?:\.([0-9]{1,9}))?"
    r":([0-9]{1,20})\):?)?"
)
_RECORD_START = re.compile(r"(?:node=\S+ )?type=\S+ (?:msg=)?audit\(")
_PAIR = re.compile(r"""(?:\b(old|new) )?([A-Za-z0-9_\-\[\]]{1,64})=("[^"]*"|'[^']*'|\S*)""")
_ARG = re.compile(r"a([0-9]{1,6})(?:\[([0-9]{1,6})\])?")
_INTEGER = re.compile(r"-?[0-9]{1,18}")
_HEX = re.compile(r"(?:[0-9A-Fa-f]{2})+")
_NO_VALUE = frozenset({"?", "(null)", ""})
_CARET = {i: f"^{chr(i ^ 64)}" for i in (*range(32), 127)}  # control bytes as ^X (Elastic)
_RENAMES = (
    ("acct", "user.name"), ("user", "user.name"), ("uid", "user.id"), ("gid", "user.group.id"),
    ("agid", "user.audit.group.id"), ("auid", "user.audit.id"),
    ("fsgid", "user.filesystem.group.id"), ("fsuid", "user.filesystem.id"),
    ("egid", "user.effective.group.id"), ("euid", "user.effective.id"),
    ("sgid", "user.saved.group.id"), ("suid", "user.saved.id"),
    ("ogid", "user.owner.group.id"), ("ouid", "user.owner.id"), ("comm", "process.name"),
    ("exe", "process.executable"), ("cwd", "process.working_directory"),
    ("terminal", "user.terminal"),
)  # fmt: skip
_INTEGER_RENAMES = (("pid", "process.pid"), ("ppid", "process.parent.pid"),
                    ("exit", "process.exit_code"), ("argc", "process.args_count"))  # fmt: skip
_OUTCOMES = {"1": "success", "success": "success", "0": "failure", "failed": "failure"}
_VIRT_TYPES = {"start": "start", "stop": "end", "create": "creation", "delete": "deletion"}


def parse(text: str, ctx: ParseContext) -> list[Doc]:
    doc: Doc = {}
    if not text.startswith(("type=", "node=")):
        header, message = split_header(text, ctx)
        start = _RECORD_START.search(message)
        if start is None:
            raise ParseError("not an audit record: no 'type=... audit(...)' after the header")
        text = message[start.start() :]
        if isinstance(syslog := get_field(header, "log.syslog"), dict):
            doc["log"] = {"syslog": syslog}
        if isinstance(hostname := get_field(header, "host.hostname"), str):
            doc["host"] = {"hostname": hostname}
    record = _RECORD.match(text)
    if record is None:
        raise ParseError("not an audit record: it does not start with type=")
    node, kind, epoch, fraction, serial = record.groups()
    kind = NUMERIC_TYPES.get(kind, kind)
    log = _pairs(text[record.end() :], kind == "EXECVE")
    log["record_type"] = kind
    if node:
        log["node"] = node
    if serial:
        log["sequence"] = int(serial)
    if epoch and (stamp := _timestamp(epoch, fraction)):
        doc["@timestamp"] = stamp
    doc["auditd"] = {"log": log}
    doc["event"] = {"kind": "event", "module": "auditd", "dataset": "auditd.log"}
    _categorize(doc, log)
    _ecs_fields(doc, log)
    if kind == "EXECVE":
        _execve_args(doc, log)
    return [doc]


def _pairs(text: str, execve: bool) -> dict[str, Any]:
    """The record's ``key=value`` pairs, those of a quoted ``msg='...'`` included."""
    log: dict[str, Any] = {}
    for prefix, key, raw in _PAIR.findall(text):
        if prefix and key in ("auid", "ses"):
            key = f"{prefix}_{key}"  # LOGIN's "old auid=1 new auid=2" and "old-auid=1"
        elif key in ("old-auid", "new-auid", "old-ses", "new-ses"):
            key = key.replace("-", "_")
        if key == "msg" and raw.startswith("'"):
            inner = raw[1:-1] if raw.endswith("'") and len(raw) > 1 else raw[1:]
            log.update(_pairs(inner, execve))
            if "=" not in inner and inner.strip():
                log["msg"] = inner.strip()
            continue
        value = _arg(raw) if execve and _ARG.fullmatch(key) else _clean(key, raw)
        if value is not None:
            log[key] = value
    return log


def _clean(key: str, raw: str) -> Any:
    if raw in _NO_VALUE:
        return None
    if len(raw) > 1 and raw[0] in "\"'" and raw[-1] == raw[0]:
        value = raw[1:-1]  # quoted: the text itself
    elif key in HEX_KEYS and _HEX.fullmatch(raw):
        value = _decoded(raw, key == "proctitle", only_if_needed=True)
    else:
        value = raw
    if key in BOOLEAN_KEYS:
        return value.lower() in ("yes", "true", "1")
    if key in NUMBER_KEYS and value.isdigit() and len(value) <= 18:
        return int(value)
    if key == "arch" and value == "c000003e":
        return "x86_64"
    return value


def _arg(raw: str) -> str | None:
    """An EXECVE argument: quoted text as it is, unquoted hex decoded."""
    if len(raw) > 1 and raw[0] == '"' and raw[-1] == '"':
        return raw[1:-1]
    if _HEX.fullmatch(raw):
        return _decoded(raw, False, only_if_needed=False)
    return raw or None


def _decoded(hexed: str, argv: bool, *, only_if_needed: bool) -> str:
    data = bytes.fromhex(hexed)
    # auditd hex-encodes text only when it holds a space, a quote or a control byte; other
    # hex-looking values ("cafe", a number) are kept as written, as Elastic does.
    if only_if_needed and not any(b < 33 or b in (34, 127) for b in data):
        return hexed
    if argv:
        data = data.rstrip(b"\x00").replace(b"\x00", b" ")  # argv joined as a command line
    return data.decode("utf-8", "replace").translate(_CARET)


def _timestamp(epoch: str, fraction: str | None) -> str | None:
    try:
        moment = datetime.fromtimestamp(int(epoch), UTC)
    except (OverflowError, OSError, ValueError):
        return None
    seconds = moment.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{seconds}.{fraction}Z" if fraction else f"{seconds}Z"


def _categorize(doc: Doc, log: dict[str, Any]) -> None:
    kind, event = log["record_type"], doc["event"]
    syscall = str(log.get("SYSCALL") or log.get("syscall") or "")
    action: Action | None = RECORD_TYPES.get(kind)
    if kind == "AVC":
        action = next((a for key, a in AVC_ACTIONS if key in log), None)
    if action is None and kind == "SYSCALL":
        action = SYSCALLS.get(syscall) or Action(kind.lower(), ("process",), ("info",))
    event["action"] = action.action if action else kind.lower()
    if action and action.category:
        event["category"] = list(action.category)
    if action and action.type:
        event["type"] = list(action.type)
    if kind == "SYSCALL" and syscall == "execve":
        event["category"], event["type"] = ["process"], ["info"]  # one record of the exec
    if kind == "SYSCALL" and syscall in INGRESS_SYSCALLS | EGRESS_SYSCALLS:
        set_field(doc, "network.direction", "ingress" if syscall in INGRESS_SYSCALLS else "egress")
    if kind == "VIRT_CONTROL" and log.get("op") in _VIRT_TYPES:
        event["type"] = [_VIRT_TYPES[log["op"]]]
    if kind == "VIRT_MACHINE_ID":
        event["type"] = ["creation"]
        _put(doc, "container.name", log.get("vm"))
        _put(doc, "container.runtime", log.get("virt"))
    for sources, target in action.copy if action else ():
        value = next((log[key] for key in sources if isinstance(log.get(key), str)), None)
        if value is not None:
            set_field(doc, f"{target}.{'id' if value.isdigit() else 'name'}", value)


def _ecs_fields(doc: Doc, log: dict[str, Any]) -> None:
    _put(doc, "host.architecture", log.get("arch"))
    for key, path in _RENAMES:
        if isinstance(log.get(key), str) and _get(doc, path) is None:
            set_field(doc, path, log[key])
    for key, path in _INTEGER_RENAMES:
        value = log.get(key)
        if isinstance(value, str) and _INTEGER.fullmatch(value):
            set_field(doc, path, int(value))
    if isinstance(command := log.get("cmd"), str):
        set_field(doc, "process.args", command.split())
        set_field(doc, "process.args_count", len(command.split()))
    _put(doc, "message", log.get("msg"))
    res = log.get("res")
    if isinstance(res, str):
        doc["event"]["outcome"] = _OUTCOMES.get(res, "unknown")
    elif isinstance(success := log.get("success"), bool):
        doc["event"]["outcome"] = "success" if success else "failure"
    source = log.get("src") if isinstance(log.get("src"), str) else log.get("addr")
    _put(doc, "source.address", source)
    _put(doc, "destination.address", log.get("dst"))
    if isinstance(source, str) and is_ip(source):
        set_field(doc, "source.ip", source)
    for path in ("user.name", "user.effective.name", "user.target.name"):
        add_related(doc, "user", _get(doc, path))
    add_related(doc, "ip", _get(doc, "source.ip"))


def _execve_args(doc: Doc, log: dict[str, Any]) -> None:
    """``process.args`` from ``a0``..``aN`` (and ``aN[i]`` chunks, joined in order)."""
    chunks: dict[int, list[tuple[int, str]]] = {}
    for key, value in log.items():
        if (arg := _ARG.fullmatch(key)) and isinstance(value, str):
            chunk = int(arg.group(2)) if arg.group(2) is not None else -1
            chunks.setdefault(int(arg.group(1)), []).append((chunk, value))
    if not chunks:
        return
    indexes = sorted(chunks)
    args = ["".join(value for _, value in sorted(chunks[i])) for i in indexes]
    if indexes[0] == 0:
        set_field(doc, "process.executable", args[0])
    else:
        args.insert(0, f"[... {indexes[0]} truncated arguments ...]")
    set_field(doc, "process.args", args)
    if _get(doc, "process.args_count") is None:
        set_field(doc, "process.args_count", len(args))


def _put(doc: Doc, path: str, value: Any) -> None:
    if isinstance(value, str) and value:
        set_field(doc, path, value)


def _get(doc: Doc, path: str) -> Any:
    """The value at ``path`` of a document this module built (no dotted keys: a plain walk)."""
    node: Any = doc
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node
