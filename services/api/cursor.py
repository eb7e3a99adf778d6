"""Opaque keyset cursors, signed with HMAC-SHA256 and bound to endpoint, tenant scope and filters.

A token is ``base64url(payload) "." base64url(HMAC-SHA256(secret, payload))``; the JSON payload
names the endpoint, the scope and the filter set of the listing, and the keyset where the page
ended. ``open`` refuses with ``InvalidCursor`` a token that is malformed, not signed with this
secret, or issued for another endpoint, scope or filter set (the API answers 400
``invalid_cursor``). The keyset is then applied inside the caller's own scope, never the token's.

Without ``api.cursor_secret`` each process draws a random secret when the app is built: cursors
then stop working across a restart (clients start again from the first page), and replicas behind
one load balancer must share a configured secret.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

import orjson

from services.api.queries import Keyset, TenantScope

MAX_TOKEN_CHARS = 4096
_VERSION = 1


class InvalidCursor(ValueError):
    """The cursor was not issued by this API for this listing."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CursorCodec:
    def __init__(self, secret: bytes) -> None:
        if not secret:
            raise ValueError("a cursor secret must not be empty")
        self._secret = secret

    @classmethod
    def from_setting(cls, configured: str) -> CursorCodec:
        """The configured secret, or a random one for this process when none is configured."""
        return cls(configured.encode() if configured else secrets.token_bytes(32))

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self._secret, payload, hashlib.sha256).digest()

    @staticmethod
    def _binding(endpoint: str, scope: TenantScope, filters: Any) -> Any:
        binding = {"v": _VERSION, "e": endpoint, "s": scope.binding(), "f": asdict(filters)}
        return orjson.loads(orjson.dumps(binding))  # the form it has once read back from a token

    def issue(self, keyset: Keyset, *, endpoint: str, scope: TenantScope, filters: Any) -> str:
        payload = {"b": self._binding(endpoint, scope, filters), "k": [keyset.at_ms, keyset.id]}
        body = orjson.dumps(payload)
        return f"{_b64(body)}.{_b64(self._sign(body))}"

    def open(self, token: str, *, endpoint: str, scope: TenantScope, filters: Any) -> Keyset:
        """The keyset a valid cursor carries; InvalidCursor for anything else."""
        if len(token) > MAX_TOKEN_CHARS or token.count(".") != 1:
            raise InvalidCursor("malformed cursor")
        body_text, mac_text = token.split(".")
        try:
            body, mac = _unb64(body_text), _unb64(mac_text)
        except (binascii.Error, ValueError) as exc:
            raise InvalidCursor("malformed cursor") from exc
        if not hmac.compare_digest(mac, self._sign(body)):
            raise InvalidCursor("bad cursor signature")
        payload = orjson.loads(body)  # signed by us, so well-formed
        if payload["b"] != self._binding(endpoint, scope, filters):
            raise InvalidCursor("cursor issued for another listing")
        at_ms, last_id = payload["k"]
        return Keyset(at_ms, last_id)

    def page(
        self,
        rows: Sequence[dict[str, Any]],
        limit: int,
        *,
        endpoint: str,
        scope: TenantScope,
        filters: Any,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """The first ``limit`` rows and, when more were fetched, the cursor after the last one."""
        shown = list(rows[:limit])
        if len(rows) <= limit or not shown:
            return shown, None
        last = shown[-1]
        keyset = Keyset(int(last["at_ms"]), str(last["id"]))
        return shown, self.issue(keyset, endpoint=endpoint, scope=scope, filters=filters)
