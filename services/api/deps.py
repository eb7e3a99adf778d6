"""Request dependencies: the caller (bearer API key), the tenants it may read, store and cursors.

``Authorization: Bearer <key>``: the SHA-256 hex digest of the key is looked up among every
tenant's ``api_keys_sha256`` (scope: that tenant) and ``analyst_keys_sha256`` (scope: every
tenant); no key or an unknown one gets 401. Keys are never kept or logged: a caller is named by
the first 12 hex digits of the digest. An analyst may narrow to one tenant with ``?tenant=``;
a tenant key naming any other tenant gets 403.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request

from services.api.cursor import CursorCodec
from services.api.errors import ApiError
from services.api.queries import TenantScope
from services.runtime.settings import Settings
from services.runtime.store import Store

_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True, slots=True)
class Principal:
    key_id: str
    tenant: str | None  # None: an analyst, who may read every tenant

    @property
    def role(self) -> str:
        return "analyst" if self.tenant is None else f"tenant:{self.tenant}"


class KeyRing:
    """Configured key digests → the principal each one authenticates."""

    def __init__(self, settings: Settings) -> None:
        self._owners: dict[str, str | None] = {}
        for tenant in settings.tenants:
            for digest in tenant.api_keys_sha256:
                self._add(digest, tenant.id)
        for digest in settings.analyst_keys_sha256:
            self._add(digest, None)

    def _add(self, digest: str, owner: str | None) -> None:
        digest = digest.strip().lower()
        if not _SHA256_HEX.match(digest):
            raise ValueError(f"API key digest {digest[:12]}... is not a SHA-256 hex digest")
        if digest in self._owners and self._owners[digest] != owner:
            raise ValueError(f"API key digest {digest[:12]}... is configured for two principals")
        self._owners[digest] = owner

    def identify(self, key: str) -> Principal | None:
        # A lookup by digest: its timing can tell about the digest, never about the key itself.
        digest = hashlib.sha256(key.encode()).hexdigest()
        if digest not in self._owners:
            return None
        return Principal(digest[:12], self._owners[digest])


def _unauthorized(detail: str) -> ApiError:
    return ApiError(401, "unauthorized", detail, headers={"WWW-Authenticate": "Bearer"})


def authenticate(request: Request) -> Principal:
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise _unauthorized("send Authorization: Bearer <API key>")
    principal = request.app.state.keys.identify(key.strip())
    if principal is None:
        raise _unauthorized("unknown API key")
    request.state.principal = principal  # read by the access log
    return principal


def tenant_scope(
    principal: Annotated[Principal, Depends(authenticate)],
    tenant: Annotated[str | None, Query(max_length=63, description="narrow to one tenant")] = None,
) -> TenantScope:
    if principal.tenant is None:
        return TenantScope(None if tenant is None else frozenset({tenant}))
    if tenant is not None and tenant != principal.tenant:
        raise ApiError(403, "forbidden", "this API key is not scoped to that tenant")
    return TenantScope(frozenset({principal.tenant}))


def page_limit(request: Request, limit: Annotated[int, Query(ge=1)] = 50) -> int:
    """The page size asked for, capped at ``api.page_limit``."""
    return min(limit, request.app.state.settings.api.page_limit)


def _store(request: Request) -> Store:
    return request.app.state.store  # type: ignore[no-any-return]


def _cursors(request: Request) -> CursorCodec:
    return request.app.state.cursors  # type: ignore[no-any-return]


Scope = Annotated[TenantScope, Depends(tenant_scope)]
StoreDep = Annotated[Store, Depends(_store)]
Cursors = Annotated[CursorCodec, Depends(_cursors)]
PageLimit = Annotated[int, Depends(page_limit)]
