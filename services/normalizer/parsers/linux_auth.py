"""Linux authentication messages → ECS, named as Elastic's ``system.auth`` integration names them.

Programs: sshd, sudo, su, the shadow account tools (useradd, groupadd, usermod, userdel,
groupdel, groupmod, passwd, chage, chfn) and PAM lines from any program (``pam_unix(sshd:auth):
...``, or the bare message of an old ``sshd(pam_unix)`` tag, whose ``process.name`` is ``sshd``).

Every result carries ``event.kind: event``, ``event.module: system``, ``event.dataset:
system.auth``; recognised messages add ``event.category/type/action/outcome``, ``user.*``,
``source.ip|domain/port``, ``group.*``, ``system.auth.ssh.*`` / ``sudo.*`` / ``useradd.*`` and
``related.user/ip``. Unrecognised messages of these programs keep only that base.

User names are attacker-controlled: sshd puts the real peer last, so every sshd pattern takes the
address from the trailing ``from <addr> port <n>[ ssh2]`` (a greedy user group anchors it).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from services.normalizer.parsers.base import Doc

Handler = Callable[[Doc, str, str], None]

_SSH_LOGIN = re.compile(
    r"(Accepted|Failed) (\S+) for (invalid user )?(.*) from (\S+) port ([0-9]{1,5})"
    r"(?: ssh[12])?(?:: (.*))?",
    re.S,
)
_SSH_INVALID = re.compile(r"[Ii]nvalid user (.*) from (\S+)(?: port ([0-9]{1,5}))?", re.S)
_SSH_PAM_ERROR = re.compile(
    r"error: PAM: [Aa]uthentication failure for (?:illegal user |invalid user )?(.*) from (\S+)",
    re.S,
)
_SSH_CLOSED = re.compile(
    r"(?:Connection closed by|Disconnected from) (?:(?:authenticating |invalid )?user (.*) )?"
    r"(\S+) port ([0-9]{1,5})(?: \[preauth\])?",
    re.S,
)
_SSH_CLOSED_OLD = re.compile(r"Connection closed by (\S+)(?: \[preauth\])?")
# The reason after the address comes from the client: the address is anchored at the start.
_SSH_DISCONNECT = re.compile(
    r"(?:error: )?Received disconnect from (?:(\S+) port ([0-9]{1,5})|([^\s:]+)):", re.S
)
_SSH_REVERSE = re.compile(
    r"reverse mapping checking getaddrinfo for (\S+) \[([^\]\s]+)\] failed.*", re.S
)
_SSH_MAPS_BACK = re.compile(r"Address (\S+) maps to (\S+), but this does not map back.*", re.S)
_SSH_NO_IDENT = re.compile(
    r"Did not receive identification string from (\S+)(?: port ([0-9]{1,5}))?"
)
_PAM_MORE = re.compile(r"PAM [0-9]+ more authentication failures?; .*", re.S)
_PAM_PREFIX = re.compile(r"pam_[A-Za-z0-9_]+\([^:()]*:([^()]*)\): ")
_PAM_RHOST = re.compile(r"rhost=(\S*)\s*(?:user=(.*?))?\s*$", re.S)
_SESSION = re.compile(
    r"session (opened|closed) for user ([^\s(]+)(?:\(uid=[0-9]+\))?"
    r"(?: by (\S*?)\(uid=([0-9]+)\))?"
)
_PASSWORD_CHANGED = re.compile(r"password changed for (\S+)")
_SU = re.compile(r"(Successful|FAILED) su for (\S+) by (\S+)")
_SU_TTY = re.compile(r"([+-]) (\S+) ([^\s:]+):(\S+)")
_NEW_USER = re.compile(
    r"new user: name=([^,]*), UID=([0-9]+), GID=([0-9]+), home=([^,]*), shell=([^,]*)(?:, .*)?",
    re.S,
)
_NEW_GROUP = re.compile(r"(?:new group|group added to \S+): name=([^,]*?)(?:, GID=([0-9]+))?")
_ADD_TO_GROUP = re.compile(r"add '([^']*)' to (?:shadow )?group '([^']*)'")
_REMOVED_GROUP = re.compile(r"removed (?:shadow )?group '([^']*)'")
_QUOTED_USER = re.compile(r"user '([^']*)'")
_PASSWORD_FOR = re.compile(r"password for '([^']*)' changed by '([^']*)'")

_PAM_CATEGORIES = {"auth": "authentication", "session": "session", "chauthtok": "iam"}
_SUDO_KEYS = {"TTY": "tty", "PWD": "pwd", "USER": "user", "GROUP": "group"}
_ACCOUNT_TYPES = {
    "useradd": ("user", "creation"),
    "userdel": ("user", "deletion"),
    "usermod": ("user", "change"),
    "passwd": ("user", "change"),
    "groupadd": ("group", "creation"),
    "groupdel": ("group", "deletion"),
    "groupmod": ("group", "change"),
}


def parse_sshd(app: str, message: str) -> Doc:
    return _parse(app, message, _sshd)


def parse_sudo(app: str, message: str) -> Doc:
    return _parse(app, message, _sudo)


def parse_su(app: str, message: str) -> Doc:
    return _parse(app, message, _su)


def parse_account(app: str, message: str) -> Doc:
    """useradd, groupadd, usermod, userdel, groupdel, groupmod, passwd, chage, chfn."""
    return _parse(app, message, _account)


def parse_pam(app: str, message: str) -> Doc:
    """PAM lines of programs with no parser of their own: ``pam_x(svc:type): ...``, ``x(pam_x)``."""
    return _parse(app, message, None)


def _parse(app: str, message: str, handler: Handler | None) -> Doc:
    name, _, module = app.partition("(")
    doc: Doc = {"event": {"kind": "event", "module": "system", "dataset": "system.auth"}}
    prefix = _PAM_PREFIX.match(message) if message.startswith("pam_") else None
    if prefix is not None:
        _pam(doc, prefix.group(1), message[prefix.end() :])
    elif module.startswith("pam_"):
        _pam(doc, None, message)
        doc["process"] = {"name": name}
    elif handler is not None:
        handler(doc, name, message)
    _related(doc)
    return doc


def _sshd(doc: Doc, name: str, message: str) -> None:
    if m := _SSH_LOGIN.fullmatch(message):
        verdict, method, _, user, address, port, signature = m.groups()
        ssh = {"event": verdict, "method": method}
        if signature:
            ssh["signature"] = signature
        _login(doc, ssh, user, address, port)
    elif m := _SSH_INVALID.fullmatch(message):
        _login(doc, {"event": "Invalid"}, m.group(1), m.group(2), m.group(3))
    elif _PAM_MORE.fullmatch(message):
        _auth_failure(doc, message)
    elif m := _SSH_PAM_ERROR.fullmatch(message):
        _auth_failure(doc, message)
        doc["user"] = {"name": m.group(1)}
        doc["source"] = _source(m.group(2))
    elif m := _SSH_CLOSED.fullmatch(message) or _SSH_CLOSED_OLD.fullmatch(message):
        _network(doc, "ssh_disconnect", ["connection", "end"], m.groups()[-2:])
        if m.re is _SSH_CLOSED and m.group(1) is not None:
            doc["user"] = {"name": m.group(1)}
    elif m := _SSH_DISCONNECT.match(message):
        address = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), None)
        _network(doc, "ssh_disconnect", ["connection", "end"], address)
    elif m := _SSH_REVERSE.fullmatch(message) or _SSH_MAPS_BACK.fullmatch(message):
        domain, address = m.groups() if m.re is _SSH_REVERSE else reversed(m.groups())
        _network(doc, "ssh_reverse_mapping_failed", ["info"], (address, None))
        doc["source"]["domain"] = domain
    elif m := _SSH_NO_IDENT.fullmatch(message):
        _network(doc, "ssh_no_identification", ["connection"], m.groups())
        if "ip" in doc["source"]:
            doc["system"] = {"auth": {"ssh": {"dropped_ip": doc["source"]["ip"]}}}


def _login(doc: Doc, ssh: dict[str, str], user: str, address: str, port: str | None) -> None:
    success = ssh["event"] == "Accepted"
    doc["event"].update(
        category=["authentication", "session"] if success else ["authentication"],
        type=["info"],
        action="ssh_login",
        outcome="success" if success else "failure",
    )
    doc["system"] = {"auth": {"ssh": ssh}}
    doc["user"] = {"name": user}
    doc["source"] = _source(address, port)


def _network(doc: Doc, action: str, types: list[str], address: Any) -> None:
    doc["event"].update(category=["network"], type=types, action=action)
    doc["source"] = _source(*address)


def _auth_failure(doc: Doc, message: str) -> None:
    doc["event"].update(
        category=["authentication"],
        type=["info"],
        action="authentication_failure",
        outcome="failure",
    )
    if m := _PAM_RHOST.search(message):
        rhost, user = m.groups()
        if rhost:
            doc["source"] = _source(rhost)
        if user:
            doc["user"] = {"name": user}


def _pam(doc: Doc, pam_type: str | None, text: str) -> None:
    event = doc["event"]
    if "authentication failure" in text:
        _auth_failure(doc, text)
    elif m := _SESSION.match(text):
        state, for_user, by_user, by_uid = m.groups()
        opened = state == "opened"
        event.update(
            category=["session"],
            type=["start" if opened else "end"],
            action="logged-on" if opened else "logged-off",
        )
        if opened:
            event["outcome"] = "success"
        if by_user:
            doc["user"] = {"name": by_user, "id": by_uid, "effective": {"name": for_user}}
        else:
            doc["user"] = {"name": for_user}
    elif m := _PASSWORD_CHANGED.match(text):
        event.update(
            category=["iam"], type=["change"], action="password-changed", outcome="success"
        )
        doc["user"] = {"name": m.group(1), "target": {"name": m.group(1)}}
    elif pam_type in _PAM_CATEGORIES:
        event["category"] = [_PAM_CATEGORIES[pam_type]]


def _sudo(doc: Doc, name: str, message: str) -> None:
    user, sep, rest = message.strip(" ").partition(" : ")
    if not sep or not user or " " in user:
        return
    sudo: dict[str, str] = {}
    while rest and not rest.startswith("COMMAND="):
        segment, _, rest = rest.partition(" ; ")
        key, eq, value = segment.partition("=")
        if eq and key in _SUDO_KEYS:
            sudo[_SUDO_KEYS[key]] = value
        elif not sudo and not key.isupper():  # "user NOT in sudoers ; TTY=..."
            sudo["error"] = segment
    if not rest:
        return  # "(command continued) ..." and other free text: no command to report
    sudo["command"] = rest[len("COMMAND=") :]
    refused = "error" in sudo  # "user NOT in sudoers", "3 incorrect password attempts"...
    doc["event"].update(
        category=["process"],
        type=["info"] if refused else ["start"],
        outcome="failure" if refused else "success",
    )
    doc["system"] = {"auth": {"sudo": sudo}}
    doc["user"] = {"name": user}
    if "user" in sudo:
        doc["user"]["effective"] = {"name": sudo["user"]}


def _su(doc: Doc, name: str, message: str) -> None:
    if m := _SU.fullmatch(message):
        success, target, actor = m.group(1) == "Successful", m.group(2), m.group(3)
    elif m := _SU_TTY.fullmatch(message):
        success, actor, target = m.group(1) == "+", m.group(3), m.group(4)
    else:
        return
    doc["event"].update(
        category=["authentication"],
        type=["start" if success else "info"],
        action="su",
        outcome="success" if success else "failure",
    )
    doc["user"] = {"name": actor, "effective": {"name": target}}


def _account(doc: Doc, name: str, message: str) -> None:
    kind, change = _ACCOUNT_TYPES.get(name, ("user", "change"))
    doc["event"].update(
        category=["iam"], type=[kind, change], outcome="failure" if "fail" in message else "success"
    )
    if m := _NEW_USER.fullmatch(message):
        doc["user"] = {"name": m.group(1), "id": m.group(2)}
        doc["group"] = {"id": m.group(3)}
        doc["system"] = {"auth": {"useradd": {"home": m.group(4), "shell": m.group(5)}}}
    elif m := _NEW_GROUP.fullmatch(message):
        doc["group"] = {"name": m.group(1)}
        if m.group(2) is not None:
            doc["group"]["id"] = m.group(2)
    elif m := _ADD_TO_GROUP.match(message):
        doc["event"]["action"] = "group-member-added"
        doc["user"] = {"name": m.group(1)}
        doc["group"] = {"name": m.group(2)}
    elif m := _PASSWORD_FOR.match(message):
        doc["event"]["action"] = "password-changed"
        doc["user"] = {"name": m.group(2), "target": {"name": m.group(1)}}
    elif m := _REMOVED_GROUP.match(message):
        doc["group"] = {"name": m.group(1)}
    elif m := _QUOTED_USER.search(message):
        doc["user"] = {"name": m.group(1)}


def _source(address: str, port: str | None = None) -> dict[str, Any]:
    source: dict[str, Any] = {"ip": address} if _is_ip(address) else {"domain": address}
    if port is not None and int(port) <= 65535:
        source["port"] = int(port)
    return source


@lru_cache(maxsize=4096)
def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _related(doc: Doc) -> None:
    related: dict[str, list[str]] = {}
    user = doc.get("user")
    if user:
        names = [user["name"]] if user.get("name") else []
        for role in ("effective", "target"):
            if role in user and user[role]["name"] and user[role]["name"] not in names:
                names.append(user[role]["name"])
        if names:
            related["user"] = names
    source = doc.get("source")
    if source and "ip" in source:
        related["ip"] = [source["ip"]]
    if related:
        doc["related"] = related
