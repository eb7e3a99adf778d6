"""Rule loader: Sigma files → RuleSet (detections, correlations, errors with reasons)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sigma.rule import SigmaRule

from services.correlator.logsources import LogsourceMap
from services.correlator.model import RuleSet
from services.correlator.rules import load_rule_text, load_rules
from services.correlator.sigma_pipeline import ecs_pipeline, passthrough_pipeline
from services.correlator.sigma_terms import AnyOf, Match, Text, Wild, translate
from tests.conftest import load_cases

NO_ROUTING = LogsourceMap()


def plain(text: str, **kwargs: Any) -> RuleSet:
    """Load with Sigma field names kept and no logsource routing (flat test events)."""
    kwargs.setdefault("pipeline", passthrough_pipeline())
    return load_rule_text(text, logsources=NO_ROUTING, **kwargs)


def only_rule(text: str, **kwargs: Any) -> Any:
    ruleset = plain(text, **kwargs)
    assert ruleset.errors == [] and len(ruleset.detections) == 1
    return ruleset.detections[0]


def _sigma_case_params() -> list[Any]:
    """(rule text, placeholders, events, expected list or "error"), one per rule and config."""
    params = []
    for case in load_cases().values():
        if case["area"] != "sigma":
            continue
        given, expected = case["input"], case["expected"]
        rules = given.get("rules") or {"matches": given["rule"]}
        configs = given.get("configs") or {"": None}
        for name, text in rules.items():
            for config, values in configs.items():
                want = expected.get(config or name)
                if name in expected.get("load_errors", ()) or isinstance(want, str):
                    want = "error"
                label = "/".join(filter(None, (case["id"], name, config)))
                params.append(pytest.param(text, values, given["events"], want, id=label))
    return params


@pytest.mark.parametrize(("text", "placeholders", "events", "expected"), _sigma_case_params())
def test_rules_bug_report_cases(
    text: str, placeholders: dict[str, Any] | None, events: list[dict[str, Any]], expected: Any
) -> None:
    ruleset = plain(text, placeholders=placeholders)
    if expected == "error":
        assert ruleset.detections == [] and len(ruleset.errors) == 1
        assert ruleset.errors[0].reason
    else:
        assert ruleset.errors == []
        assert [ruleset.detections[0].matches(e) for e in events] == expected


def test_rules_unresolved_placeholder_names_it(cases: dict[str, Any]) -> None:
    text = cases["sigma-expand-placeholder"]["input"]["rule"]
    (error,) = plain(text).errors
    assert "admin_users" in error.reason


def test_rules_base64offset_expansions(cases: dict[str, Any]) -> None:
    case = cases["sigma-base64offset-wide"]
    for name, expected in case["expected"]["expanded"].items():
        body = SigmaRule.from_yaml(
            case["input"]["rules"][name] + "title: t\nlogsource: {product: x}"
        )
        term = translate(body.detection)
        assert isinstance(term, AnyOf)
        texts = [t.value for t in term.terms if isinstance(t, Match)]
        assert texts == [Text((Wild.ANY, value, Wild.ANY)) for value in expected]


LOAD_ERRORS = [
    ("bad-yaml", "detection: [unclosed", "invalid YAML"),
    ("not-a-mapping", "- a\n- b", "must be a YAML mapping"),
    ("duplicate-key", "detection:\n  s: {A: 1}\n  s: {A: 2}\n  condition: s", "Duplicate key"),
    ("no-detection", "title: t\nlogsource: {product: x}", "detection"),
    ("unknown-modifier", "detection:\n  s:\n    A|bogus: 1\n  condition: s", "Unknown modifier"),
    ("undefined-selection", "detection:\n  s:\n    A: 1\n  condition: s and t", "'t' not defined"),
    ("pipe-no-timeframe", "detection:\n  s:\n    A: 1\n  condition: s | count() > 5", "timeframe"),
    ("bad-id", "id: not-a-uuid\ndetection:\n  s:\n    A: 1\n  condition: s", "UUID"),
    ("global-action", "action: global\ntitle: t", "actions"),
    ("bad-exists", "detection:\n  s:\n    A|exists: 'yes'\n  condition: s", "SigmaExistsModifier"),
    ("bad-regex", "detection:\n  s:\n    A|re: '(unclosed'\n  condition: s", "invalid"),
    ("bad-cidr", "detection:\n  s:\n    A|cidr: '999.1.1.0/24'\n  condition: s", "CIDR"),
    ("wide-alone", "detection:\n  s:\n    A|wide: 'x'\n  condition: s", "encoding modifier"),
]


@pytest.mark.parametrize(("text", "reason"), [pytest.param(t, r, id=i) for i, t, r in LOAD_ERRORS])
def test_rules_load_errors_carry_a_reason(text: str, reason: str) -> None:
    ruleset = plain(text, path="rules/x.yml")
    assert ruleset.detections == []
    (error,) = ruleset.errors
    assert error.path == "rules/x.yml" and reason in error.reason


def test_rules_error_keeps_title_and_other_documents_load() -> None:
    text = (
        "title: broken\ndetection:\n  s:\n    A|bogus: 1\n  condition: s\n---\n"
        "title: fine\ndetection:\n  s:\n    A: 1\n  condition: s\n"
    )
    ruleset = plain(text)
    assert [e.title for e in ruleset.errors] == ["broken"]
    assert [d.meta.title for d in ruleset.detections] == ["fine"]


def test_rules_defaults_for_minimal_rules() -> None:
    text = "detection:\n  s:\n    A: 1\n  condition: s\n"
    first, again = only_rule(text), only_rule(text)
    other = only_rule(text.replace("A: 1", "A: 2"))
    assert first.meta.title == "<text> #1" and first.meta.level == "medium"
    assert first.meta.id == again.meta.id != other.meta.id
    assert plain(text).warnings[0].reason == "no logsource: the rule sees every event"


def test_rules_metadata_is_kept() -> None:
    rule = only_rule(
        "title: T\nid: 5e1b2b2c-6b0a-4a8e-9a57-2f0d1b9e3c11\nname: my_rule\nlevel: high\n"
        "author: A. Author\ntags: [attack.t1110.003]\nreferences: https://example.com/x\n"
        "logsource: {product: windows, service: security}\n"
        "detection:\n  s:\n    A: 1\n  condition: s\n"
    )
    meta = rule.meta
    assert (meta.id, meta.name, meta.level, meta.author, meta.tags) == (
        "5e1b2b2c-6b0a-4a8e-9a57-2f0d1b9e3c11",
        "my_rule",
        "high",
        "A. Author",
        ("attack.t1110.003",),
    )
    assert (rule.logsource.product, rule.logsource.service) == ("windows", "security")


def test_rules_utf16le_is_the_wide_alias() -> None:
    rule = only_rule("detection:\n  s:\n    Cmd|utf16le|base64|contains: 'ab'\n  condition: s")
    assert rule.matches({"Cmd": "-e YQBiAA=="}) is True


def test_rules_duplicate_ids_and_names_are_errors() -> None:
    doc = "name: same\ndetection:\n  s:\n    A: {n}\n  condition: s\n"
    ruleset = plain(doc.format(n=1) + "---\n" + doc.format(n=2))
    assert len(ruleset.detections) == 1
    assert "duplicate rule id or name 'same'" in ruleset.errors[0].reason


def test_rules_load_rules_walks_folders_and_reports_missing_paths(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.yml").write_text("detection:\n  s: {A: 1}\n  condition: s\n")
    (tmp_path / "b.yaml").write_text("detection:\n  s: {B: 1}\n  condition: s\n")
    (tmp_path / "notes.txt").write_text("not a rule")
    (tmp_path / "bad.yml").write_bytes(b"\xff\xfe")
    ruleset = load_rules(
        [tmp_path, tmp_path / "b.yaml", tmp_path / "missing"],
        pipeline=passthrough_pipeline(),
        logsources=NO_ROUTING,
    )
    assert sorted(d.meta.title for d in ruleset.detections) == ["a.yml #1", "b.yaml #1"]
    assert sorted((Path(e.path).name, e.reason[:10]) for e in ruleset.errors) == [
        ("bad.yml", "cannot rea"),
        ("missing", "no such fi"),
    ]


# --- field mapping (ecs_pipeline) ----------------------------------------------------------------

MAPPINGS = [
    ("windows", "process_creation", None, "Image", "process.executable"),
    ("windows", "process_creation", None, "CommandLine", "process.command_line"),
    ("windows", "process_creation", None, "ParentImage", "process.parent.executable"),
    ("windows", "process_creation", None, "User", "user.name"),
    ("windows", "process_creation", None, "OriginalFileName", "process.pe.original_file_name"),
    ("windows", "process_creation", None, "IntegrityLevel", "winlog.event_data.IntegrityLevel"),
    ("windows", None, "security", "EventID", "event.code"),
    ("windows", None, "security", "Channel", "winlog.channel"),
    ("windows", None, "security", "TargetUserName", "winlog.event_data.TargetUserName"),
    ("windows", None, "security", "User", "winlog.event_data.User"),
    ("windows", "file_event", None, "TargetFilename", "file.path"),
    ("windows", None, "security", "process.name", "process.name"),
    ("linux", None, "sshd", "User", "user.name"),
    ("linux", None, "auditd", "exe", "process.executable"),
    ("linux", None, "auditd", "a0", "auditd.log.a0"),
    (None, "firewall", None, "dst_port", "destination.port"),
    (None, "firewall", None, "src_ip", "source.ip"),
    (None, "proxy", None, "c-uri", "url.original"),
    (None, "proxy", None, "cs-host", "url.domain"),
    (None, "dns", None, "query", "dns.question.name"),
    ("aws", None, "cloudtrail", "eventName", "event.action"),
    ("aws", None, "cloudtrail", "eventSource", "event.provider"),
    (
        "aws",
        None,
        "cloudtrail",
        "responseElements.ConsoleLogin",
        "aws.cloudtrail.flattened.response_elements.ConsoleLogin",
    ),
    ("okta", None, "okta", "eventType", "event.action"),
    ("azure", None, "signinlogs", "ResultType", "azure.signinlogs.result_type"),
    ("fortigate", None, "event", "cfgpath", "fortinet.firewall.cfgpath"),
    ("zeek", None, "x509", "certificate.serial", "zeek.x509.certificate.serial"),
    ("zeek", None, "rdp", "id.orig_h", "source.ip"),
    ("gcp", None, "gcp.audit", "gcp.audit.method_name", "gcp.audit.method_name"),
]


@pytest.mark.parametrize(("product", "category", "service", "field", "expected"), MAPPINGS)
def test_rules_ecs_pipeline_maps_fields(
    product: str | None, category: str | None, service: str | None, field: str, expected: str
) -> None:
    logsource = {
        k: v for k, v in (("product", product), ("category", category), ("service", service)) if v
    }
    rule = SigmaRule.from_dict(
        {"title": "t", "logsource": logsource, "detection": {"s": {field: "x"}, "condition": "s"}}
    )
    ecs_pipeline().apply(rule)
    assert translate(rule.detection) == Match(expected, translate(rule.detection).value)  # type: ignore[union-attr]


def test_rules_ecs_pipeline_keeps_keywords_and_maps_nested_events() -> None:
    ruleset = load_rule_text(
        "logsource: {product: windows, category: process_creation}\n"
        "detection:\n  s:\n    Image|endswith: '\\whoami.exe'\n  k: [secret]\n  condition: s and k\n",
        logsources=NO_ROUTING,
    )
    (rule,) = ruleset.detections
    event = {"process": {"executable": "C:\\Windows\\System32\\whoami.exe"}, "message": "SECRET"}
    assert rule.matches(event) is True
    assert rule.matches({**event, "message": "other"}) is False


def test_rules_pipeline_may_come_from_another_file(tmp_path: Path) -> None:
    mapping = tmp_path / "pipeline.yml"
    mapping.write_text(
        "transformations:\n  - type: field_name_mapping\n    mapping: {Foo: custom.foo}\n"
    )
    rule = only_rule("detection:\n  s: {Foo: 1}\n  condition: s\n", pipeline=ecs_pipeline(mapping))
    assert rule.matches({"custom": {"foo": "1"}}) is True
    assert rule.matches({"Foo": 1}) is False


def test_rules_corpus_cloudtrail_rules_fire_on_elastic_documents(corpus: Path) -> None:
    folder = corpus / "sigma/rules/cloud/aws/cloudtrail"
    ruleset = load_rules(
        [
            folder / "aws_cloudtrail_console_login_success_without_mfa.yml",
            folder / "aws_cloudtrail_console_login_failed_authentication.yml",
        ]
    )
    expected = json.loads(
        (
            corpus / "ecs-expected/aws/cloudtrail/test-console-login-json.log-expected.json"
        ).read_text()
    )["expected"]
    # The data stream, not the pipeline, names the dataset in Elastic; the normalizer sets it.
    docs = [{**d, "event": {**d["event"], "dataset": "aws.cloudtrail"}} for d in expected]
    fired = {r.meta.title: [r.matches(d) for d in docs] for r in ruleset.detections}
    assert fired == {
        "AWS Successful Console Login Without MFA": [True, False, False],
        "AWS ConsoleLogin Failed Authentication": [False, True, True],
    }


def test_rules_corpus_loads_with_reasons(corpus: Path) -> None:
    ruleset = load_rules([corpus / "sigma/rules"])
    loaded = len(ruleset.detections) + len(ruleset.correlations)
    for error in ruleset.errors:
        print(f"not loaded: {error.path}: {error.title}: {error.reason}")
    for warning in ruleset.warnings:
        print(f"warning: {warning.path}: {warning.title}: {warning.reason}")
    assert loaded >= 0.95 * (loaded + len(ruleset.errors))
    assert all(e.reason and e.path for e in ruleset.errors)


# --- correlations ------------------------------------------------------------------------------

SPEC_FIXTURES = [
    # file, type, group-by, timespan, bounds, condition field
    ("event_count", "event_count", ("ComputerName",), timedelta(hours=1), {"gte": 100}, None),
    (
        "event_count_ecs",
        "event_count",
        ("dns.question.name",),
        timedelta(hours=1),
        {"gte": 100},
        None,
    ),
    (
        "value_count",
        "value_count",
        ("ComputerName", "WorkstationName"),
        timedelta(days=1),
        {"gte": 100},
        "User",
    ),
    ("temporal", "temporal", ("ComputerName", "User"), timedelta(minutes=5), {"gte": 3}, None),
    (
        "temporal_ordered",
        "temporal_ordered",
        ("ComputerName", "User"),
        timedelta(minutes=5),
        {"gte": 3},
        None,
    ),
    (
        "value_sum",
        "value_sum",
        ("SourceIP", "User"),
        timedelta(hours=1),
        {"gt": 1000000},
        "bytes_sent",
    ),
    ("value_avg", "value_avg", ("SourceIP", "User"), timedelta(days=1), {"gt": 500}, "BytesOut"),
    (
        "value_percentile",
        "value_percentile",
        ("ComputerName",),
        timedelta(days=1),
        {"lte": 1},
        "Image",
    ),
]


def _stub(reference: str) -> str:
    key = "id" if len(reference) == 36 and reference.count("-") == 4 else "name"
    return (
        f"title: stub {reference}\n{key}: {reference}\ndetection:\n  s: {{A: 1}}\n  condition: s\n"
    )


@pytest.mark.parametrize(("name", "kind", "group_by", "timespan", "bounds", "field"), SPEC_FIXTURES)
def test_rules_spec_correlation_fixtures(
    corpus: Path,
    tmp_path: Path,
    name: str,
    kind: str,
    group_by: tuple[str, ...],
    timespan: timedelta,
    bounds: dict[str, float],
    field: str | None,
) -> None:
    fixture = corpus / f"sigma/correlation/sigma-specification/tests/schema/correlation/{name}.yml"
    # The fixtures name rules they do not include; stand-ins make the references resolvable.
    references = yaml.safe_load(fixture.read_text())["correlation"]["rules"]
    stubs = tmp_path / "stubs.yml"
    stubs.write_text("---\n".join(_stub(r) for r in references))
    ruleset = load_rules([fixture, stubs])
    assert ruleset.errors == []
    (correlation,) = ruleset.correlations
    ids = {d.meta.name or d.meta.id: d.meta.id for d in ruleset.detections}
    assert correlation.type == kind
    assert correlation.rules == tuple(ids[r] for r in references)
    assert (correlation.group_by, correlation.timespan) == (group_by, timespan)
    assert (dict(correlation.condition.bounds), correlation.condition.field) == (bounds, field)
    assert correlation.generate is True
    assert [d.generate for d in ruleset.detections] == [False] * len(references)


def test_rules_unresolved_correlation_reference_is_an_error(corpus: Path) -> None:
    fixture = corpus / "sigma/correlation/sigma-specification/tests/schema/correlation/temporal.yml"
    ruleset = load_rules([fixture])
    assert ruleset.correlations == []
    assert "recon_cmd_a" in ruleset.errors[0].reason


def test_rules_hayabusa_correlations(corpus: Path) -> None:
    ruleset = load_rules([corpus / "sigma/correlation/hayabusa-rules"])
    assert ruleset.errors == []
    bases = {d.meta.name: d for d in ruleset.detections}
    assert all(not d.generate for d in bases.values())
    by_title = {c.meta.title: c for c in ruleset.correlations}
    guessing = by_title["User Guessing"]
    assert guessing.type == "value_count"
    assert guessing.rules == (bases["non_existent_user"].meta.id,)
    assert guessing.group_by == tuple(
        f"winlog.event_data.{f}"
        for f in (
            "IpAddress",
            "LogonType",
            "TargetDomainName",
            "ProcessName",
            "LogonProcessName",
            "WorkstationName",
        )
    )
    assert guessing.timespan == timedelta(minutes=5)
    assert guessing.condition.bounds == {"gt": 3}
    assert guessing.condition.field == "winlog.event_data.TargetUserName"
    assert guessing.meta.tags == ("attack.t1110.003", "attack.credential-access")
    spray = by_title["PW Spray"]
    assert (spray.type, spray.group_by) == (
        "value_count",
        ("winlog.event_data.IpAddress", "winlog.computer_name"),
    )
    assert by_title["PW Guessing"].condition.bounds == {"gte": 5}


def test_rules_hayabusa_base_rule_matches_ecs_security_events(corpus: Path) -> None:
    ruleset = load_rules([corpus / "sigma/correlation/hayabusa-rules"])
    (rule,) = [d for d in ruleset.detections if d.meta.name == "non_existent_user"]
    event: dict[str, Any] = {
        "event": {"code": "4625"},
        "winlog": {
            "channel": "Security",
            "event_data": {
                "SubStatus": "0xC0000064",
                "IpAddress": "192.0.2.10",
                "TargetUserName": "NOUSER",
            },
        },
    }
    assert rule.route == (("winlog.channel", ("Security",)),)
    assert rule.matches(event) is True
    filtered = {
        **event,
        "winlog": {
            **event["winlog"],
            "event_data": {**event["winlog"]["event_data"], "IpAddress": "-"},
        },
    }
    assert rule.matches(filtered) is False
    assert rule.matches({**event, "winlog": {**event["winlog"], "channel": "System"}}) is False


CHAIN = """
title: brute force then success
correlation:
  type: temporal_ordered
  rules: [many_failures, success]
  group-by: [User]
  timespan: 10m
