"""Indicator (topic ``ti.indicators``, compacted): one threat-intelligence atom and its scope.

Types follow ECS ``threat.indicator.type`` (and STIX): ``ipv4-addr``/``ipv6-addr`` (an address or
a CIDR network), ``domain-name``, ``url``, ``file`` (a hash; ``hash`` names md5, sha1 or sha256).
``value`` is made canonical on validation, whoever produced the message:
- addresses in their compressed form; a network with host bits set is masked
  (``198.51.100.7/24`` → ``198.51.100.0/24``) and a /32 or /128 becomes the bare address;
- domains in lower case, without a trailing dot, IDNA-encoded when not ASCII; a domain that is
  an IP address is refused (it belongs to an address type);
- URLs with scheme and host in lower case, without fragment, an empty path written ``/``;
- hashes in lower-case hex of the algorithm's length.

Scope: ``tenant`` is one tenant id, or None for every tenant (global intelligence). Validity:
``valid_from`` (inclusive, None: no lower bound) to ``valid_until`` (exclusive, None: none); the
correlator judges it by the event's own time (see ``services/correlator/ioc.py``).

Record key (``key``): ``<tenant or *>:<type>:<value>``. The key is the indicator value qualified
by scope and type, because compaction keeps one record per key and one value may be listed for
several tenants and globally. A later record with the same key replaces the earlier one; a record
with ``revoked`` true, or an empty value (a Kafka tombstone), removes it. An expired indicator
stays in the topic until it is revoked or replaced; consumers ignore it once expired.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

IndicatorType = Literal["ipv4-addr", "ipv6-addr", "domain-name", "url", "file"]
HashType = Literal["md5", "sha1", "sha256"]
Tlp = Literal["CLEAR", "WHITE", "GREEN", "AMBER", "AMBER+STRICT", "RED"]

HASH_LENGTHS: dict[str, int] = {"md5": 32, "sha1": 40, "sha256": 64}
MAX_VALUE_CHARS = 4096
_HEX = re.compile(r"[0-9a-f]+")
_LABEL = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")


def canonical_ip(text: str) -> tuple[IndicatorType, str]:
    """The type and canonical spelling of an address or CIDR network; ValueError if neither."""
    network = ipaddress.ip_network(text.strip(), strict=False)
    kind: IndicatorType = "ipv4-addr" if network.version == 4 else "ipv6-addr"
    if network.prefixlen == network.max_prefixlen:
        return kind, str(network.network_address)
    return kind, str(network)


def canonical_domain(text: str) -> str:
    name = text.strip().rstrip(".").lower()
    if not name.isascii():
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise ValueError(f"domain {text!r} is not a valid internationalised name") from exc
    if len(name) > 253 or not all(_LABEL.fullmatch(label) for label in name.split(".")):
        raise ValueError(f"{text!r} is not a domain name")
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return name
    raise ValueError(f"{text!r} is an IP address, not a domain name")


def split_url(text: str) -> tuple[str, str, str]:
    """(scheme, host, rest) of a URL in canonical form; ValueError when it is not one."""
    url = text.strip()
    if not url or any(c.isspace() for c in url):
        raise ValueError(f"{text[:80]!r} is not a URL (empty, or holds white space)")
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    elif not _SCHEME.fullmatch(scheme):
        raise ValueError(f"{text[:80]!r} has no valid scheme")
    rest = rest.partition("#")[0]
    cut = min((i for i in (rest.find("/"), rest.find("?")) if i >= 0), default=len(rest))
    host, tail = rest[:cut].lower(), rest[cut:]
    if not host:
        raise ValueError(f"{text[:80]!r} has no host")
    return scheme.lower(), host, tail if tail.startswith("/") else f"/{tail}"


def canonical_url(text: str) -> str:
    scheme, host, tail = split_url(text)
    return f"{scheme}://{host}{tail}" if scheme else f"{host}{tail}"


def canonical_hash(algorithm: str, text: str) -> str:
    digest = text.strip().lower()
    length = HASH_LENGTHS.get(algorithm)
    if length is None:
        raise ValueError(f"hash algorithm {algorithm!r} is not one of {sorted(HASH_LENGTHS)}")
    if len(digest) != length or not _HEX.fullmatch(digest):
        raise ValueError(f"{text[:80]!r} is not a {algorithm} digest ({length} hex digits)")
    return digest


class Indicator(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    type: IndicatorType
    value: str = Field(min_length=1, max_length=MAX_VALUE_CHARS)
    hash: HashType | None = None
    tenant: str | None = Field(default=None, min_length=1, max_length=63)
    confidence: int = Field(default=50, ge=0, le=100)
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    revoked: bool = False
    provider: str | None = None
    feed: str | None = None
    description: str | None = None
    reference: str | None = None
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    marking: Tlp | None = None
    tags: tuple[str, ...] = ()  # ATT&CK tags written as in Sigma: attack.t1071, attack.ta0011
    source_id: str | None = None  # the feed's own id (STIX indicator id, MISP attribute uuid)

    @model_validator(mode="before")
    @classmethod
    def _canonical(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not isinstance(data.get("value"), str):
            return data  # field validation reports what is missing
        kind, value = data.get("type"), data["value"]
        if kind in ("ipv4-addr", "ipv6-addr"):
            found, value = canonical_ip(value)
            if found != kind:
                raise ValueError(f"{data['value']!r} is an {found}, not an {kind}")
        elif kind == "domain-name":
            value = canonical_domain(value)
        elif kind == "url":
            value = canonical_url(value)
        elif kind == "file":
            value = canonical_hash(str(data.get("hash")), value)
        return {**data, "value": value}

    @model_validator(mode="after")
    def _consistent(self) -> Indicator:
        if (self.type == "file") != (self.hash is not None):
            raise ValueError("hash is set for file indicators, and for them only")
        if self.valid_from and self.valid_until and self.valid_until <= self.valid_from:
            raise ValueError("valid_until must be later than valid_from")
        return self

    @property
    def key(self) -> str:
        return f"{self.tenant or '*'}:{self.type}:{self.value}"
