"""Indicator index: the live indicators an ECS event's fields hold, in O(1) per field value.

``FIELDS`` names the fields read and how each is looked up; the messages are
``schemas.indicator.Indicator`` (one model on the wire and in the index).
- Addresses (``source.ip``, ``destination.ip``): exact addresses and CIDR networks share one
  structure, a dict per (IP version, prefix length) present in the index; an address is looked up
  once per prefix length present, longest first (at most 33 lookups for IPv4, 129 for IPv6).
  Every matching network yields its indicator (a /32 and the /24 around it both match). An
  IPv4-mapped IPv6 address is looked up as its IPv4 address.
- Domains: exact, in lower case without a trailing dot (no parent-domain matching: a feed lists
  the names it means). URLs: exact on the canonical form without its scheme, so one indicator
  matches the http and https spellings. Hashes: lower-case hex, by algorithm.
- A field holding a list is read element by element, its first ``MAX_VALUES_PER_FIELD`` only.

Scope: an indicator with a tenant matches that tenant's events only; a global one (tenant None)
matches every tenant's. When both hold the same value, the tenant's own live indicator wins, so
one (value, field) gives one indicator.

Validity is judged by event time, never by the wall clock: an indicator matches an event whose
time ``at`` (µs since the epoch) satisfies ``valid_from <= at < valid_until``. Replays and late
events are therefore judged against the intelligence valid when they happened, and the result is
deterministic. Expired indicators are kept until ``drop_expired(before)`` removes them (the
adapter calls it with its clock, keeping a grace period for late events).
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from schemas.indicator import Indicator, split_url
from services.correlator.field_access import getter
from services.correlator.windows import micros

FIELDS: dict[str, str] = {
    "source.ip": "ip",
    "destination.ip": "ip",
    "url.domain": "domain-name",
    "dns.question.name": "domain-name",
    "destination.domain": "domain-name",
    "url.original": "url",
    "url.full": "url",
    "file.hash.md5": "md5",
    "file.hash.sha1": "sha1",
    "file.hash.sha256": "sha256",
    "process.hash.md5": "md5",
    "process.hash.sha1": "sha1",
    "process.hash.sha256": "sha256",
}
MAX_VALUES_PER_FIELD = 32
_NEVER, _ALWAYS = -(2**62), 2**62  # µs bounds of an open validity interval
_BITS = {4: 32, 6: 128}


@dataclass(frozen=True, slots=True)
class Match:
    field: str
    indicator: Indicator


@dataclass(frozen=True, slots=True)
class _Entry:
    indicator: Indicator
    start: int  # µs, inclusive
    end: int  # µs, exclusive

    def live(self, at: int) -> bool:
        return self.start <= at < self.end


@dataclass(frozen=True, slots=True)
class _Place:
    kind: str  # a FIELDS lookup kind
    slot: Hashable
    scope: str | None
    prefix: tuple[int, int] | None = None  # (IP version, prefix length) of an address or network


def url_key(text: str) -> str:
    """What URLs are matched on: the canonical URL without its scheme."""
    _, host, tail = split_url(text)
    return f"{host}{tail}"


def _place(indicator: Indicator) -> _Place:
    scope = indicator.tenant
    if indicator.type in ("ipv4-addr", "ipv6-addr"):
        net = ipaddress.ip_network(indicator.value)
        shifted = int(net.network_address) >> (net.max_prefixlen - net.prefixlen)
        prefix = (net.version, net.prefixlen)
        return _Place("ip", (*prefix, shifted), scope, prefix)
    if indicator.type == "file":
        kind = str(indicator.hash)
        return _Place(kind, (kind, indicator.value), scope)
    if indicator.type == "url":
        return _Place("url", ("url", url_key(indicator.value)), scope)
    return _Place("domain-name", ("domain-name", indicator.value), scope)


def _entry(indicator: Indicator) -> _Entry:
    start = micros(indicator.valid_from) if indicator.valid_from else _NEVER
    end = micros(indicator.valid_until) if indicator.valid_until else _ALWAYS
    return _Entry(indicator, start, end)


class IndicatorIndex:
    def __init__(self) -> None:
        self._slots: dict[Hashable, dict[str | None, _Entry]] = {}
        self._places: dict[str, _Place] = {}  # message key → where its entry is
        self._kinds: Counter[str] = Counter()  # entries per lookup kind: absent kinds are skipped
        self._prefixes: Counter[tuple[int, int]] = Counter()  # (version, prefix length) in use
        self._lengths: dict[int, list[int]] = {4: [], 6: []}  # the same, longest first
        self._fields = [(field, kind, getter(field)) for field, kind in FIELDS.items()]

    def __len__(self) -> int:
        return len(self._places)

    def put(self, indicator: Indicator) -> None:
        """Add or replace the indicator of its key; a revoked one is removed instead."""
        self.remove(indicator.key)
        if indicator.revoked:
            return
        place = _place(indicator)
        self._slots.setdefault(place.slot, {})[place.scope] = _entry(indicator)
        self._places[indicator.key] = place
        self._count(place, +1)

    def remove(self, key: str) -> bool:
        place = self._places.pop(key, None)
        if place is None:
            return False
        scoped = self._slots[place.slot]
        del scoped[place.scope]
        if not scoped:
            del self._slots[place.slot]
        self._count(place, -1)
        return True

    def drop_expired(self, before: datetime) -> int:
        """Remove indicators whose validity ended at or before ``before``; how many."""
        limit = micros(before)
        expired = [
            key for key, p in self._places.items() if self._slots[p.slot][p.scope].end <= limit
        ]
        for key in expired:
            self.remove(key)
        return len(expired)

    def lookup(self, kind: str, value: str, *, tenant: str, at: int) -> list[Indicator]:
        """The live indicators one field value of kind ``kind`` matches for ``tenant``."""
        found = []
        for slot in self._slots_of(kind, value):
            scoped = self._slots.get(slot)
            if scoped is None:
                continue
            own, common = scoped.get(tenant), scoped.get(None)
            if own is not None and own.live(at):
                found.append(own.indicator)
            elif common is not None and common.live(at):
                found.append(common.indicator)
        return found

    def matches(self, doc: Mapping[str, Any], *, tenant: str, at: int) -> list[Match]:
        """Every (field, indicator) of one event, each pair once, in ``FIELDS`` order."""
        if not self._places:
            return []
        found: dict[tuple[str, str], Match] = {}
        for field, kind, get in self._fields:
            if not self._kinds[kind]:
                continue
            value = get(doc)
            if value is None:
                continue
            for item in value[:MAX_VALUES_PER_FIELD] if type(value) is list else (value,):
                if type(item) is str:
                    for indicator in self.lookup(kind, item, tenant=tenant, at=at):
                        found.setdefault((field, indicator.key), Match(field, indicator))
        return list(found.values())

    def _slots_of(self, kind: str, value: str) -> list[Hashable]:
        if kind == "ip":
            try:
                address = ipaddress.ip_address(value.strip())
            except ValueError:
                return []
            if address.version == 6 and address.ipv4_mapped is not None:
                address = address.ipv4_mapped
            number, bits = int(address), _BITS[address.version]
            return [
                (address.version, length, number >> (bits - length))
                for length in self._lengths[address.version]
            ]
        if kind == "url":
            try:
                return [("url", url_key(value))]
            except ValueError:
                return []
        if kind == "domain-name":
            return [(kind, value.strip().rstrip(".").lower())]
        return [(kind, value.strip().lower())]

    def _count(self, place: _Place, step: int) -> None:
        self._kinds[place.kind] += step
        if place.prefix is not None:
            self._prefixes[place.prefix] += step
            if self._prefixes[place.prefix] in (0, 1):  # a length may have appeared or gone
                version = place.prefix[0]
                present = [n for (v, n), count in self._prefixes.items() if v == version and count]
                self._lengths[version] = sorted(present, reverse=True)