level: high
---
title: many failures
name: many_failures
correlation:
  type: event_count
  rules: [failure]
  group-by: [User]
  timespan: 10m
  condition: {gte: 10}
---
title: failure
name: failure
detection:
  s: {EventID: 4625}
  condition: s
---
title: success
name: success
detection:
  s: {EventID: 4624}
  condition: s
"""


def test_rules_chained_correlations_and_generate() -> None:
    ruleset = plain(CHAIN)
    assert ruleset.errors == []
    corr = {c.meta.title: c for c in ruleset.correlations}
    det = {d.meta.name: d for d in ruleset.detections}
    outer, inner = corr["brute force then success"], corr["many failures"]
    assert outer.rules == (inner.meta.id, det["success"].meta.id)
    assert inner.rules == (det["failure"].meta.id,)
    assert (outer.generate, inner.generate) == (True, False)
    assert (det["failure"].generate, det["success"].generate) == (False, False)
    assert outer.condition.bounds == {"gte": 2}


def test_rules_generate_true_keeps_referenced_rules_alerting() -> None:
    text = CHAIN.replace(
        "  timespan: 10m\nlevel: high", "  timespan: 10m\n  generate: true\nlevel: high"
    )
    det = {d.meta.name: d for d in plain(text).detections}
    assert (det["failure"].generate, det["success"].generate) == (False, True)


def test_rules_aliases_are_keyed_by_rule_id_and_name() -> None:
    ruleset = plain("""
