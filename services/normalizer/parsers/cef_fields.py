"""CEF extension key → ECS table for ``cef`` (data only), after Elastic's ``decode_cef``.

Both spellings of a key map (``src`` and ``sourceAddress``). Where ``decode_cef`` targets a
field Vigie reserves or that would break ECS, Vigie departs from it, on purpose:
``customerExternalID``/``customerURI`` (``organization.*`` is the tenant, set by the collector),
``eventId``/``devicePayloadId`` (``event.id`` is the record id), ``type`` and ``cat`` (free text,
not ECS ``event.kind``/``event.category`` values) stay in ``cef.extensions`` only;
``deviceDirection`` 0/1 becomes ``inbound``/``outbound``; ``spriv``/``dpriv`` become
``*.user.roles``. Time keys (``rt``, ``start``, ``end``, ``art``) are in ``TIMES``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from services.normalizer.parsers import fieldmap, network


def _text(value: str) -> str:
    return value


def _ip(value: str) -> str | None:
    return value if network.is_ip(value) else None


def _mac(value: str) -> str:
    return value.upper().replace(":", "-")


def _listed(value: str) -> list[str]:
    return [value]


def _direction(value: str) -> str | None:
    return {"0": "inbound", "1": "outbound"}.get(value.strip())


def _outcome(value: str) -> str | None:
    lowered = value.strip().lower()
    return lowered if lowered in ("success", "failure", "unknown") else None


def _lower(value: str) -> str:
    return value.lower()


_ENTRIES: tuple[tuple[str, str, str, Callable[[str], Any]], ...] = (
    ("agt", "agentAddress", "observer.ip", _ip),
    ("ahost", "agentHostName", "observer.hostname", _text),
    ("aid", "agentId", "observer.serial_number", _text),
    ("amac", "agentMacAddress", "observer.mac", _mac),
    ("at", "agentType", "observer.type", _text),
    ("av", "agentVersion", "observer.version", _text),
    ("app", "applicationProtocol", "network.application", _lower),
    ("in", "bytesIn", "source.bytes", network.integer),
    ("out", "bytesOut", "destination.bytes", network.integer),
    ("dst", "destinationAddress", "destination.ip", _ip),
    ("dhost", "destinationHostName", "destination.domain", _text),
    ("dmac", "destinationMacAddress", "destination.mac", _mac),
    ("dpt", "destinationPort", "destination.port", network.port),
    ("dpid", "destinationProcessId", "destination.process.pid", network.integer),
    ("dproc", "destinationProcessName", "destination.process.name", _text),
    ("duid", "destinationUserId", "destination.user.id", _text),
    ("duser", "destinationUserName", "destination.user.name", _text),
    ("dpriv", "destinationUserPrivileges", "destination.user.roles", _listed),
    ("act", "deviceAction", "event.action", _text),
    ("dvc", "deviceAddress", "host.ip", lambda v: [v] if network.is_ip(v) else None),
    ("dvchost", "deviceHostName", "host.hostname", _text),
    ("dvcmac", "deviceMacAddress", "host.mac", lambda v: [_mac(v)]),
    ("dvcpid", "deviceProcessId", "process.pid", network.integer),
    ("dtz", "deviceTimeZone", "event.timezone", _text),
    ("outcome", "eventOutcome", "event.outcome", _outcome),
    ("fname", "filename", "file.name", _text),
    ("fsize", "fileSize", "file.size", network.integer),
    ("msg", "message", "message", _text),
    ("request", "requestUrl", "url.original", _text),
    ("src", "sourceAddress", "source.ip", _ip),
    ("shost", "sourceHostName", "source.domain", _text),
    ("smac", "sourceMacAddress", "source.mac", _mac),
    ("spt", "sourcePort", "source.port", network.port),
    ("spid", "sourceProcessId", "source.process.pid", network.integer),
    ("sproc", "sourceProcessName", "source.process.name", _text),
    ("suid", "sourceUserId", "source.user.id", _text),
    ("suser", "sourceUserName", "source.user.name", _text),
    ("spriv", "sourceUserPrivileges", "source.user.roles", _listed),
)
# Keys that have no short form.
_LONG_ONLY: tuple[tuple[str, str, Callable[[str], Any]], ...] = (
    ("agentDnsDomain", "observer.hostname", _text),
    ("destinationDnsDomain", "destination.domain", _text),
    ("destinationServiceName", "service.name", _text),
    ("destinationTranslatedAddress", "destination.nat.ip", _ip),
    ("destinationTranslatedPort", "destination.nat.port", network.port),
    ("deviceDirection", "network.direction", _direction),
    ("deviceExternalId", "host.id", _text),
    ("deviceProcessName", "process.name", _text),
    ("fileId", "file.inode", _text),
    ("filePath", "file.path", _text),
    ("fileType", "file.type", _text),
    ("requestClientApplication", "user_agent.original", _text),
    ("requestContext", "http.request.referrer", _text),
    ("requestMethod", "http.request.method", _text),
    ("sourceDnsDomain", "source.domain", _text),
    ("sourceTranslatedAddress", "source.nat.ip", _ip),
    ("sourceTranslatedPort", "source.nat.port", network.port),
)

TABLE: dict[str, tuple[str, Callable[[str], Any]]] = {
    **{short: (path, convert) for short, _, path, convert in _ENTRIES},
    **{long: (path, convert) for _, long, path, convert in _ENTRIES},
    **{long: (path, convert) for long, path, convert in _LONG_ONLY},
}
PLAN = fieldmap.plan(TABLE)
TRANSPORT_KEYS = ("proto", "transportProtocol")
TIMES = {
    "rt": "@timestamp", "deviceReceiptTime": "@timestamp",
    "start": "event.start", "startTime": "event.start",
    "end": "event.end", "endTime": "event.end",
    "art": "event.created", "agentReceiptTime": "event.created",
}  # fmt: skip
HASH_KEYS = ("fileHash", "oldFileHash")
GEO_KEYS = {"source": ("slat", "slong"), "destination": ("dlat", "dlong")}
