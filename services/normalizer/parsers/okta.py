"""Okta System Log API events (``/api/v1/logs`` LogEvent objects, or exports that flatten them to
dotted keys such as ``"actor.alternateId"``; one event, a JSON array or NDJSON) → one ECS
document per event, as Elastic's ``okta.system``.

Fields out: ``@timestamp`` (published), ``event.{kind, category, type, action = eventType,
outcome, reason = outcome.reason, module = okta, dataset = okta.system}``, ``user.{name,
full_name}`` (the actor; ``name`` is the login part of alternateId, as Elastic takes it),
``source.{ip, domain, user.*}``, ``client.{ip, domain, geo.*, as.organization.name, user.*}``,
``user.target.*`` (the first User / UserGroup target), ``user_agent.original``,
``related.{ip, user, entity}`` and ``okta.*``: uuid, event_type, display_message, actor, client,
device, outcome, target, transaction, authentication_context, security_context, request.ip_chain,
and debug_context.debug_data (its known keys in snake_case, the original object under
``flattened``, risk level / reasons / behaviors decoded). Vigie also keeps
``okta.legacy_event_type`` and ``okta.severity`` (Sigma rules test them; Elastic drops them).

Outcome (ECS allows only success, failure, unknown): SUCCESS and ALLOW → success, FAILURE and
DENY → failure, anything else (CHALLENGE, SKIPPED, UNKNOWN, absent) → unknown. Okta writes the
text "null" for absent client values: only a real address becomes ``source.ip``. As in Elastic,
null and empty values are dropped before mapping.

Errors (``ParseError``): not JSON, an event that is not an object or has no ``eventType``.
"""

from __future__ import annotations

import re
from datetime import UTC
from typing import Any

import orjson

from services.normalizer.parsers.base import Doc, ParseContext, ParseError
from services.normalizer.parsers.json_records import (
    dig,
    documents_of,
    ip_of,
    nest_dotted,
    prune,
    string,
    unique,
)
from services.normalizer.parsers.timestamps import parse_iso

_LOGIN = re.compile(r"[a-zA-Z0-9._-]+")  # grok's USER, unanchored like Elastic's grok
_RISK_LEVEL = re.compile(r"level=([^\s,}]+)")
_RISK_REASONS = re.compile(r"reasons=(.*?)(?:, [^\s=,]+=|\}?$)")
_MAX_RISK_TEXT = 2048  # a few reasons; longer text is not Okta's and would cost the regex
_OUTCOMES = {"success": "success", "allow": "success", "failure": "failure", "deny": "failure"}
_DEBUG_KEYS = {  # debugData key -> okta.debug_context.debug_data key
    "deviceFingerprint": "device_fingerprint", "requestId": "request_id",
    "requestUri": "request_uri", "threatSuspected": "threat_suspected", "url": "url",
    "dtHash": "dt_hash", "clientSecret": "client_secret", "requestedScopes": "requested_scopes",
    "grantedScopes": "granted_scopes", "grantType": "grant_type",
}  # fmt: skip
_SESSION = "user.session.start user.session.end"
_LIFECYCLE = "user.lifecycle.activate user.lifecycle.deactivate user.lifecycle.suspend "
_LIFECYCLE += "user.lifecycle.unsuspend"
_MEMBERSHIP = "group.user_membership.add group.user_membership.remove"
_APP_MEMBERSHIP = "application.user_membership.add application.user_membership.remove "
_APP_MEMBERSHIP += "application.user_membership.change_username"
_POLICY_CHANGE = "policy.lifecycle.activate policy.lifecycle.deactivate policy.lifecycle.update "
_POLICY_CHANGE += "policy.rule.activate policy.rule.add policy.rule.deactivate policy.rule.update"
_RATE_LIMITS = "system.org.rate_limit.warning system.org.rate_limit.violation "
_RATE_LIMITS += "core.concurrency.org.limit.violation"
_RULES = (  # Elastic's categorisation, in its processor order: (ECS field, value, eventTypes)
    ("category", "iam", f"{_MEMBERSHIP} {_LIFECYCLE} user.lifecycle.create"),
    ("category", "configuration", (f"{_POLICY_CHANGE} policy.lifecycle.create "
     "policy.lifecycle.delete policy.rule.delete application.lifecycle.create "
     "application.lifecycle.delete application.lifecycle.activate "
     "application.lifecycle.deactivate application.lifecycle.update")),
    ("category", "authentication", f"{_SESSION} user.authentication.sso policy.evaluate_sign_on"),
    ("category", "session", _SESSION),
    ("type", "info", _RATE_LIMITS),
    ("type", "network", f"{_RATE_LIMITS} security.request.blocked"),
    ("type", "start", "user.session.start"),
    ("type", "end", "user.session.end"),
    ("type", "group", _MEMBERSHIP),
    ("type", "info", (f"{_LIFECYCLE} user.lifecycle.create user.authentication.sso {_SESSION} "
     f"{_APP_MEMBERSHIP} policy.evaluate_sign_on")),
    ("type", "change", f"{_LIFECYCLE} {_MEMBERSHIP} {_POLICY_CHANGE} {_APP_MEMBERSHIP}"),
    ("type", "creation", ("user.lifecycle.create policy.lifecycle.create "
     "application.lifecycle.create")),
    ("type", "deletion", "policy.lifecycle.delete application.lifecycle.delete"),
)  # fmt: skip