title: error then connection
correlation:
  type: temporal
  rules: [internal_error, new_connection]
  group-by: [internal_ip]
  timespan: 10s
  aliases:
    internal_ip:
      internal_error: destination.ip
      new_connection: source.ip
---
name: internal_error
detection: {s: {http.response.status_code: 500}, condition: s}
---
name: new_connection
detection: {s: {event.category: network}, condition: s}
""")
    (correlation,) = ruleset.correlations
    det = {d.meta.name: d.meta.id for d in ruleset.detections}
    assert correlation.aliases == {
        "internal_ip": {
            "internal_error": "destination.ip",
            det["internal_error"]: "destination.ip",
            "new_connection": "source.ip",
            det["new_connection"]: "source.ip",
        }
    }


@pytest.mark.parametrize(
    ("condition", "bounds", "inside", "outside"),
    [
        ("{gt: 100, lte: 200}", {"gt": 100, "lte": 200}, 150, 250),
        ("{neq: 0}", {"neq": 0}, 1, 0),
        ("{eq: 2}", {"eq": 2}, 2, 3),
    ],
)
def test_rules_correlation_bounds(
    condition: str, bounds: dict[str, float], inside: float, outside: float
) -> None:
    ruleset = plain(f"""
correlation:
  type: event_count
  rules: [base]
  group-by: [User]
  timespan: 1h
  condition: {condition}
