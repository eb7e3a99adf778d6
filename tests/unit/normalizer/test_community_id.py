"""Community ID v1 and X.509 DN helpers, checked against values Elastic's pipelines produced."""

from __future__ import annotations

from typing import Any

import pytest

from services.normalizer.parsers.community_id import community_id
from services.normalizer.parsers.x509_names import name_fields

# (transport, source ip, source port, destination ip, destination port) → Elastic's value.
FLOWS: list[tuple[tuple[Any, ...], str | None]] = [
    (("tcp", "192.168.15.224", 52984, "175.16.199.1", 443), "1:uw+iNVMmjYN9VAmQZQDw4+dyarA="),
    (("tcp", "192.168.1.63", 37679, "175.16.199.1", 443), "1:JXH5QeRl6+F+lTj/JOTAPn5Yegk="),
    (("TCP", "203.0.113.20", 46927, "198.51.100.10", 636), "1:VrO3+djDFODhi8QBpji+ya5QAXw="),
    (("tcp", "198.51.100.10", 636, "203.0.113.20", 46927), "1:VrO3+djDFODhi8QBpji+ya5QAXw="),
    (("icmp", "192.0.2.1", 8, "192.0.2.2", 0), None),
    (("tcp", "192.0.2.1", 1, "2001:db8::1", 2), None),
    (("tcp", "192.0.2.1", 70000, "192.0.2.2", 2), None),
    (("tcp", "192.0.2.1", True, "192.0.2.2", 2), None),
    (("tcp", "not-an-ip", 1, "192.0.2.2", 2), None),
    ((None, "192.0.2.1", 1, "192.0.2.2", 2), None),
    ((6, "192.0.2.1", 1, "192.0.2.2", 2), None),
]


@pytest.mark.parametrize(("flow", "expected"), FLOWS)
def test_community_id_matches_elastic(flow: tuple[Any, ...], expected: str | None) -> None:
    assert community_id(*flow) == expected


DNS: list[tuple[str, dict[str, list[str]]]] = [
    ("CN=example.com, O=Example Corp, C=US",
     {"common_name": ["example.com"], "organization": ["Example Corp"], "country": ["US"]}),
    ("CN=www.example.com,O=Example\\, Inc,OU=Web,OU=Ops,L=Paris,ST=IDF",
     {"common_name": ["www.example.com"], "organization": ["Example, Inc"],
      "organizational_unit": ["Web", "Ops"], "locality": ["Paris"],
      "state_or_province": ["IDF"]}),
    ("", {}),
    ("garbage, =x, CN=, emailAddress=a@example.com", {}),
]  # fmt: skip


@pytest.mark.parametrize(("dn", "expected"), DNS)
def test_x509_name_fields(dn: str, expected: dict[str, list[str]]) -> None:
    assert name_fields(dn) == expected
