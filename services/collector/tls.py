"""TLS contexts for syslog over TLS (RFC 5425) and the names a client certificate bears.

- ``server_context``: the listener's certificate chain and key; with ``client_ca`` a client
  certificate is REQUIRED and verified against it (TLS 1.2 at least, as RFC 9662 asks).
- ``client_context``: for ``vigie replay --to tls://``; verifies the server against ``ca`` (the
  system store when None) and its host name, and presents ``cert``/``key`` when given.
- ``certificate_names``: subject CN(s) then SAN DNS names of a peer certificate as ``ssl``
  returns it (``getpeercert()``), the names a ``client_tenants`` map is matched on.
Unreadable or mismatched files raise ``ValueError`` naming the file, at start-up.
"""

from __future__ import annotations

import ssl
from typing import Any


def server_context(cert: str, key: str, client_ca: str | None = None) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    _load_chain(context, cert, key)
    if client_ca:
        _load_ca(context, client_ca)
        context.verify_mode = ssl.CERT_REQUIRED
    return context


def client_context(
    ca: str | None = None, cert: str | None = None, key: str | None = None
) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if ca:
        _load_ca(context, ca)
    if cert:
        _load_chain(context, cert, key)
    elif key:
        raise ValueError("a client key needs its certificate (--cert)")
    return context


def certificate_names(peercert: dict[str, Any] | None) -> list[str]:
    if not peercert:
        return []
    names = [
        value
        for rdn in peercert.get("subject", ())
        for attribute, value in rdn
        if attribute == "commonName"
    ]
    names += [value for kind, value in peercert.get("subjectAltName", ()) if kind == "DNS"]
    return names


def _load_chain(context: ssl.SSLContext, cert: str, key: str | None) -> None:
    try:
        context.load_cert_chain(cert, key)
    except OSError as exc:  # ssl.SSLError included
        raise ValueError(f"cannot load certificate {cert} with key {key}: {exc}") from exc


def _load_ca(context: ssl.SSLContext, ca: str) -> None:
    try:
        context.load_verify_locations(cafile=ca)
    except OSError as exc:  # ssl.SSLError included
        raise ValueError(f"cannot load CA certificates from {ca}: {exc}") from exc