---
name: base
detection: {{s: {{A: 1}}, condition: s}}
""")
    (correlation,) = ruleset.correlations
    assert dict(correlation.condition.bounds) == bounds
    assert correlation.condition.holds(inside) and not correlation.condition.holds(outside)


CORRELATION_ERRORS = [
    (
        "extended",
        "type: temporal\n  rules: [base]\n  timespan: 1h\n  condition: 'base'",
        "extended",
    ),
    (
        "median",
        "type: value_median\n  rules: [base]\n  timespan: 1h\n  condition: {field: A, gt: 1}",
        "value_median",
    ),
    ("no-timespan", "type: event_count\n  rules: [base]\n  condition: {gte: 1}", "timespan"),
    (
        "bad-timespan",
        "type: event_count\n  rules: [base]\n  timespan: 5 minutes\n  condition: {gte: 1}",
        "Timespan",
    ),
    (
        "value-without-field",
        "type: value_count\n  rules: [base]\n  timespan: 1h\n  condition: {gte: 1}",
        "field",
    ),
    (
        "not-a-number",
        "type: event_count\n  rules: [base]\n  timespan: 1h\n  condition: {gte: many}",
        "not a number",
    ),
    (
        "unknown-rule",
        "type: event_count\n  rules: [nothing]\n  timespan: 1h\n  condition: {gte: 1}",
        "nothing",
    ),
    (
        "broken-base",
        "type: event_count\n  rules: [broken]\n  timespan: 1h\n  condition: {gte: 1}",
        "failed to load: broken",
    ),
]


@pytest.mark.parametrize(
    ("body", "reason"), [pytest.param(b, r, id=i) for i, b, r in CORRELATION_ERRORS]
)
def test_rules_correlation_errors(body: str, reason: str) -> None:
    ruleset = plain(f"""
title: corr
correlation:
  {body}
---
name: base
detection: {{s: {{A: 1}}, condition: s}}
---
name: broken
detection: {{s: {{A|bogus: 1}}, condition: s}}
""")
    assert ruleset.correlations == []
    corr_errors = [e for e in ruleset.errors if e.title == "corr"]
    assert len(corr_errors) == 1 and reason in corr_errors[0].reason
