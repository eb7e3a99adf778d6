"""Intel loaders: STIX 2.1 bundles (made with stix2), MISP events, CSV; each skip has a reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
import stix2  # type: ignore[import-untyped]

from services.correlator.intel import IntelError, LoadOptions, LoadResult, load

NOW = datetime(2026, 12, 1, tzinfo=UTC)
SHA256 = "a" * 64
MD5 = "0123456789abcdef0123456789ABCDEF"


def keys(result: LoadResult) -> list[str]:
    return [i.key for i in result.indicators]


def reasons(result: LoadResult) -> dict[str, str]:
    return {s.entry: s.reason for s in result.skipped}


# --- STIX ------------------------------------------------------------------------------------

ACME_CERT = stix2.Identity(name="Example CERT", identity_class="organization")
C2_TECHNIQUE = stix2.AttackPattern(
    name="Application Layer Protocol",
    external_references=[{"source_name": "mitre-attack", "external_id": "T1071"}],
)


def stix_indicator(pattern: str, **extra: Any) -> stix2.Indicator:
    return stix2.Indicator(
        pattern=pattern, pattern_type="stix", valid_from="2026-11-01T00:00:00Z", **extra
    )


def bundle(*objects: Any) -> bytes:
    return stix2.Bundle(*objects, allow_custom=True).serialize().encode()


def test_stix_bundle_indicators_carry_their_context() -> None:
    ind = stix_indicator(
        "[ipv4-addr:value = '203.0.113.5']", confidence=85, created_by_ref=ACME_CERT.id,
        valid_until="2027-01-01T00:00:00Z", object_marking_refs=[stix2.TLP_AMBER.id],
        kill_chain_phases=[{"kill_chain_name": "mitre-attack", "phase_name": "exfiltration"}],
        description="C2 server",
        external_references=[{"source_name": "r", "url": "https://example.com/r"}],
    )  # fmt: skip
    indicates = stix2.Relationship(ind, "indicates", C2_TECHNIQUE)
    result = load(bundle(ind, ACME_CERT, C2_TECHNIQUE, indicates), "auto", LoadOptions(feed="cert"))
    assert result.skipped == []
    [got] = result.indicators
    assert got.model_dump(exclude={"first_seen", "last_seen"}) == {
        "type": "ipv4-addr", "value": "203.0.113.5", "hash": None, "tenant": None,
        "confidence": 85, "valid_from": datetime(2026, 11, 1, tzinfo=UTC),
        "valid_until": datetime(2027, 1, 1, tzinfo=UTC), "revoked": False,
        "provider": "Example CERT", "feed": "cert", "description": "C2 server",
        "reference": "https://example.com/r", "marking": "AMBER",
        "tags": ("attack.exfiltration", "attack.t1071"), "source_id": ind.id,
    }  # fmt: skip
    assert got.first_seen == ind.created


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("[domain-name:value = 'Evil.Example.com']", ["*:domain-name:evil.example.com"]),
        ("[url:value = 'http://evil.example.com/x']", ["*:url:http://evil.example.com/x"]),
        (f"[file:hashes.'SHA-256' = '{SHA256}']", [f"*:file:{SHA256}"]),
        (f"[file:hashes.MD5 = '{MD5}']", [f"*:file:{MD5.lower()}"]),
        ("[ipv4-addr:value ISSUBSET '198.51.100.0/24']", ["*:ipv4-addr:198.51.100.0/24"]),
        ("[ipv6-addr:value = '2001:db8::1']", ["*:ipv6-addr:2001:db8::1"]),
        (
            "[ipv4-addr:value = '203.0.113.5' OR domain-name:value = 'c2.example.com']",
            ["*:ipv4-addr:203.0.113.5", "*:domain-name:c2.example.com"],
        ),
        (
            "[ipv4-addr:value = '203.0.113.5'] OR [url:value = 'https://example.com/a']",
            ["*:ipv4-addr:203.0.113.5", "*:url:https://example.com/a"],
        ),
        (
            "[ipv4-addr:value IN ('203.0.113.5', '203.0.113.6')]",
            ["*:ipv4-addr:203.0.113.5", "*:ipv4-addr:203.0.113.6"],
        ),
    ],
)
def test_stix_patterns_become_one_indicator_per_or_operand(
    pattern: str, expected: list[str]
) -> None:
    result = load(bundle(stix_indicator(pattern)), "stix", LoadOptions())
    assert (keys(result), result.skipped) == (expected, [])


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        ("[ipv4-addr:value = '203.0.113.5'] AND [domain-name:value = 'a.example.com']", "AND"),
        ("[file:hashes.MD5 = '" + MD5 + "' AND file:name = 'x.exe']", "AND"),
        (
            "[ipv4-addr:value = '203.0.113.5'] FOLLOWEDBY [url:value = 'http://a.example.com/']",
            "FOLLOWEDBY",
        ),
        ("[ipv4-addr:value = '203.0.113.5'] WITHIN 60 SECONDS", "qualified"),
        ("[ipv4-addr:value != '203.0.113.5']", "only =, IN and ISSUBSET"),
        ("[domain-name:value LIKE '%.example.com']", "only =, IN and ISSUBSET"),
        ("[email-addr:value = 'a@example.com']", "not matched by Vigie"),
        ("[domain-name:value ISSUBSET 'example.com']", "addresses only"),
        ("[ipv4-addr:value = 'not-an-address']", "does not appear to be an IPv4 or IPv6"),
    ],
)
def test_stix_patterns_that_cannot_be_matched_are_listed_with_a_reason(
    pattern: str, reason: str
) -> None:
    ind = stix_indicator(pattern)
    result = load(bundle(ind), "stix", LoadOptions())
    assert result.indicators == []
    assert reason in reasons(result)[ind.id]


def test_stix_or_keeps_the_matchable_operands_and_lists_the_others() -> None:
    ind = stix_indicator(
        "[ipv4-addr:value = '203.0.113.5'] OR ([url:value = 'http://a.example.com/'] AND "
        "[domain-name:value = 'b.example.com'])"
    )
    result = load(bundle(ind), "stix", LoadOptions())
    assert keys(result) == ["*:ipv4-addr:203.0.113.5"]
    assert [s.entry for s in result.skipped] == [ind.id] and "AND" in result.skipped[0].reason


def test_stix_other_pattern_types_bad_objects_and_revocations() -> None:
    snort = stix2.Indicator(pattern="alert tcp any any -> any any (msg:\"x\";)",
                            pattern_type="snort", valid_from="2026-11-01T00:00:00Z")  # fmt: skip
    revoked = stix_indicator("[domain-name:value = 'old.example.com']", revoked=True)
    doc = orjson.loads(bundle(snort, revoked))
    doc["objects"].append({"type": "indicator", "id": "indicator--bad", "pattern": "[x]"})
    result = load(orjson.dumps(doc), "stix", LoadOptions())
    assert [(i.key, i.revoked) for i in result.indicators] == [
        ("*:domain-name:old.example.com", True)
    ]
    why = reasons(result)
    assert "pattern_type 'snort'" in why[snort.id]
    assert why["indicator--bad"].startswith("not a valid STIX object")


# --- MISP ------------------------------------------------------------------------------------


def misp_event(*attributes: dict[str, Any], tags: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"Event": {
        "info": "Phishing wave", "Orgc": {"name": "Example ISAC"},
        "Tag": [{"name": t} for t in tags], "Attribute": list(attributes),
        "Object": [{"name": "file", "Attribute": [
            {"uuid": "o1", "type": "sha256", "value": SHA256, "to_ids": True}]}],
    }}  # fmt: skip


def test_misp_attribute_types_and_context() -> None:
    event = misp_event(
        {"uuid": "a1", "type": "ip-dst", "value": "203.0.113.5", "to_ids": True,
         "comment": "C2", "first_seen": "2026-11-01T00:00:00Z",
         "Tag": [{"name": "tlp:red"}]},
        {"uuid": "a2", "type": "ip-src|port", "value": "198.51.100.0/24|443", "to_ids": True},
        {"uuid": "a3", "type": "domain|ip", "value": "c2.example.com|203.0.113.9", "to_ids": True},
        {"uuid": "a4", "type": "hostname", "value": "Mail.Example.com", "to_ids": True},
        {"uuid": "a5", "type": "url", "value": "https://example.com/login", "to_ids": True},
        {"uuid": "a6", "type": "filename|md5", "value": f"x.exe|{MD5}", "to_ids": True},
        {"uuid": "a7", "type": "domain", "value": "gone.example.com", "to_ids": True,
         "deleted": True},
        tags=("tlp:amber", 'misp-galaxy:mitre-attack-pattern="Phishing - T1566.002"'),
    )  # fmt: skip
    result = load(orjson.dumps({"response": [event]}), "auto", LoadOptions(tenant="acme"))
    assert result.skipped == []
    assert keys(result) == [
        "acme:ipv4-addr:203.0.113.5", "acme:ipv4-addr:198.51.100.0/24",
        "acme:domain-name:c2.example.com", "acme:ipv4-addr:203.0.113.9",
        "acme:domain-name:mail.example.com", "acme:url:https://example.com/login",
        f"acme:file:{MD5.lower()}", "acme:domain-name:gone.example.com", f"acme:file:{SHA256}",
    ]  # fmt: skip
    first = result.indicators[0]
    assert (first.provider, first.marking, first.tags, first.description) == (
        "Example ISAC", "RED", ("attack.t1566.002",), "C2",
    )  # fmt: skip
    assert first.valid_from == datetime(2026, 11, 1, tzinfo=UTC)
    assert result.indicators[1].marking == "AMBER"  # the event's TLP when the attribute has none
    assert result.indicators[1].description == "Phishing wave"
    assert [i.revoked for i in result.indicators].count(True) == 1


def test_misp_entries_not_loaded_are_listed_with_their_reason() -> None:
    event = misp_event(
        {"uuid": "b1", "type": "email-src", "value": "a@example.com", "to_ids": True},
        {"uuid": "b2", "type": "ip-dst", "value": "203.0.113.5", "to_ids": False},
        {"uuid": "b3", "type": "ip-dst", "value": "not-an-ip", "to_ids": True},
        {"uuid": "b4", "type": "domain|ip", "value": "ok.example.com|bad", "to_ids": True},
        {"uuid": "b5", "type": "filename|sha1", "value": "no-pipe", "to_ids": True},
    )  # fmt: skip
    result = load(orjson.dumps(event), "misp", LoadOptions())
    assert keys(result) == [f"*:file:{SHA256}"]  # only the object's attribute; b4 all or nothing
    why = reasons(result)
    assert why["attribute b1"] == "MISP type 'email-src' is not matched"
    assert why["attribute b2"] == "to_ids is false: not meant for detection"
    assert "does not appear to be an IPv4 or IPv6" in why["attribute b3"]
    assert "does not appear to be an IPv4 or IPv6" in why["attribute b4"]
    assert why["attribute b5"] == "value does not have the 2 parts of its type"


# --- CSV -------------------------------------------------------------------------------------

CSV = b"""# Example feed
Type;Value;Confidence;Valid_Until;Description;Tags;Source
ip;203.0.113.5;90;2027-01-01;C2 server;attack.t1071 attack.command-and-control;x
cidr;2001:db8::/32;;;;;x

