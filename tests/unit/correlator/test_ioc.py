"""IndicatorIndex: fields, addresses and CIDR buckets (v4, v6), tenant scope, validity by time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from schemas.indicator import Indicator
from services.correlator import ioc
from services.correlator.ioc import FIELDS, IndicatorIndex
from services.correlator.windows import micros
from tests.unit.correlator.factories import doc

AT = micros(datetime(2026, 12, 1, 10, tzinfo=UTC))
SHA256 = "b" * 64


def ind(type_: Any, value: str, **extra: Any) -> Indicator:
    if type_ in ("md5", "sha1", "sha256"):
        return Indicator(type="file", hash=type_, value=value, **extra)
    return Indicator(type=type_, value=value, **extra)


def index_of(*indicators: Indicator) -> IndicatorIndex:
    index = IndicatorIndex()
    for indicator in indicators:
        index.put(indicator)
    return index


def matched(
    index: IndicatorIndex, fields: dict[str, Any], tenant: str = "acme"
) -> list[tuple[str, str]]:
    return [(m.field, m.indicator.key) for m in index.matches(doc(fields), tenant=tenant, at=AT)]


class Counting(dict[Any, Any]):
    """A dict that records the keys it is asked for."""

    def __init__(self, data: dict[Any, Any]) -> None:
        super().__init__(data)
        self.asked: list[Any] = []

    def get(self, key: Any, default: Any = None) -> Any:
        self.asked.append(key)
        return super().get(key, default)


EVERY_KIND = index_of(
    ind("ipv4-addr", "203.0.113.5"), ind("domain-name", "evil.example.com"),
    ind("url", "http://evil.example.com/payload"), ind("md5", "c" * 32),
    ind("sha1", "d" * 40), ind("sha256", SHA256),
)  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"source.ip": "203.0.113.5"}, [("source.ip", "*:ipv4-addr:203.0.113.5")]),
        ({"destination.ip": "203.0.113.5"}, [("destination.ip", "*:ipv4-addr:203.0.113.5")]),
        ({"destination.ip": "::ffff:203.0.113.5"}, [("destination.ip", "*:ipv4-addr:203.0.113.5")]),
        ({"destination.ip": "203.0.113.6"}, []),
        ({"destination.ip": "not an address"}, []),
        ({"url.domain": "EVIL.example.com"}, [("url.domain", "*:domain-name:evil.example.com")]),
        ({"dns.question.name": "evil.example.com."},
         [("dns.question.name", "*:domain-name:evil.example.com")]),
        ({"destination.domain": "evil.example.com"},
         [("destination.domain", "*:domain-name:evil.example.com")]),
        ({"dns.question.name": "a.evil.example.com"}, []),  # exact names only
        ({"url.original": "https://EVIL.example.com/payload#top"},
         [("url.original", "*:url:http://evil.example.com/payload")]),  # scheme-insensitive
        ({"url.full": "evil.example.com/payload"},
         [("url.full", "*:url:http://evil.example.com/payload")]),
        ({"url.original": "http://evil.example.com/payload?x=1"}, []),
        ({"file.hash.md5": "C" * 32}, [("file.hash.md5", "*:file:" + "c" * 32)]),
        ({"process.hash.sha1": "d" * 40}, [("process.hash.sha1", "*:file:" + "d" * 40)]),
        ({"file.hash.sha256": SHA256, "process.hash.sha256": SHA256},
         [("file.hash.sha256", f"*:file:{SHA256}"), ("process.hash.sha256", f"*:file:{SHA256}")]),
        ({"file.hash.sha1": SHA256}, []),  # a value is looked up under its field's algorithm
        ({"source.ip": ["198.51.100.1", "203.0.113.5", "203.0.113.5"]},
         [("source.ip", "*:ipv4-addr:203.0.113.5")]),  # list fields, each pair once
        ({"host.ip": "203.0.113.5", "related.ip": ["203.0.113.5"]}, []),  # fields not listed
        ({"destination.ip": 42}, []),
    ],
)  # fmt: skip
def test_fields_are_matched_by_kind(
    fields: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    assert matched(EVERY_KIND, fields) == expected


def test_every_listed_field_is_read() -> None:
    values = {"ip": "203.0.113.5", "domain-name": "evil.example.com",
              "url": "http://evil.example.com/payload", "md5": "c" * 32, "sha1": "d" * 40,
              "sha256": SHA256}  # fmt: skip
    fields = {field: values[kind] for field, kind in FIELDS.items()}
    assert [f for f, _ in matched(EVERY_KIND, fields)] == list(FIELDS)


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("198.51.100.77", ["*:ipv4-addr:198.51.100.77", "*:ipv4-addr:198.51.100.64/26",
                           "*:ipv4-addr:198.51.100.0/24", "*:ipv4-addr:0.0.0.0/0"]),
        ("198.51.100.1", ["*:ipv4-addr:198.51.100.0/24", "*:ipv4-addr:0.0.0.0/0"]),
        ("192.0.2.1", ["*:ipv4-addr:0.0.0.0/0"]),
        ("2001:db8:1::5", ["*:ipv6-addr:2001:db8:1::5", "*:ipv6-addr:2001:db8::/32"]),
        ("2001:db8:ffff::1", ["*:ipv6-addr:2001:db8::/32"]),
        ("2001:db9::1", []),
    ],
)  # fmt: skip
def test_cidr_buckets_match_every_enclosing_network_longest_first(
    address: str, expected: list[str]
) -> None:
    v4 = ("198.51.100.0/24", "198.51.100.64/26", "198.51.100.77", "0.0.0.0/0")
    v6 = ("2001:db8::/32", "2001:db8:1::5")
    index = index_of(*(ind("ipv4-addr", v) for v in v4), *(ind("ipv6-addr", v) for v in v6))
    assert [k for _, k in matched(index, {"source.ip": address})] == expected


def test_an_address_costs_one_lookup_per_prefix_length_present(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    networks = [ind("ipv4-addr", f"10.{i // 256}.{i % 256}.0/24") for i in range(5000)]
    index = index_of(*networks, *(ind("ipv4-addr", f"192.0.2.{i}") for i in range(200)))
    spy = Counting(index._slots)
    monkeypatch.setattr(index, "_slots", spy)
    found = matched(index, {"destination.ip": "10.3.7.9"})
    assert found == [("destination.ip", "*:ipv4-addr:10.3.7.0/24")]
    assert len(spy.asked) == 2  # 5,200 indicators, two prefix lengths: two lookups
    every_length = index_of(*(ind("ipv4-addr", f"203.0.113.5/{n}") for n in range(33)))
    spy = Counting(every_length._slots)
    monkeypatch.setattr(every_length, "_slots", spy)
    assert len(every_length.lookup("ip", "203.0.113.5", tenant="acme", at=AT)) == 33
    assert len(spy.asked) == 33


def test_tenant_scope() -> None:
    index = index_of(
        ind("ipv4-addr", "203.0.113.5", tenant="acme", confidence=90),
        ind("ipv4-addr", "203.0.113.5", confidence=30),
        ind("domain-name", "acme-only.example.com", tenant="acme"),
        ind("domain-name", "everyone.example.com"),
    )
    fields = {"destination.ip": "203.0.113.5", "url.domain": "acme-only.example.com",
              "dns.question.name": "everyone.example.com"}  # fmt: skip
    acme = [m.indicator for m in index.matches(doc(fields), tenant="acme", at=AT)]
    globex = [m.indicator for m in index.matches(doc(fields), tenant="globex", at=AT)]
    # The tenant's own indicator wins over the global one of the same value.
    assert [(i.key, i.confidence) for i in acme] == [
        ("acme:ipv4-addr:203.0.113.5", 90), ("acme:domain-name:acme-only.example.com", 50),
        ("*:domain-name:everyone.example.com", 50),
    ]  # fmt: skip
    assert [i.key for i in globex] == [
        "*:ipv4-addr:203.0.113.5",
        "*:domain-name:everyone.example.com",
    ]


def test_validity_is_judged_by_event_time() -> None:
    index = index_of(
        ind(
            "ipv4-addr",
            "203.0.113.5",
            tenant="acme",
            valid_until=datetime(2026, 12, 1, 10, tzinfo=UTC),
        ),
        ind("ipv4-addr", "203.0.113.5", valid_from=datetime(2026, 11, 1, tzinfo=UTC)),
        ind("ipv4-addr", "198.51.100.9", valid_from=datetime(2026, 12, 2, tzinfo=UTC)),
    )

    def keys(address: str, when: datetime) -> list[str]:
        found = index.lookup("ip", address, tenant="acme", at=micros(when))
        return [i.key for i in found]

    before_end = datetime(2026, 12, 1, 9, 59, 59, tzinfo=UTC)
    assert keys("203.0.113.5", before_end) == ["acme:ipv4-addr:203.0.113.5"]
    # valid_until is exclusive; the expired tenant indicator gives way to the live global one.
    assert keys("203.0.113.5", datetime(2026, 12, 1, 10, tzinfo=UTC)) == ["*:ipv4-addr:203.0.113.5"]
    assert keys("203.0.113.5", datetime(2026, 10, 31, tzinfo=UTC)) == ["acme:ipv4-addr:203.0.113.5"]
    assert keys("198.51.100.9", datetime(2026, 12, 1, tzinfo=UTC)) == []  # not valid yet
    assert keys("198.51.100.9", datetime(2026, 12, 2, tzinfo=UTC)) == ["*:ipv4-addr:198.51.100.9"]


def test_replace_revoke_remove_and_drop_expired() -> None:
    index = index_of(ind("ipv4-addr", "203.0.113.0/24", confidence=10))
    index.put(ind("ipv4-addr", "203.0.113.0/24", confidence=70))
    assert len(index) == 1
    assert [i.confidence for i in index.lookup("ip", "203.0.113.1", tenant="t", at=AT)] == [70]
    index.put(ind("ipv4-addr", "203.0.113.0/24", revoked=True))
    assert (len(index), index.lookup("ip", "203.0.113.1", tenant="t", at=AT)) == (0, [])
    assert index._lengths == {4: [], 6: []}  # an emptied prefix length is no longer looked up
    index.put(ind("domain-name", "a.example.com", valid_until=datetime(2026, 1, 1, tzinfo=UTC)))
    index.put(ind("domain-name", "b.example.com", valid_until=datetime(2027, 1, 1, tzinfo=UTC)))
    index.put(ind("domain-name", "c.example.com"))
    assert index.drop_expired(datetime(2026, 6, 1, tzinfo=UTC)) == 1
    assert index.remove("*:domain-name:c.example.com") and not index.remove(
        "*:domain-name:c.example.com"
    )
    assert [
        m.indicator.value
        for m in index.matches(doc({"url.domain": "b.example.com"}), tenant="t", at=AT)
    ] == ["b.example.com"]
    assert len(index) == 1


def test_an_empty_index_reads_no_field() -> None:
    class Exploding(dict):  # type: ignore[type-arg]
        def get(self, *args: Any) -> Any:
            raise AssertionError("read")

    assert IndicatorIndex().matches(Exploding(), tenant="t", at=AT) == []


def test_long_list_fields_are_read_in_part() -> None:
    values = [f"192.0.2.{i}" for i in range(ioc.MAX_VALUES_PER_FIELD)] + ["203.0.113.5"]
    assert matched(EVERY_KIND, {"source.ip": values}) == []
