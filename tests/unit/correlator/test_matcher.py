"""Matcher: Sigma detections compiled to predicates over (nested) event documents."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from sigma.exceptions import SigmaRegularExpressionError
from sigma.policy import SigmaPolicy
from sigma.policy.profiles import TrustedPolicy
from sigma.rule import SigmaRule

from services.correlator.matcher import CompileError, compile_rule
from services.correlator.sigma_terms import Match, Text, Wild, translate


def _rule(detection: str, policy: SigmaPolicy | None = None) -> SigmaRule:
    body = {"title": "t", "logsource": {"product": "test"}, "detection": yaml.safe_load(detection)}
    return SigmaRule.from_dict(body, policy=policy)


def predicate(detection: str, policy: SigmaPolicy | None = None) -> Any:
    engine = policy.regex_engine if policy else None
    return compile_rule(_rule(detection, policy).detection, regex_engine=engine)


def sel(item: str) -> str:
    """A detection with one selection made of ``item`` (a YAML ``key: value`` line)."""
    return f"selection:\n  {item}\ncondition: selection"


# (id, detection, event, expected)
MODIFIERS = [
    (
        "eq-folds-case",
        sel("Image: 'C:\\Windows\\CMD.exe'"),
        {"Image": "c:\\windows\\cmd.EXE"},
        True,
    ),
    ("eq-whole-value", sel("Image: 'cmd.exe'"), {"Image": "xcmd.exe"}, False),
    ("cased-eq", sel("Image|cased: 'cmd.exe'"), {"Image": "CMD.exe"}, False),
    ("cased-eq-same", sel("Image|cased: 'cmd.exe'"), {"Image": "cmd.exe"}, True),
    ("number-vs-string", sel("EventID: 4624"), {"EventID": "4624"}, True),
    ("number-vs-int", sel("EventID: 4624"), {"EventID": 4624}, True),
    ("number-vs-float-text", sel("EventID: 4624"), {"EventID": "4624.0"}, True),
    ("number-other", sel("EventID: 4624"), {"EventID": "4625"}, False),
    ("number-not-bool", sel("Flag: 1"), {"Flag": True}, False),
    ("string-vs-int", sel("Code: '4624'"), {"Code": 4624}, True),
    ("bool-true", sel("Flag: true"), {"Flag": True}, True),
    ("bool-text", sel("Flag: true"), {"Flag": "True"}, True),
    ("bool-false", sel("Flag: true"), {"Flag": False}, False),
    ("list-or-hit", sel("User: [alice, bob]"), {"User": "BOB"}, True),
    ("list-or-miss", sel("User: [alice, bob]"), {"User": "carol"}, False),
    ("all-hit", sel("CommandLine|contains|all: [' -a', ' -b']"), {"CommandLine": "x -b -a"}, True),
    ("all-miss", sel("CommandLine|contains|all: [' -a', ' -b']"), {"CommandLine": "x -a"}, False),
    ("star", sel("Image: '*\\cmd.exe'"), {"Image": "C:\\x\\cmd.exe"}, True),
    ("question", sel("Image: 'cm?.exe'"), {"Image": "cmd.exe"}, True),
    ("question-one-char", sel("Image: 'cm?.exe'"), {"Image": "cmdd.exe"}, False),
    ("inner-star", sel("Cmd: 'a*b*c'"), {"Cmd": "a--b--c"}, True),
    ("inner-star-anchored", sel("Cmd: 'a*b*c'"), {"Cmd": "a--b--cd"}, False),
    ("star-question", sel("Cmd: '*a?c*'"), {"Cmd": "xxabcxx"}, True),
    ("escaped-star", sel("Cmd: 'a\\*b'"), {"Cmd": "a*b"}, True),
    ("escaped-star-literal", sel("Cmd: 'a\\*b'"), {"Cmd": "axxb"}, False),
    ("escaped-question", sel("Cmd: 'why\\?'"), {"Cmd": "whyx"}, False),
    ("backslash-kept", sel("Path: 'C:\\Temp\\'"), {"Path": "c:\\temp\\"}, True),
    ("contains", sel("Cmd|contains: 'ShadowCopy'"), {"Cmd": "wmic shadowcopy delete"}, True),
    ("startswith", sel("Cmd|startswith: 'wmic'"), {"Cmd": "WMIC shadowcopy"}, True),
    ("startswith-miss", sel("Cmd|startswith: 'wmic'"), {"Cmd": "x wmic"}, False),
    ("endswith", sel("Cmd|endswith: '.exe'"), {"Cmd": "a.EXE"}, True),
    ("endswith-miss", sel("Cmd|endswith: '.exe'"), {"Cmd": "a.exe "}, False),
    ("re-search", sel("Cmd|re: '\\s-e(nc)?\\s'"), {"Cmd": "powershell -enc AAA"}, True),
    ("re-cased", sel("Cmd|re: 'abc'"), {"Cmd": "ABC"}, False),
    ("re-i", sel("Cmd|re|i: 'abc'"), {"Cmd": "xABCx"}, True),
    ("re-m", sel("Cmd|re|m: '^b$'"), {"Cmd": "a\nb\nc"}, True),
    ("re-no-m", sel("Cmd|re: '^b$'"), {"Cmd": "a\nb\nc"}, False),
    ("re-s", sel("Cmd|re|s: 'a.b'"), {"Cmd": "a\nb"}, True),
    ("re-no-s", sel("Cmd|re: 'a.b'"), {"Cmd": "a\nb"}, False),
    ("cidr4", sel("Ip|cidr: '192.0.2.0/24'"), {"Ip": "192.0.2.77"}, True),
    ("cidr4-miss", sel("Ip|cidr: '192.0.2.0/24'"), {"Ip": "198.51.100.1"}, False),
    ("cidr4-mapped", sel("Ip|cidr: '192.0.2.0/24'"), {"Ip": "::ffff:192.0.2.9"}, True),
    ("cidr6", sel("Ip|cidr: '2001:db8::/32'"), {"Ip": "2001:db8:1::5"}, True),
    ("cidr6-vs-v4", sel("Ip|cidr: '2001:db8::/32'"), {"Ip": "192.0.2.1"}, False),
    ("cidr-not-an-ip", sel("Ip|cidr: '192.0.2.0/24'"), {"Ip": "host.example.com"}, False),
    ("cidr-oversized", sel("Ip|cidr: '192.0.2.0/24'"), {"Ip": "192.0.2.1" + " " * 100}, False),
    ("re-lone-surrogate", sel("Cmd|re: 'a'"), {"Cmd": "x\udc80a"}, False),
    ("base64", sel("Cmd|base64|contains: 'http://'"), {"Cmd": "x aHR0cDovLw== y"}, True),
    ("base64offset-1", sel("Cmd|base64offset|contains: 'IEX'"), {"Cmd": "YUlFWA=="}, True),
    ("base64offset-2", sel("Cmd|base64offset|contains: 'IEX'"), {"Cmd": "YWJJRVg="}, True),
    ("base64-plain-text", sel("Cmd|base64|contains: 'http://'"), {"Cmd": "http://x"}, False),
    ("base64offset-plain", sel("Cmd|base64offset|contains: 'IEX'"), {"Cmd": "IEX"}, False),
    ("wide-base64", sel("Cmd|wide|base64|contains: 'ab'"), {"Cmd": "-e YQBiAA=="}, True),
    ("wide-base64-ascii", sel("Cmd|wide|base64|contains: 'ab'"), {"Cmd": "-e YWI="}, False),
    ("utf16be-base64", sel("Cmd|utf16be|base64|contains: 'ab'"), {"Cmd": "AGEAYg=="}, True),
    ("utf16be-base64-le", sel("Cmd|utf16be|base64|contains: 'ab'"), {"Cmd": "YQBiAA=="}, False),
    ("windash-slash", sel("Cmd|windash|contains: ' -enc'"), {"Cmd": "ps /enc x"}, True),
    ("windash-en-dash", sel("Cmd|windash|contains: ' -enc'"), {"Cmd": "ps \u2013enc x"}, True),
    ("windash-plus", sel("Cmd|windash|contains: ' -enc'"), {"Cmd": "ps +enc x"}, False),
    ("exists-true", sel("A|exists: true"), {"A": ""}, True),
    ("exists-true-absent", sel("A|exists: true"), {"B": "x"}, False),
    ("exists-true-null", sel("A|exists: true"), {"A": None}, False),
    ("exists-false", sel("A|exists: false"), {"B": "x"}, True),
    ("null-absent", sel("A: null"), {}, True),
    ("null-json-null", sel("A: null"), {"A": None}, True),
    ("null-empty", sel("A: null"), {"A": ""}, False),
    ("empty-empty", sel("A: ''"), {"A": ""}, True),
    ("empty-absent", sel("A: ''"), {}, False),
    ("fieldref-eq", sel("A|fieldref: B"), {"A": "User1", "B": "user1"}, True),
    ("fieldref-diff", sel("A|fieldref: B"), {"A": "user1", "B": "user2"}, False),
    ("fieldref-absent", sel("A|fieldref: B"), {"A": "user1"}, False),
    ("fieldref-contains", sel("A|fieldref|contains: B"), {"A": "xx-user1-yy", "B": "user1"}, True),
    ("fieldref-startswith", sel("A|fieldref|startswith: B"), {"A": "user1-x", "B": "user1"}, True),
    ("lt", sel("N|lt: 10"), {"N": 9}, True),
    ("lt-edge", sel("N|lt: 10"), {"N": 10}, False),
    ("lte-edge", sel("N|lte: 10"), {"N": "10"}, True),
    ("gt-text", sel("N|gt: 10"), {"N": "10.5"}, True),
    ("gte-miss", sel("N|gte: 10"), {"N": 9.99}, False),
    ("gt-not-number", sel("N|gt: 10"), {"N": "many"}, False),
    ("neq-is-negation", sel("A|neq: x"), {"A": "y"}, True),
    ("neq-absent", sel("A|neq: x"), {}, True),
    ("neq-same", sel("A|neq: x"), {"A": "X"}, False),
]

EVENT_SHAPES = [
    ("nested", sel("process.name: cmd.exe"), {"process": {"name": "cmd.exe"}}, True),
    ("dotted-key", sel("process.name: cmd.exe"), {"process.name": "cmd.exe"}, True),
    ("mixed-dotted", sel("a.b.c: x"), {"a.b": {"c": "x"}}, True),
    ("list-any", sel("tags: admin"), {"tags": ["user", "ADMIN"]}, True),
    ("list-none", sel("tags: admin"), {"tags": ["user"]}, False),
    ("list-numbers", sel("ports: 22"), {"ports": [80, 22]}, True),
    ("object-not-text", sel("a|contains: b"), {"a": {"b": "b"}}, False),
    ("through-scalar", sel("a.b: x"), {"a": "x"}, False),
    ("list-of-ips", sel("ip|cidr: '192.0.2.0/24'"), {"ip": ["203.0.113.1", "192.0.2.1"]}, True),
]

CONDITIONS = [
    ("and", "a:\n  A: 1\nb:\n  B: 1\ncondition: a and b", {"A": 1, "B": 1}, True),
    ("and-miss", "a:\n  A: 1\nb:\n  B: 1\ncondition: a and b", {"A": 1}, False),
    ("or", "a:\n  A: 1\nb:\n  B: 1\ncondition: a or b", {"B": 1}, True),
    ("not-absent", "a:\n  A: 1\nb:\n  B: 1\ncondition: a and not b", {"A": 1}, True),
    ("not-present", "a:\n  A: 1\nb:\n  B: 1\ncondition: a and not b", {"A": 1, "B": 1}, False),
    ("precedence", "a:\n  A: 1\nb:\n  B: 1\nc:\n  C: 1\ncondition: a or b and c", {"A": 1}, True),
    ("parens", "a:\n  A: 1\nb:\n  B: 1\nc:\n  C: 1\ncondition: (a or b) and c", {"A": 1}, False),
    ("one-of-x", "s_1:\n  A: 1\ns_2:\n  B: 1\nf:\n  C: 1\ncondition: 1 of s_*", {"B": 1}, True),
    ("all-of-x", "s_1:\n  A: 1\ns_2:\n  B: 1\nf:\n  C: 1\ncondition: all of s_*", {"B": 1}, False),
    ("all-of-x-hit", "s_1:\n  A: 1\ns_2:\n  B: 1\ncondition: all of s_*", {"A": 1, "B": 1}, True),
    ("one-of-them", "a:\n  A: 1\nb:\n  B: 1\ncondition: 1 of them", {"B": 1}, True),
    ("all-of-them", "a:\n  A: 1\nb:\n  B: 1\ncondition: all of them", {"B": 1}, False),
    ("map-is-and", "s:\n  A: 1\n  B: 1\ncondition: s", {"A": 1}, False),
    ("list-of-maps-or", "s:\n  - A: 1\n  - B: 1\ncondition: s", {"B": 1}, True),
    ("condition-list", "a:\n  A: 1\nb:\n  B: 1\ncondition: [a, b]", {"B": 1}, True),
    ("keyword-message", "k:\n  - mimikatz\ncondition: k", {"message": "Run MIMIKATZ now"}, True),
    (
        "keyword-original",
        "k:\n  - mimikatz\ncondition: k",
        {"event": {"original": "mimikatz"}},
        True,
    ),
    (
        "keyword-other-field",
        "k:\n  - mimikatz\ncondition: k",
        {"process": {"name": "mimikatz"}},
        False,
    ),
    ("keyword-wildcard", "k:\n  - 'new*user'\ncondition: k", {"message": "a new local user"}, True),
    ("keyword-number", "k:\n  - 4624\ncondition: k", {"message": "id 4624 seen"}, True),
    ("keyword-regex", "k:\n  '|re': 'u(id|gid)=0'\ncondition: k", {"message": "uid=0"}, True),
]


@pytest.mark.parametrize(
    ("detection", "event", "expected"),
    [pytest.param(d, e, x, id=i) for i, d, e, x in MODIFIERS + EVENT_SHAPES + CONDITIONS],
)
def test_matcher_table(detection: str, event: dict[str, Any], expected: bool) -> None:
    assert predicate(detection)(event) is expected


@pytest.mark.parametrize(
    ("detection", "reason"),
    [
        pytest.param(sel("Cmd|wide|contains: 'x'"), "encoding modifier 'wide'", id="wide-last"),
        pytest.param(sel("Cmd|utf16: 'x'"), "encoding modifier 'utf16'", id="utf16-last"),
        pytest.param(sel("A|expand: '%users%'"), "unresolved placeholder %users%", id="expand"),
        pytest.param(sel("T|minute: 5"), "timestamp part", id="minute"),
    ],
)
def test_matcher_refuses_what_it_cannot_evaluate(detection: str, reason: str) -> None:
    with pytest.raises(CompileError, match=reason):
        predicate(detection)


def test_matcher_regex_engine_follows_policy() -> None:
    # RE2 (pySigma's default, linear time) rejects backreferences; Python's engine accepts them.
    detection = sel("Cmd|re: '(a)\\1'")
    with pytest.raises(SigmaRegularExpressionError):
        predicate(detection)
    assert predicate(detection, TrustedPolicy)({"Cmd": "xaa"}) is True
    assert predicate(detection, TrustedPolicy)({"Cmd": "xab"}) is False


def test_matcher_keyword_is_wrapped_in_wildcards() -> None:
    term = translate(_rule("k:\n  - 'a*b'\ncondition: k").detection)
    assert term == Match(None, Text((Wild.ANY, "a", Wild.ANY, "b", Wild.ANY)))


def test_matcher_wildcards_stay_linear_on_hostile_values() -> None:
    # A backtracking regex for '*a*b*c*d' needs minutes on this value; segment search is instant.
    match = predicate(sel("Cmd: '*a*b*c*d'"))
    assert match({"Cmd": "a" * 200_000}) is False
    assert match({"Cmd": "a" * 200_000 + "bcd"}) is True


def test_matcher_ored_strings_on_one_field_share_one_test() -> None:
    match = predicate(
        sel("Image|endswith: ['\\a.exe', '\\b.exe']\n  CommandLine|contains: [' /x', ' -y']")
    )
    assert match({"Image": "C:\\B.EXE", "CommandLine": "b -y"}) is True
    assert match({"Image": "C:\\B.EXE", "CommandLine": "b -z"}) is False
    assert match({"Image": "C:\\c.exe", "CommandLine": "b -y"}) is False
