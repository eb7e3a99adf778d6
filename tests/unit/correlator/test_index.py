"""Rule index: the candidates of an event hold every rule that matches it, and few others."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.events import EventMix, EventStream
from bench.variants import ruleset
from schemas.ecs import EcsEvent
from services.correlator import core
from services.correlator.core import Correlator
from services.correlator.index import RuleIndex, detection_anchors, route_anchors
from services.correlator.logsources import route_predicate
from services.correlator.matcher import all_of, compile_term
from services.correlator.model import DetectionRule, Logsource, RuleSet
from services.correlator.sigma_terms import translate
from services.correlator.state import MemoryState
from tests.unit.correlator.factories import meta
from tests.unit.correlator.test_matcher import CONDITIONS, EVENT_SHAPES, MODIFIERS, _rule, sel

Doc = dict[str, Any]


def compiled(detection: str, route: tuple[tuple[str, tuple[str, ...]], ...] = ()) -> DetectionRule:
    """A rule the way the loader makes it: the route ANDed with the detection."""
    term = translate(_rule(detection).detection)
    matches = all_of([route_predicate(route), compile_term(term)])
    return DetectionRule(meta("r"), Logsource(), matches, route=route, detection=term)


def brute_force(rules: list[DetectionRule], doc: Doc) -> list[int]:
    return [i for i, rule in enumerate(rules) if rule.matches(doc)]


def indexed(index: RuleIndex, rules: list[DetectionRule], doc: Doc) -> list[int]:
    return [i for i in index.candidates(doc) if rules[i].matches(doc)]


# (id, detection, the keys one of which an event must hold; None: the rule has no anchor)
KEYS = [
    ("equal", sel("Image: 'C:\\Windows\\CMD.exe'"), {("Image", "text", "c:\\windows\\cmd.exe")}),
    ("number", sel("EventID: 4625"), {("EventID", "number", 4625)}),
    ("ends-with", sel("Image|endswith: '\\whoami.exe'"), {("Image", "suffix", "whoami.exe")}),
    ("starts-with", sel("Cmd|startswith: 'Powershell -e'"), {("Cmd", "prefix", "powershell -")}),
    ("contains", sel("Cmd|contains: 'sekurlsa::'"), {("Cmd", "infix", "sekurlsa::")}),
    ("glob-longest-part", sel("Cmd: '*a*mimikatz*b*'"), {("Cmd", "infix", "mimikatz")}),
    ("keyword", "k:\n  - 'Accepted password'\ncondition: k",
     {("message", "infix", "accepted password"), ("event.original", "infix", "accepted password")}),
    ("or-joins", sel("User: [alice, BOB]"), {("User", "text", "alice"), ("User", "text", "bob")}),
    ("and-takes-one", sel("EventID: 4625\n  Status: '0x0'"), {("EventID", "number", 4625)}),
    ("short-affix", sel("Image|endswith: 'ab'"), None),
    ("cased", sel("Image|cased: 'cmd.exe'"), None),
    ("regex", sel("Image|re: 'cmd\\.exe'"), None),
    ("cidr", sel("Ip|cidr: '192.0.2.0/24'"), None),
    ("exists", sel("Image|exists: true"), None),
    ("not", "s:\n  Image: cmd.exe\ncondition: not s", None),
    ("or-with-a-blind-branch",
     "a:\n  Image: cmd.exe\nb:\n  Ip|cidr: 192.0.2.0/24\ncondition: a or b", None),
]  # fmt: skip


@pytest.mark.parametrize(("detection", "keys"), [pytest.param(d, k, id=i) for i, d, k in KEYS])
def test_index_anchor_keys(detection: str, keys: set[tuple[str, str, Any]] | None) -> None:
    anchors = detection_anchors(compiled(detection))
    if keys is None:
        assert anchors == []
    else:
        assert keys in anchors


def test_index_and_prefers_the_key_fewer_rules_share() -> None:
    shared = [compiled(sel(f"EventID: 4625\n  User: user{i}")) for i in range(5)]
    rules = [*shared, compiled(sel("EventID: 4624\n  User: user0"))]
    index = RuleIndex(rules)
    # 4625 is shared by five rules, each user name by at most two: users are the better keys
    assert index.candidates({"EventID": 4625, "User": "user3"}) == [3]
    assert index.candidates({"EventID": 4624, "User": "user0"}) == [0, 5]


@pytest.mark.parametrize(
    ("detection", "event", "expected"),
    [pytest.param(d, e, x, id=i) for i, d, e, x in MODIFIERS + EVENT_SHAPES + CONDITIONS],
)
def test_index_keeps_every_match_of_the_matcher_table(
    detection: str, event: Doc, expected: bool
) -> None:
    rule = compiled(detection)
    assert rule.matches(event) is expected
    if expected:
        assert RuleIndex([rule]).candidates(event) == [0]


@pytest.mark.parametrize(
    ("event", "candidate"),
    [
        ({"winlog": {"channel": "SECURITY"}, "Image": "C:\\Windows\\CMD.EXE"}, True),
        ({"winlog": {"channel": ["Security"]}, "Image": ["x", "c:\\cmd.exe"]}, True),
        ({"winlog.channel": "Security", "Image": "c:\\cmd.exe"}, True),
        ({"winlog": {"channel": "System"}, "Image": "c:\\cmd.exe"}, False),
        ({"winlog": {"channel": "Security"}, "Image": "c:\\xcmd.exe"}, False),
        ({"Image": "c:\\cmd.exe"}, False),
    ],
)
def test_index_route_then_detection(event: Doc, candidate: bool) -> None:
    rule = compiled(sel("Image|endswith: '\\cmd.exe'"), route=(("winlog.channel", ("Security",)),))
    assert route_anchors(rule) == [frozenset({("winlog.channel", "text", "security")})]
    assert (RuleIndex([rule]).candidates(event) == [0]) is candidate
    assert rule.matches(event) is candidate


@pytest.mark.parametrize(
    "message",
    ["\ud800 sekurlsa::logonpasswords", "\x00" * 3 + "SEKURLSA::", "x" * 1_000_000 + "sekurlsa::"],
)
def test_index_reads_odd_text_like_the_matcher(message: str) -> None:
    rule = compiled("k:\n  - 'sekurlsa::'\ncondition: k")
    assert rule.matches({"message": message}) is True
    assert RuleIndex([rule]).candidates({"message": message}) == [0]


def test_index_rule_without_terms_is_always_a_candidate() -> None:
    hand_built = DetectionRule(meta("x"), Logsource(), lambda doc: True)
    index = RuleIndex([compiled(sel("User: alice")), hand_built])
    assert index.candidates({"User": "bob"}) == [1]
    assert index.candidates({"User": "alice"}) == [0, 1]
    assert index.unanchored() == 1


# --- the corpus rules (plus variants) over a realistic event mix ------------------------------


@pytest.fixture(scope="module")
def corpus_rules(corpus: Path) -> list[DetectionRule]:
    loaded = ruleset(400)  # the corpus rules and variants of them with other literal values
    assert loaded.errors == [] and len(loaded.detections) == 400
    return loaded.detections


@pytest.fixture(scope="module")
def mix(corpus: Path) -> list[Doc]:
    """Templates of every source of the bench mix (corpus documents included), then a stream."""
    events = EventMix(seed=11, per_source=60, auth_lines=300)
    templates = [doc for docs in events.templates.values() for doc in docs]
    return templates + [e.doc for e in EventStream(events).batch(2000)]


@pytest.fixture(scope="module")
def corpus_index(corpus_rules: list[DetectionRule]) -> RuleIndex:
    return RuleIndex(corpus_rules)


@pytest.fixture(scope="module")
def expected(corpus_rules: list[DetectionRule], mix: list[Doc]) -> list[list[int]]:
    """The rules matching each event of the mix, found by trying every rule."""
    return [brute_force(corpus_rules, doc) for doc in mix]


def test_index_finds_exactly_the_brute_force_matches_on_the_corpus(
    corpus_rules: list[DetectionRule],
    corpus_index: RuleIndex,
    mix: list[Doc],
    expected: list[list[int]],
) -> None:
    for doc, matches in zip(mix, expected, strict=True):
        assert indexed(corpus_index, corpus_rules, doc) == matches, doc
    pairs = sum(len(m) for m in expected)
    assert pairs > 200 and len({i for m in expected for i in m}) >= 12  # not a vacuous comparison
    considered = sum(len(corpus_index.candidates(doc)) for doc in mix)
    assert considered < 0.02 * len(corpus_rules) * len(mix)  # and the index does prune


def _mutate(doc: Doc, data: st.DataObject) -> Doc:
    """The document with values re-cased, re-typed, wrapped in lists or flattened to dotted keys."""
    out = copy.deepcopy(doc)
    for _ in range(data.draw(st.integers(0, 6))):
        parent, key = _pick_leaf(out, data)
        if parent is None:
            break
        value = parent[key]
        change = data.draw(st.sampled_from(["case", "type", "list", "flatten", "pad"]))
        if change == "case" and isinstance(value, str):
            parent[key] = data.draw(st.sampled_from([value.upper(), value.lower(), value.title()]))
        elif change == "type" and isinstance(value, str) and value.isdigit():
            parent[key] = int(value)
        elif change == "type" and isinstance(value, int) and not isinstance(value, bool):
            parent[key] = str(value)
        elif change == "list":
            parent[key] = [value] if data.draw(st.booleans()) else ["other", value]
        elif change == "pad" and isinstance(value, str):
            parent[key] = data.draw(st.sampled_from(["x", " ", "\\"])) + value
        elif change == "flatten":
            top = data.draw(st.sampled_from(sorted(out)))
            if isinstance(out[top], dict):
                for sub, inner in out.pop(top).items():
                    out[f"{top}.{sub}"] = inner
    return out


def _pick_leaf(doc: Doc, data: st.DataObject) -> tuple[dict[str, Any] | None, str]:
    node: dict[str, Any] = doc
    while node:
        key = data.draw(st.sampled_from(sorted(node)))
        if not isinstance(node[key], dict) or not node[key]:
            return node, key
        node = node[key]
    return None, ""


@pytest.fixture(scope="module")
def matching(mix: list[Doc], expected: list[list[int]]) -> list[Doc]:
    return [doc for doc, matches in zip(mix, expected, strict=True) if matches]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_index_never_drops_a_match_of_a_mutated_event(
    corpus_rules: list[DetectionRule],
    corpus_index: RuleIndex,
    matching: list[Doc],
    data: st.DataObject,
) -> None:
    doc = _mutate(data.draw(st.sampled_from(matching)), data)
    assert indexed(corpus_index, corpus_rules, doc) == brute_force(corpus_rules, doc)


class _EveryRule:
    """What the correlator did before the index: every rule is a candidate."""

    def __init__(self, rules: list[DetectionRule]) -> None:
        self.size = len(rules)

    def candidates(self, doc: Doc) -> list[int]:
        return list(range(self.size))


def test_index_gives_the_correlator_the_same_alerts(
    corpus_rules: list[DetectionRule], mix: list[Doc], monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = RuleSet(detections=corpus_rules)
    events = [EcsEvent(doc) for doc in mix[-1500:]]
    fast = Correlator(rules, state=MemoryState())
    alerts = [a for e in events for a in fast.feed(e)]
    monkeypatch.setattr(core, "RuleIndex", _EveryRule)
    slow = Correlator(rules, state=MemoryState())
    assert [a for e in events for a in slow.feed(e)] == alerts
    assert fast.rule_hits == slow.rule_hits and len(alerts) > 100