domain;Evil.Example.com.;;;;;x
sha256;%s;;;;;x
email;a@example.com;;;;;x
md5;abc;;;;;x
ip;203.0.113.7;high;;;;x
url;http://example.com/a;;;
""" % SHA256.encode()


def test_csv_feed_lines_become_indicators_or_reasons() -> None:
    options = LoadOptions(tenant="acme", confidence=40, valid_days=30, now=NOW)
    result = load(CSV, "auto", options, name="feed.csv")
    assert keys(result) == [
        "acme:ipv4-addr:203.0.113.5", "acme:ipv6-addr:2001:db8::/32",
        "acme:domain-name:evil.example.com", f"acme:file:{SHA256}",
    ]  # fmt: skip
    first, second = result.indicators[:2]
    assert (first.confidence, first.valid_until, first.description, first.tags) == (
        90, datetime(2027, 1, 1, tzinfo=UTC), "C2 server",
        ("attack.t1071", "attack.command-and-control"),
    )  # fmt: skip
    assert (second.confidence, second.valid_until) == (40, NOW + timedelta(days=30))
    why = reasons(result)
    assert why["header"] == "columns ignored: source"
    assert why["line 8"] == "type 'email' is not supported"
    assert why["line 9"] == "'abc' is not a md5 digest (32 hex digits)"
    assert "invalid literal for int()" in why["line 10"]
    assert why["line 11"] == "5 fields where the header has 7"
    assert len(result.skipped) == 5


@pytest.mark.parametrize(
    ("data", "fmt", "message"),
    [
        (b"value\n203.0.113.5\n", "csv", "must name type and value"),
        (b"# only comments\n", "csv", "no CSV header"),
        (b'{"type": "report"}', "auto", "neither a STIX bundle nor a MISP event"),
        (b"{not json", "stix", "not valid JSON"),
        (b'{"type": "report"}', "stix", "not a STIX bundle"),
        (b'{"response": {"x": 1}}', "misp", "not a MISP export"),
        (b"\xff\xfe", "csv", "not UTF-8"),
    ],
)
def test_unreadable_files_raise_a_clear_error(data: bytes, fmt: Any, message: str) -> None:
    with pytest.raises(IntelError, match=message):
        load(data, fmt, LoadOptions())
