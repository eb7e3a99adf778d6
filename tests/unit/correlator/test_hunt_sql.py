"""Retro-hunt SQL against the stream matcher: over the same stored events (chDB, rows as the
sink writes them), every rule's hunt returns exactly the events ``rule.matches`` accepts.

Feature rules cover each supported Sigma construct; the events (``hunt_data.py``) mix strings,
numbers, floats, numeric strings, lists, objects, nulls, absent fields, literal dotted keys,
IPv4/IPv6 spellings and mixed case, and some lie outside the hunted tenant or hour. The corpus
rules run over the corpus's ECS documents plus events synthesised to meet each rule.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from services.correlator.hunt_sql import MAX_SQL_CHARS, HuntError, HuntQuery, HuntWindow, to_sql
from services.correlator.model import DetectionRule, Logsource, RuleMeta
from services.correlator.rules import load_rule_text, load_rules
from services.correlator.sigma_terms import Match, Text
from tests.unit.correlator.hunt_data import (
    SINCE,
    TENANT,
    UNTIL,
    Stores,
    expected,
    feature_events,
    identified,
    positives,
    rule_yaml,
)

WINDOW = HuntWindow((TENANT,), int(SINCE.timestamp() * 1000), int(UNTIL.timestamp() * 1000), 10_000)
CL, PID, IP = "process.command_line", "process.pid", "source.ip"

# id -> (detection, condition, logsource)
FEATURES: dict[str, tuple[dict[str, Any], str, dict[str, str]]] = {
    "equality": ({"sel": {CL: "whoami"}}, "sel", {}),
    "equality_list": ({"sel": {CL: ["whoami", "net user admin"]}}, "sel", {}),
    "empty_string": ({"sel": {CL: ""}}, "sel", {}),
    "contains": ({"sel": {f"{CL}|contains": "who"}}, "sel", {}),
    "startswith": ({"sel": {f"{CL}|startswith": "c:\\windows\\"}}, "sel", {}),
    "endswith": ({"sel": {f"{CL}|endswith": "\\cmd.exe"}}, "sel", {}),
    "wildcard_star": ({"sel": {CL: "cmd*whoami"}}, "sel", {}),
    "wildcard_question": ({"sel": {CL: "a?b?c"}}, "sel", {}),
    "escaped_wildcards": ({"sel": {CL: "a\\*b\\?c"}}, "sel", {}),
    "like_specials_star": ({"sel": {CL: "50%_*"}}, "sel", {}),
    "like_specials_question": ({"sel": {CL: "50?_off"}}, "sel", {}),
    "like_backslash": ({"sel": {CL: "c:\\windows\\\\*\\cmd.exe"}}, "sel", {}),
    "contains_all": ({"sel": {f"{CL}|contains|all": ["net", "user"]}}, "sel", {}),
    "cased": ({"sel": {f"{CL}|cased": "WHOAMI /all"}}, "sel", {}),
    "cased_contains": ({"sel": {f"{CL}|contains|cased": "WhoAmI"}}, "sel", {}),
    "unicode_case": ({"sel": {CL: ["École", "istanbul", "ΟΔΟΣ"]}}, "sel", {}),
    "re": ({"sel": {f"{CL}|re": "who.mi"}}, "sel", {}),
    "re_i": ({"sel": {f"{CL}|re|i": "^WHO"}}, "sel", {}),
    "re_m": ({"sel": {f"{CL}|re|m": "^line2$"}}, "sel", {}),
    "re_s": ({"sel": {f"{CL}|re|s": "line1.line2"}}, "sel", {}),
    "re_dot_stops_at_newline": ({"sel": {f"{CL}|re": "line1.line2"}}, "sel", {}),
    "re_on_numbers": ({"sel": {f"{PID}|re": "^4[0-9]$"}}, "sel", {}),
    "re_on_float_text": ({"sel": {f"{PID}|re": "e[-+]|\\.0$"}}, "sel", {}),
    "cidr_v4": ({"sel": {f"{IP}|cidr": "192.0.2.0/24"}}, "sel", {}),
    "cidr_v6": ({"sel": {f"{IP}|cidr": "2001:db8::/32"}}, "sel", {}),
    "cidr_v6_everything": ({"sel": {f"{IP}|cidr": "::/0"}}, "sel", {}),
    "cidr_v4_everything": ({"sel": {f"{IP}|cidr": ["0.0.0.0/0", "198.51.100.0/24"]}}, "sel", {}),
    "number": ({"sel": {PID: 42}}, "sel", {}),
    "number_float": ({"sel": {PID: 4.2}}, "sel", {}),
    "number_list": ({"sel": {PID: [0, -1, 18446744073709551615, 1.5e-7]}}, "sel", {}),
    "number_precision": ({"sel": {PID: 9007199254740992}}, "sel", {}),
    "lt": ({"sel": {f"{PID}|lt": 42}}, "sel", {}),
    "lte": ({"sel": {f"{PID}|lte": 42}}, "sel", {}),
    "gt": ({"sel": {f"{PID}|gt": 42}}, "sel", {}),
    "gte_float": ({"sel": {f"{PID}|gte": 4.2}}, "sel", {}),
    "neq": ({"sel": {f"{PID}|neq": 42}}, "sel", {}),
    "exists": ({"sel": {f"{PID}|exists": True}}, "sel", {}),
    "not_exists": ({"sel": {f"{PID}|exists": False}}, "sel", {}),
    "null": ({"sel": {PID: None}}, "sel", {}),
    "boolean_true": ({"sel": {"flag": True}}, "sel", {}),
    "boolean_false": ({"sel": {"flag": False}}, "sel", {}),
    "text_on_numbers": ({"sel": {PID: "42"}}, "sel", {}),
    "text_wildcard_on_numbers": ({"sel": {PID: "4*"}}, "sel", {}),
    "text_on_float_repr": ({"sel": {PID: ["1e+16", "4.0", "1.5e-07", "-0.0"]}}, "sel", {}),
    "keywords": ({"keywords": ["whoami", "NET USER"]}, "keywords", {}),
    "keyword_number": ({"keywords": [42]}, "keywords", {}),
    "keyword_null": ({"keywords": [None]}, "keywords", {}),
    "base64": ({"sel": {f"{CL}|base64": "whoami"}}, "sel", {}),
    "base64offset": ({"sel": {f"{CL}|base64offset|contains": "whoami"}}, "sel", {}),
    "wide_base64offset": ({"sel": {f"{CL}|wide|base64offset|contains": "whoami"}}, "sel", {}),
    "windash": ({"sel": {f"{CL}|windash|contains": "-encodedcommand"}}, "sel", {}),
    "fieldref": ({"sel": {"user.name|fieldref": "host.name"}}, "sel", {}),
    "fieldref_startswith": ({"sel": {"host.name|fieldref|startswith": "user.name"}}, "sel", {}),
    "fieldref_contains": ({"sel": {"host.name|fieldref|contains": "user.name"}}, "sel", {}),
    "deep_dotted": ({"sel": {"a.b.c": ["whoami", 42, "192.0.2.10"]}}, "sel", {}),
    "deep_exists": ({"sel": {"a.b.c|exists": True}}, "sel", {}),
    "four_parts": ({"sel": {"x.y.z.w|contains": "a"}}, "sel", {}),
    "not": ({"sel": {f"{CL}|contains": "who"}}, "not sel", {}),
    "one_of": ({"sel1": {PID: 42}, "sel2": {f"{IP}|cidr": "192.0.2.0/24"}}, "1 of sel*", {}),
    "all_of_them": (
        {"sel1": {f"{CL}|contains": "e"}, "sel2": {"flag|exists": True}},
        "all of them",
        {},
    ),
    "and_or_not": (
        {"a": {f"{CL}|contains": "user"}, "b": {PID: 42}, "c": {f"{IP}|cidr": "2001:db8::/32"}},
        "(a or b) and not c",
        {},
    ),
    "injection_values": (
        {"sel": {CL: ["'); DROP TABLE events; --", "{p0:String}", 'it\'s \\ "q"', "\\'"]}},
        "sel",
        {},
    ),
    "injection_field": ({"sel": {"a'); DROP TABLE events; --.b": "x"}}, "sel", {}),
    "route_windows_process": (
        {"sel": {"CommandLine|contains": "who"}},
        "sel",
        {"product": "windows", "category": "process_creation"},
    ),
    "route_windows_only": (
        {"sel": {"EventID": 4688}},
        "sel",
        {"product": "windows", "service": "security"},
    ),
    "route_sshd_keywords": (
        {"keywords": ["user"]},
        "keywords",
        {"product": "linux", "service": "sshd"},
    ),
    "route_presence": ({"sel": {"CommandLine|contains": "e"}}, "sel", {"product": "windows"}),
}


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stores]:
    held = Stores(tmp_path_factory.mktemp("hunt"))
    yield held
    held.close()


def load(text: str) -> DetectionRule:
    ruleset = load_rule_text(text)
    assert not ruleset.errors, ruleset.errors
    (rule,) = ruleset.detections
    return rule


def hunt(stores: Stores, query: HuntQuery) -> list[str]:
    assert stores.store is not None
    rows = asyncio.run(stores.store.query(query.sql, query.parameters))
    return [json.loads(row["doc"])["event"]["id"] for row in rows]


@pytest.mark.parametrize("feature", FEATURES)
def test_hunt_returns_exactly_what_the_matcher_matches(stores: Stores, feature: str) -> None:
    detection, condition, logsource = FEATURES[feature]
    rule = load(rule_yaml(detection, condition, **logsource))
    stores.holding("features", feature_events)
    want = expected(rule, stores.docs)
    assert set(hunt(stores, to_sql(rule, WINDOW))) == want
    in_window = expected(load(rule_yaml({"sel": {"event.id|exists": True}})), stores.docs)
    if not feature.startswith("injection"):  # a feature nothing meets (or all meet) proves little
        assert 0 < len(want) < len(in_window), (feature, len(want))


def test_hunt_keeps_injection_attempts_out_of_the_sql_text(stores: Stores) -> None:
    detection, condition, _ = FEATURES["injection_values"]
    query = to_sql(load(rule_yaml(detection, condition)), WINDOW)
    assert "drop" not in query.sql.lower() and "it's" not in query.sql
    assert sorted(["'); drop table events; --", 'it\'s \\ "q"', "\\'", "{p0:string}"]) in [
        sorted(v) if isinstance(v, list) else v for v in query.parameters.values()
    ]
    docs = stores.holding("features", feature_events)
    hunt(stores, query)
    count = asyncio.run(docs.query("SELECT count() AS n FROM events"))[0]["n"]
    assert count == len(stores.docs)


def test_hunt_query_is_scoped_ordered_and_limited(stores: Stores) -> None:
    rule = load(rule_yaml({"sel": {f"{CL}|contains": "e"}}))
    stores.holding("features", feature_events)
    window = HuntWindow((TENANT,), WINDOW.since_ms, WINDOW.until_ms, limit=5)
    query = to_sql(rule, window)
    assert "WHERE tenant IN {tenants:Array(String)}\n  AND timestamp >= " in query.sql
    assert "FROM events FINAL" in query.sql and query.sql.endswith("LIMIT {limit:UInt32}")
    want = sorted(expected(rule, stores.docs), key=lambda i: (stores.docs[i]["@timestamp"], i))
    assert hunt(stores, query) == want[:5]
    open_ended = to_sql(rule, HuntWindow((TENANT,), WINDOW.since_ms, None, 10_000))
    assert "until_ms" not in open_ended.parameters
    assert set(hunt(stores, open_ended)) >= set(want)


DEEP = ".".join(f"p{i}" for i in range(33))


def _meta() -> RuleMeta:
    return RuleMeta(id="r", title="hand-built")


@pytest.mark.parametrize(
    ("rule", "window", "reason"),
    [
        (
            DetectionRule(_meta(), Logsource(), lambda doc: True),
            WINDOW,
            "the rule carries no detection terms to translate",
        ),
        (
            DetectionRule(_meta(), Logsource(), lambda doc: True, detection=Match("a", Text(()))),
            HuntWindow((), 0),
            "no tenant to hunt in",
        ),
        (
            DetectionRule(_meta(), Logsource(), lambda doc: True, detection=Match(DEEP, Text(()))),
            WINDOW,
            f"field '{DEEP}' has 33 parts; hunts follow at most 32",
        ),
    ],
)
def test_hunt_refuses_what_it_cannot_translate(
    rule: DetectionRule, window: HuntWindow, reason: str
) -> None:
    with pytest.raises(HuntError, match="^" + reason.replace("(", r"\(").replace(")", r"\)") + "$"):
        to_sql(rule, window)


def test_hunt_refuses_a_query_too_long_to_parse() -> None:
    fields = {f"f{i}.a.b.c.d.e": "x" for i in range(100)}
    with pytest.raises(HuntError, match="characters long"):
        to_sql(load(rule_yaml({"sel": fields})), WINDOW)
    assert MAX_SQL_CHARS < 256 * 1024


# --- the corpus -----------------------------------------------------------------------------------

# Corpus rules the hunt cannot run, with the reason (none today: every loaded rule translates).
UNTRANSLATABLE: dict[str, str] = {}


def test_hunt_agrees_with_the_matcher_on_every_corpus_rule(stores: Stores, corpus: Path) -> None:
    ruleset = load_rules([corpus / "sigma" / "rules"])
    queries, refused = {}, {}
    for rule in ruleset.detections:
        try:
            queries[rule.meta.id] = (rule, to_sql(rule, WINDOW))
        except HuntError as exc:
            refused[rule.meta.title] = str(exc)
    assert refused == UNTRANSLATABLE
    stores.holding("corpus", lambda: _corpus_events(corpus, ruleset.detections))
    mismatched, fired = {}, 0
    for rule, query in queries.values():
        want, got = expected(rule, stores.docs), set(hunt(stores, query))
        fired += bool(want)
        if got != want:
            mismatched[rule.meta.title] = (sorted(got - want)[:5], sorted(want - got)[:5])
    assert mismatched == {}
    assert fired >= 0.95 * len(queries), f"only {fired} of {len(queries)} rules met any event"


def _corpus_events(corpus: Path, rules: list[DetectionRule]) -> list[dict[str, Any]]:
    real = []
    for path in sorted((corpus / "ecs-expected").rglob("*-expected.json")):
        real += json.loads(path.read_text(encoding="utf-8"))["expected"]
    bodies = real + [body for rule in rules for body in positives(rule)]
    return [identified(f"c{i}", body) for i, body in enumerate(bodies)]