def _categorisation() -> dict[str, dict[str, list[str]]]:
    table: dict[str, dict[str, list[str]]] = {}
    for field, value, event_types in _RULES:
        for event_type in event_types.split():
            values = table.setdefault(event_type, {}).setdefault(field, [])
            if value not in values:
                values.append(value)
    return table


CATEGORISATION = _categorisation()


def parse(text: str, ctx: ParseContext) -> list[Doc]:
    """Every Okta LogEvent in ``text`` → its ECS document."""
    return documents_of(text, _document)


def _document(n: int, original: dict[str, Any]) -> Doc:
    record = prune(nest_dotted(original), blank=True) or {}
    event_type = string(record.get("eventType"))
    if event_type is None:
        raise ParseError(f"record {n + 1} is no Okta LogEvent: no eventType")
    okta = _okta(record)
    actor = okta.get("actor", {})
    login = _LOGIN.search(string(actor.get("alternate_id")) or "")
    name = login.group() if login else None
    ip = okta["client"].get("ip")
    person = {"name": name, "id": actor.get("id"), "full_name": actor.get("display_name")}
    domain = dig(okta, "security_context", "domain")
    target_user, target_group = _first_target(okta, "user"), _first_target(okta, "usergroup")
    doc: Doc = {
        "@timestamp": _time(record.get("published")),
        "event": {
            "kind": "event", "module": "okta", "dataset": "okta.system", "action": event_type,
            **{k: list(v) for k, v in CATEGORISATION.get(event_type, {}).items()},
            "outcome": _OUTCOMES.get(str(dig(record, "outcome", "result")).lower(), "unknown"),
            "reason": string(dig(record, "outcome", "reason")),
        },
        "user": {
            "name": name, "full_name": actor.get("display_name"),
            "target": {
                "full_name": target_user.get("display_name"), "id": target_user.get("id"),
                "email": target_user.get("login"),
                "group": {"name": target_group.get("display_name"), "id": target_group.get("id")},
            },
        },
        "source": {"ip": ip, "domain": domain, "user": person},
        "client": {"ip": ip, "domain": domain, "user": person, "geo": _geo(record),
                   "as": {"organization": {"name": dig(okta, "security_context", "as",
                                                       "organization", "name")}}},
        "user_agent": {"original": dig(okta, "client", "user_agent", "raw_user_agent")},
        "related": {
            "ip": unique(ip),
            "user": unique(actor.get("display_name"), target_user.get("display_name"), name),
            "entity": unique(actor.get("alternate_id"), actor.get("id"),
                             *(t.get("id") for t in okta.get("target", []))),
        },
        "okta": okta,
    }  # fmt: skip
    return prune(doc) or {}


def _okta(record: dict[str, Any]) -> Doc:
    actor, client = _object(record.get("actor")), _object(record.get("client"))
    agent = _object(client.get("userAgent"))
    auth = _object(record.get("authenticationContext"))
    security = _object(record.get("securityContext"))
    return {
        "uuid": record.get("uuid"),
        "event_type": record.get("eventType"),
        "legacy_event_type": record.get("legacyEventType"),
        "severity": record.get("severity"),
        "display_message": record.get("displayMessage"),
        "actor": {"alternate_id": actor.get("alternateId"), "display_name": actor.get("displayName"),
                  "id": actor.get("id"), "type": actor.get("type")},
        "client": {
            "device": client.get("device"), "id": client.get("id"),
            "ip": ip_of(client.get("ipAddress")), "zone": client.get("zone"),
            "user_agent": {"browser": agent.get("browser"), "os": agent.get("os"),
                           "raw_user_agent": string(agent.get("rawUserAgent"))},
        },
        "device": _device(record.get("device")),
        "outcome": _object(record.get("outcome")) or None,
        "target": _targets(record.get("target")),
        "transaction": {
            "id": dig(record, "transaction", "id"), "type": dig(record, "transaction", "type"),
            "detail": {"request_api_token_id": dig(record, "transaction", "detail",
                                                   "requestApiTokenId")},
        },
        "authentication_context": {
            # Elastic's rename of "interface" does not overwrite a provider already there.
            "authentication_provider": auth.get("authenticationProvider") or auth.get("interface"),
            "authentication_step": auth.get("authenticationStep"),
            "credential_provider": auth.get("credentialProvider"),
            "credential_type": auth.get("credentialType"),
            "external_session_id": auth.get("externalSessionId"), "issuer": auth.get("issuer"),
        },
        "security_context": {
            "as": {"number": security.get("asNumber"),
                   "organization": {"name": security.get("asOrg")}},
            "domain": security.get("domain"), "is_proxy": security.get("isProxy"),
            "isp": security.get("isp"),
        },
        "request": {"ip_chain": _ip_chain(dig(record, "request", "ipChain"))},
        "debug_context": {"debug_data": _debug_data(dig(record, "debugContext", "debugData"))},
    }  # fmt: skip


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _time(value: Any) -> str | None:
    return parse_iso(value, UTC) if isinstance(value, str) else None


