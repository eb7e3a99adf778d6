"""Suricata EVE ``dns`` and ``tls`` records → ECS ``dns.*`` and ``tls.*``, as Elastic maps them.

``dns(doc, eve)``: ``dns.{id, type, response_code, question.name/type, answers, resolved_ip,
header_flags}`` for v1 (one answer per event), v2 (``answers`` list) and v3 (``queries``).
``tls(doc, eve)``: ``tls.{version, version_protocol, client.server_name, client.ja3}`` and
``tls.server.{subject, issuer, hash.sha1, not_before, not_after, ja3s, x509.*}``; an empty
``issuerdn`` gives no issuer. Both take the EVE object ``suricata`` parsed, remove from it the
keys Elastic removes, and leave fields of an unexpected type where they are.
"""

from __future__ import annotations

import re
from datetime import UTC
from typing import Any

from services.normalizer.parsers import timestamps
from services.normalizer.parsers.base import Doc
from services.normalizer.parsers.x509_names import name_fields

_TLS_VERSION = (re.compile(r"(.*?)v(.*)", re.S), re.compile(r"(.*?) (.*)", re.S))


def dns(doc: Doc, eve: dict[str, Any]) -> None:
    """``dns.*`` from an EVE dns record (v1, v2 or v3) when the event's protocol is DNS."""
    record = eve.get("dns")
    if doc["network"].get("protocol") != "dns" or not isinstance(record, dict):
        return
    dns: dict[str, Any] = {}
    for key, field in (("id", "id"), ("rcode", "response_code"), ("type", "type")):
        if isinstance(record.get(key), str | int) and not isinstance(record.get(key), bool):
            dns[field] = str(record[key])
    version = record.pop("version", None)
    query = _first_query(record)
    if query is not None and (dns.get("type") == "query" or version in (2, 3)):
        question = {k: query[f"rr{k}"] for k in ("name", "type")
                    if isinstance(query.get(f"rr{k}"), str)}  # fmt: skip
        if question:
            dns["question"] = question
    if dns.get("type") == "answer":
        answers = _answers(record) if version in (2, 3) else _answer_v1(record)
        if answers:
            dns["answers"] = answers
            resolved = [
                a["data"]
                for a in answers
                if a.get("type") in ("A", "AAAA") and isinstance(a.get("data"), str)
            ]
            if resolved:
                dns["resolved_ip"] = resolved
    flags = [flag.upper() for flag in ("aa", "tc", "rd", "ra") if record.pop(flag, None) is True]
    if flags:
        dns["header_flags"] = flags
    for key in ("qr", "flags", "grouped"):
        record.pop(key, None)
    doc["dns"] = dns


def _first_query(record: dict[str, Any]) -> dict[str, Any] | None:
    queries = record.get("queries")  # the v3 format (Suricata 8) lists the questions
    if isinstance(queries, list) and queries and isinstance(queries[0], dict):
        return queries[0]
    return record


def _answer_v1(record: dict[str, Any]) -> list[dict[str, Any]]:
    answer = {field: record[key]
              for key, field in (("rrname", "name"), ("rdata", "data"), ("rrtype", "type"),
                                 ("ttl", "ttl")) if key in record}  # fmt: skip
    return [answer] if answer else []


def _answers(record: dict[str, Any]) -> list[dict[str, Any]]:
    answers = record.pop("answers", None)
    if not isinstance(answers, list):
        return []
    renamed = {"rrname": "name", "rrtype": "type", "rdata": "data"}
    return [
        {(renamed[k] if k in renamed else k): v for k, v in a.items()}
        for a in answers
        if isinstance(a, dict)
    ]


def tls(doc: Doc, eve: dict[str, Any]) -> None:
    """``tls.*`` (server certificate, versions, JA3) from an EVE tls record."""
    record = eve.get("tls")
    if doc["network"].get("protocol") != "tls" or not isinstance(record, dict):
        return
    tls: dict[str, Any] = {}
    server: dict[str, Any] = {}
    x509: dict[str, Any] = {}
    _tls_version(tls, record.get("version"))
    for key, field in (("subject", "subject"), ("issuerdn", "issuer")):
        value = record.get(key)
        if isinstance(value, str) and value:
            server[field] = value
            names = name_fields(value)
            if names:
                x509[field] = names
    fingerprint = record.get("fingerprint")
    if isinstance(fingerprint, str) and fingerprint:
        server["hash"] = {"sha1": fingerprint.upper().replace(":", "")}
    if isinstance(record.get("serial"), str) and record["serial"]:
        x509["serial_number"] = record["serial"].replace(":", "")
    for key, field in (("notbefore", "not_before"), ("notafter", "not_after")):
        value = record.get(key)
        moment = timestamps.parse_iso(value, UTC) if isinstance(value, str) else None
        if moment is not None:
            server[field] = x509[field] = moment
    if x509:
        server["x509"] = x509
    _tls_client(doc, tls, server, record)
    if server:
        tls["server"] = server
    if tls:
        doc["tls"] = tls


def _tls_version(tls: dict[str, Any], version: Any) -> None:
    if not isinstance(version, str) or version == "UNDETERMINED":
        return
    for pattern in _TLS_VERSION:
        match = pattern.fullmatch(version)
        if match:
            tls["version_protocol"], tls["version"] = match.group(1).lower(), match.group(2)
            return


def _tls_client(
    doc: Doc, tls: dict[str, Any], server: dict[str, Any], record: dict[str, Any]
) -> None:
    client: dict[str, Any] = {}
    sni = record.get("sni")
    if isinstance(sni, str) and sni:
        sni = record["sni"] = sni.removesuffix(".")
        client["server_name"] = sni
        doc.setdefault("destination", {})["domain"] = sni
    for key, target in (("ja3", client), ("ja3s", server)):
        value = record.get(key)
        if isinstance(value, dict) and isinstance(value.get("hash"), str):
            target[key] = value["hash"]
    for key, field in (("certificate", "certificate"), ("chain", "certificate_chain")):
        if record.get(key):
            server[field] = record[key]
    if client:
        tls["client"] = client
