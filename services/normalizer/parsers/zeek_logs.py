"""One Zeek log record (field name → typed value) → ECS, as Elastic's zeek integration maps it.

Every log: ``event.module`` ``zeek``, ``event.dataset`` ``zeek.<log>`` (``conn`` is
``zeek.connection``), ``@timestamp`` from ``ts`` (epoch seconds or ISO 8601, UTC),
``zeek.session_id`` from ``uid``, ``source.{address, ip, port}`` from ``id.orig_h/p`` and
``destination.*`` from ``id.resp_h/p``, ``related.ip``, ``network.community_id`` (TCP, UDP, SCTP)
and every other field under ``zeek.<log>.`` with its Zeek name (dots nest: ``certificate.serial``
is ``zeek.x509.certificate.serial``). ``MAPPERS`` adds the ECS fields of conn, dns, http, ssl,
ssh, notice, weird, files and x509 as Elastic's pipelines do and moves the fields Elastic moves.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from schemas.ecs import set_field
from services.normalizer.parsers import network, timestamps
from services.normalizer.parsers import zeek_fields as table
from services.normalizer.parsers.base import Doc, ParseContext, utc_iso
from services.normalizer.parsers.x509_names import name_fields


def epoch_iso(seconds: float) -> str | None:
    """Epoch seconds as UTC ISO 8601 (microseconds), ``None`` when out of range."""
    try:
        return utc_iso(datetime.fromtimestamp(seconds, UTC))
    except (OverflowError, OSError, ValueError):
        return None


def to_doc(log: str, record: dict[str, Any], ctx: ParseContext, error: str | None) -> Doc:
    name = table.DATASETS.get(log, log)
    doc: Doc = {"event": {"module": "zeek", "dataset": f"zeek.{name}", "kind": "event",
                          "category": ["network"]}}  # fmt: skip
    stamp = _timestamp(record.pop("ts", None))
    if stamp:
        doc["@timestamp"] = stamp
    _endpoints(doc, record)
    for side in ("source", "destination"):
        network.add_related(doc, "ip", doc.get(side, {}).get("ip"))
    fields: dict[str, Any] = {}
    for key, value in record.items():
        set_field(fields, key, value)
    mapper = MAPPERS.get(log)
    if mapper is not None:
        mapper(doc, fields)
    for side in ("source", "destination"):  # again: a notice's src/dst fill them in the mapper
        network.add_related(doc, "ip", doc.get(side, {}).get("ip"))
    zeek: dict[str, Any] = {name: fields}
    if isinstance(fields.get("uid"), str):
        zeek["session_id"] = fields.pop("uid")
    doc["zeek"] = zeek
    if "network" in doc:
        network.set_community_id(doc)
    if error:
        doc["event"]["kind"] = "pipeline_error"
        doc["error"] = {"message": error}
    return doc


def _timestamp(value: Any) -> str | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return epoch_iso(value)
    return timestamps.parse_iso(value, UTC) if isinstance(value, str) else None


def _endpoints(doc: Doc, record: dict[str, Any]) -> None:
    for side, host, port in (("source", "id.orig_h", "id.orig_p"),
                             ("destination", "id.resp_h", "id.resp_p")):  # fmt: skip
        address, number = record.pop(host, None), record.pop(port, None)
        endpoint: dict[str, Any] = {}
        if isinstance(address, str):
            endpoint["address"] = address
            if network.is_ip(address):
                endpoint["ip"] = address
        if isinstance(number, int) and not isinstance(number, bool):
            endpoint["port"] = number
        if endpoint:
            doc[side] = endpoint


def _move(doc: Doc, fields: dict[str, Any], moves: tuple[tuple[str, str], ...]) -> None:
    """Move ``fields[key]`` to the ECS ``path`` for each (key, path) present."""
    for key, path in moves:
        if key in fields:
            set_field(doc, path, fields.pop(key))


def _types(doc: Doc, *types: str) -> None:
    doc["event"]["type"] = list(types)


def _conn(doc: Doc, fields: dict[str, Any]) -> None:
    _move(doc, fields, table.CONN_MOVES)
    if doc.get("network", {}).get("transport") == "icmp":  # Zeek logs ICMP type/code as ports
        for side, key in (("source", "type"), ("destination", "code")):
            if "port" in doc.get(side, {}):
                set_field(fields, f"icmp.{key}", doc[side].pop("port"))
    for total in ("bytes", "packets"):
        values = [doc.get(side, {}).get(total) for side in ("source", "destination")]
        if all(_is_count(v) for v in values):
            set_field(doc, f"network.{total}", sum(values))  # type: ignore[arg-type]
    if "conn_state" in fields:
        fields["state"] = fields.pop("conn_state")
        if isinstance(fields["state"], str) and fields["state"] in table.CONN_STATES:
            fields["state_message"], types = table.CONN_STATES[fields["state"]]
            _types(doc, *types)
    local = (fields.get("local_orig"), fields.get("local_resp"))
    if all(isinstance(flag, bool) for flag in local):
        set_field(doc, "network.direction", table.DIRECTIONS[local])  # type: ignore[index]
    _duration(doc, fields.pop("duration", None))
    for key in ("orig_bytes", "resp_bytes", "tunnel_parents"):
        fields.pop(key, None)


def _duration(doc: Doc, seconds: Any) -> None:
    if isinstance(seconds, int | float) and not isinstance(seconds, bool):
        if abs(seconds) < table.MAX_SECONDS:  # nanoseconds must fit a signed 64-bit integer
            doc["event"]["duration"] = round(seconds * table.NANOS)


def _is_count(value: Any) -> bool:
    """A non-negative integer whose sums with another still fit a signed 64-bit integer."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**62