def _geo(record: dict[str, Any]) -> Doc:
    place = _object(dig(record, "client", "geographicalContext"))
    return {
        "location": place.get("geolocation"),
        "city_name": place.get("city"),
        "region_name": place.get("state"),
        "country_name": place.get("country"),
    }


def _device(value: Any) -> Doc | None:
    if not isinstance(value, dict):
        return None
    integrator = _json_object(value.get("device_integrator"))  # Okta sends this one as JSON text
    return value if integrator is None else {**value, "device_integrator": integrator}


def _targets(value: Any) -> list[Doc]:
    targets = []
    for item in value if isinstance(value, list) else []:
        if not isinstance(item, dict):
            continue
        target = {k: v for k, v in item.items() if k not in ("alternateId", "displayName")}
        target["alternate_id"] = item.get("alternateId")
        target["display_name"] = item.get("displayName")
        entry = target.pop("detailEntry", None)
        if isinstance(entry, dict):  # Elastic keeps only these two of the entry's free-form keys
            kept = {k: entry[k] for k in ("methodTypeUsed", "methodUsedVerifiedProperties")
                    if k in entry}  # fmt: skip
            target["detailEntry"] = kept or None
        targets.append(target)
    return targets


def _first_target(okta: Doc, kind: str) -> Doc:
    targets: list[Doc] = okta.get("target", [])
    return next((t for t in targets if str(t.get("type")).lower() == kind), {})


def _ip_chain(value: Any) -> list[Doc] | None:
    if not isinstance(value, list):
        return None
    chain = []
    for hop in value:
        if isinstance(hop, dict):
            hop = {("geographical_context" if k == "geographicalContext" else k): v
                   for k, v in hop.items()}  # fmt: skip
            place = hop.get("geographical_context")
            if isinstance(place, dict) and "postalCode" in place:
                place = {("postal_code" if k == "postalCode" else k): v for k, v in place.items()}
                hop["geographical_context"] = place
        chain.append(hop)
    return chain


def _debug_data(value: Any) -> Doc | None:
    if not isinstance(value, dict):
        return None
    flattened = dict(value)
    security = _json_object(flattened.get("logOnlySecurityData"))
    if security is not None:
        flattened["logOnlySecurityData"] = security
    behaviors = _key_values(flattened.get("behaviors"))
    if behaviors is not None:
        flattened["behaviors"] = behaviors
    risk = _risk(flattened.get("risk"))
    if risk is not None:
        flattened["risk"] = risk
    level = dig(security, "risk", "level") or dig(risk, "level")
    reasons = dig(security, "risk", "reasons") or dig(risk, "reasons")
    data: Doc = {new: value.get(old) for old, new in _DEBUG_KEYS.items()}
    data["flattened"] = flattened
    data["risk_level"] = level if isinstance(level, str) else None
    data["risk_reasons"] = re.split(r",\s*", reasons) if isinstance(reasons, str) else None
    data["risk_behaviors"] = [k for k, v in (behaviors or {}).items() if v == "POSITIVE"] or None
    data["factor"] = string(flattened.get("factor"))
    return data


def _json_object(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = orjson.loads(value)
    except orjson.JSONDecodeError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _key_values(value: Any) -> dict[str, str] | None:
    """``{New IP=POSITIVE, New Device=NEGATIVE}`` (a Java map's text) as an object."""
    if not isinstance(value, str) or not value.startswith("{") or not value.endswith("}"):
        return None
    pairs = (part.partition("=") for part in value[1:-1].split(", "))
    return {key: val for key, sep, val in pairs if sep and key} or None


def _risk(value: Any) -> dict[str, str] | None:
    # Reasons may hold ", " themselves, so the level and reasons are found by pattern.
    if not isinstance(value, str) or len(value) > _MAX_RISK_TEXT:
        return None
    level, reasons = _RISK_LEVEL.search(value), _RISK_REASONS.search(value)
    risk = {"level": level.group(1) if level else None}
    risk["reasons"] = reasons.group(1) if reasons else None
    return {k: v for k, v in risk.items() if v} or None