def _whole(value: Any) -> Any:
    """A TSV interval (``124.000000``) as the integer ECS wants; other values as they are."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**62:
        return int(value)
    return value


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _dns(doc: Doc, fields: dict[str, Any]) -> None:
    _types(doc, "connection", "protocol", "info")
    set_field(doc, "network.protocol", "dns")
    _move(doc, fields, (("proto", "network.transport"),))
    dns: dict[str, Any] = {"type": "answer" if "rcode_name" in fields else "query"}
    flags = [flag for flag in ("AA", "TC", "RD", "RA") if fields.get(flag) is True]
    if flags:
        dns["header_flags"] = flags
    qclass = fields.get("qclass")
    question = {"class": table.DNS_CLASSES.get(qclass) if isinstance(qclass, int) else None,
                "type": fields.get("qtype_name"), "name": fields.get("query")}  # fmt: skip
    dns["question"] = {k: v for k, v in question.items() if v is not None}
    if "trans_id" in fields:
        dns["id"] = str(fields["trans_id"])
    if "rcode_name" in fields:
        dns["response_code"] = fields["rcode_name"]
    _dns_answers(dns, fields.get("answers"), fields.get("TTLs"))
    doc["dns"] = {k: v for k, v in dns.items() if v not in ({}, None)}
    _duration(doc, fields.get("rtt"))
    doc["event"]["outcome"] = "success"
    network.add_related(doc, "ip", *dns.get("resolved_ip", []))
    for key in ("Z", "auth", "addl"):
        fields.pop(key, None)


def _dns_answers(dns: dict[str, Any], answers: Any, ttls: Any) -> None:
    if not isinstance(answers, list) or not isinstance(ttls, list) or not answers:
        return
    if len(answers) != len(ttls):
        return
    dns["answers"] = [
        {"data": data, "ttl": _whole(ttl)} for data, ttl in zip(answers, ttls, strict=True)
    ]
    resolved = [data for data in answers if isinstance(data, str) and network.is_ip(data)]
    if resolved:
        dns["resolved_ip"] = resolved


def _http(doc: Doc, fields: dict[str, Any]) -> None:
    doc["event"]["category"] = ["network", "web"]
    _types(doc, "connection", "protocol", "info")
    set_field(doc, "network.transport", "tcp")
    _move(doc, fields, table.HTTP_MOVES)
    uri = fields.pop("uri", None)
    if isinstance(uri, str):
        path, _, query = uri.partition("?")
        url = doc.setdefault("url", {})
        url.update({"original": uri, "path": path, **({"query": query} if query else {})})
    http = doc.get("http", {})
    if "method" in http.get("request", {}):
        doc["event"]["action"] = http["request"]["method"]
    if "username" in doc.get("url", {}):
        set_field(doc, "user.name", doc["url"]["username"])
        network.add_related(doc, "user", doc["url"]["username"])
    status = http.get("response", {}).get("status_code")
    if isinstance(status, int):
        doc["event"]["outcome"] = "success" if status < 400 else "failure"


def _ssl(doc: Doc, fields: dict[str, Any]) -> None:
    _types(doc, "connection", "protocol")
    set_field(doc, "network.transport", "tcp")
    for side, role in (("source", "client"), ("destination", "server")):
        if "address" in doc.get(side, {}):
            set_field(doc, f"{role}.address", doc[side]["address"])
    for key, target in table.SSL_RENAMES:
        if key in fields:
            set_field(fields, target, fields.pop(key))
    tls: dict[str, Any] = {}
    for key, target in table.TLS_FIELDS:
        if key in fields:
            set_field(tls, target, fields[key] if key in ("cipher", "curve") else fields.pop(key))
    version = fields.get("version")
    if isinstance(version, str) and version.count("v") == 1:
        protocol, number = version.split("v")
        tls["version"] = f"{number}.0" if protocol == "SSL" else f"{number[:1]}.{number[1:]}"
        tls["version_protocol"] = protocol.lower()
    for key, target in (("subject", "server"), ("issuer", "server"),
                        ("client_subject", "client"), ("client_issuer", "client")):  # fmt: skip
        _dn(tls, target, key.removeprefix("client_"), fields.pop(key, None))
    if tls:
        doc["tls"] = tls
    network.add_related(doc, "hash", tls.get("server", {}).get("ja3s"))
    network.add_related(doc, "hash", tls.get("client", {}).get("ja3"))


def _dn(tls: dict[str, Any], role: str, kind: str, value: Any) -> None:
    if isinstance(value, str) and value:
        set_field(tls, f"{role}.{kind}", value)
        names = name_fields(value)
        if names:
            set_field(tls, f"{role}.x509.{kind}", names)


def _ssh(doc: Doc, fields: dict[str, Any]) -> None:
    _types(doc, "connection", "protocol")
    doc["network"] = {"transport": "tcp", "protocol": "ssh"}
    for key, target in table.SSH_RENAMES:
        if key in fields:
            set_field(fields, target, fields.pop(key))
    success = _object(fields.get("auth")).get("success")
    if isinstance(success, bool):
        doc["event"]["outcome"] = "success" if success else "failure"


def _notice(doc: Doc, fields: dict[str, Any]) -> None:
    doc["event"].update({"kind": "alert", "category": ["intrusion_detection"], "type": ["info"]})
    for key, side, part in (("src", "source", "address"), ("dst", "destination", "address"),
                            ("p", "destination", "port")):  # fmt: skip
        value = fields.pop(key, None)
        if value is not None and part not in doc.get(side, {}):
            doc.setdefault(side, {})[part] = value
            if part == "address" and isinstance(value, str) and network.is_ip(value):
                doc[side]["ip"] = value
    _move(doc, fields, (("proto", "network.transport"),))
    if "file_mime_type" in fields:
        set_field(doc, "file.mime_type", fields.pop("file_mime_type"))
    rule = {"name": fields.get("note"), "description": fields.get("msg")}
    if any(rule.values()):
        doc["rule"] = {k: v for k, v in rule.items() if v is not None}
    if isinstance(fields.get("dropped"), bool):
        doc["event"]["type"].append("denied" if fields["dropped"] else "allowed")
    for key in ("action", "remote_location"):
        fields.pop(key, None)


def _weird(doc: Doc, fields: dict[str, Any]) -> None:
    _types(doc, "info")
    if "addl" in fields:
        fields["additional_info"] = fields.pop("addl")
    if isinstance(fields.get("name"), str):
        doc["rule"] = {"name": fields["name"]}


def _files(doc: Doc, fields: dict[str, Any]) -> None:
    doc["event"]["category"] = ["file"]
    _types(doc, "info")
    file: dict[str, Any] = {}
    for key, target in table.FILE_FIELDS:
        if key in fields:
            set_field(file, target, fields[key])
    if file:
        doc["file"] = file
    network.add_related(doc, "hash", *file.get("hash", {}).values())


def _x509(doc: Doc, fields: dict[str, Any]) -> None:
    _types(doc, "info")
    certificate = _object(fields.get("certificate"))
    x509: dict[str, Any] = {}
    for key, target in table.X509_FIELDS:
        value = certificate.get(key)
        if target.startswith("not_") and not isinstance(value, str):
            value = _timestamp(value)  # JSON logs write times as epoch seconds
        if value is not None:
            x509[target] = value
    for kind in ("subject", "issuer"):
        names = name_fields(certificate.get(kind) or "")
        if names:
            x509[kind] = names
    dns_names = _object(fields.get("san")).get("dns")
    if isinstance(dns_names, list) and dns_names:
        x509["alternative_names"] = dns_names
    if x509:
        doc["x509"] = x509


MAPPERS = {
    "conn": _conn, "dns": _dns, "http": _http, "ssl": _ssl, "ssh": _ssh, "notice": _notice,
    "weird": _weird, "files": _files, "x509": _x509,
}  # fmt: skip
