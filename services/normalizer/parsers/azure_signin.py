"""Microsoft Entra ID (Azure AD) sign-in logs as Azure Monitor exports them (diagnostic settings to
Event Hub or storage: ``time``, ``category`` ``*SignInLogs``, ``resultType``, ``callerIpAddress``,
``properties.*``; one record, a JSON array, NDJSON or ``{"records": [...]}``) → one ECS document
per record, as Elastic's ``azure.signinlogs``.

Fields out: ``@timestamp`` (``time``, all of its 7 fractional digits; else
``properties.createdDateTime``), ``event.{kind, category = authentication, type = info, action =
operationName, outcome, duration (ns), module = azure, dataset = azure.signinlogs}``,
``source.{ip, port}`` and ``client.ip`` (callerIpAddress, ``[v6]:port`` and ``v4:port`` forms,
else ``properties.ipAddress``), ``related.ip``, ``user.{name, domain, full_name, id}``,
``user_agent.original``, ``geo.*`` (the sign-in location Azure reports), ``log.level``,
``message`` (status failure reason and details), ``error.code`` (the sign-in error code, when the
sign-in failed), ``cloud.provider``, ``azure.{tenant_id, correlation_id, resource.*}`` and
``azure.signinlogs.*``: every other field, keys in snake_case as Elastic writes them
(``properties.user_principal_name``, ``properties.status.error_code``, ``result_type``, ...).

Outcome: ``properties.status.errorCode`` 0 is success and any other code failure; without it the
same rule on ``resultType`` (the code as text); with neither, ``unknown``. ``resultSignature`` says
nothing about the result and is not read.

Departures from Elastic, deliberate: ``user.name`` is the whole userPrincipalName (Elastic keeps
the part before ``@``; ``user.domain`` still holds the domain), ``geo.region_name`` takes the
location's state (Elastic writes it to ``geo.country_name``), ``properties.ip_address`` is kept.

Errors (``ParseError``): not JSON, a record that is not an object, a record whose ``category`` is
not a sign-in log category (audit or activity logs need their own format hint).
"""

from __future__ import annotations

import re
from datetime import UTC
from functools import lru_cache
from typing import Any

from services.normalizer.parsers.base import Doc, ParseContext, ParseError
from services.normalizer.parsers.json_records import (
    address_port,
    dig,
    documents_of,
    ip_of,
    prune,
    split_account,
    string,
    text_of,
    unique,
)
from services.normalizer.parsers.timestamps import parse_iso

_CAMEL = re.compile(r"([a-z])([A-Z]+)")
_SUBSCRIPTION = re.compile(
    r"/subscriptions/([^/]+)(?:/resourcegroups/([^/]+))?(?:/providers/([^/]+/[^/]+)(?:/(.+))?)?",
    re.IGNORECASE,
)
_PROVIDER = re.compile(r".*?/providers/(.+)", re.IGNORECASE)
_MAX_DURATION_MS = 2**63 // 1_000_000
_MOVED = {  # top-level keys mapped elsewhere, so not kept under azure.signinlogs
    "time", "resource_id", "caller_ip_address", "level", "duration_ms", "location", "tenant_id",
    "correlation_id", "properties",
}  # fmt: skip
_PROPERTY_RENAMES = {
    "created_date_time": "created_at",
    "processing_time_in_milliseconds": "processing_time_ms",
    "risk_level_during_sign_in": "risk_level_during_signin",
}


def parse(text: str, ctx: ParseContext) -> list[Doc]:
    """Every sign-in record in ``text`` → its ECS document."""
    return documents_of(text, _document, wrapper="records")


def _document(n: int, original: dict[str, Any]) -> Doc:
    record = snake_keys(original)  # a new structure: popping from it leaves the input alone
    category = record.get("category")
    if not (isinstance(category, str) and category.endswith("SignInLogs")):
        raise ParseError(f"record {n + 1} is no sign-in log: category {category!r}")
    properties = _properties(record.get("properties"))
    status: dict[str, Any] = (
        properties["status"] if isinstance(properties.get("status"), dict) else {}
    )
    reason = string(status.pop("failure_reason", None))
    details = string(status.pop("additional_details", None))
    user_agent, location = properties.pop("user_agent", None), properties.pop("location", None)
    ip, port = address_port(record.get("caller_ip_address"))
    ip = ip or ip_of(properties.get("ip_address"))
    outcome, error_code = _outcome(status.get("error_code"), record.get("result_type"))
    doc: Doc = {
        "@timestamp": _time(record.get("time")) or _time(properties.get("created_at")),
        "event": {
            "kind": "event", "module": "azure", "dataset": "azure.signinlogs",
            "category": ["authentication"], "type": ["info"],
            "action": string(record.get("operation_name")), "outcome": outcome,
            "duration": _nanoseconds(record.get("duration_ms")),
        },
        "error": {"code": error_code},
        "message": f"{reason} ({details})" if reason and details else reason or details,
        "source": {"ip": ip, "port": port},
        "client": {"ip": ip},
        "related": {"ip": unique(ip)},
        "user": _user(properties),
        "user_agent": {"original": string(user_agent)},
        "geo": _geo(record.get("location"), location),
        "log": {"level": text_of(record.get("level"))},
        "cloud": {"provider": "azure"},
        "azure": _azure(record, properties),
    }  # fmt: skip
    return prune(doc) or {}


def _user(properties: dict[str, Any]) -> Doc:
    upn = string(properties.get("user_principal_name"))
    return {
        "name": upn,
        "domain": (split_account(upn) or (None, None))[1],
        "full_name": text_of(properties.get("user_display_name")),
        "id": text_of(properties.get("user_id")),
    }


@lru_cache(maxsize=1024)  # the same few dozen keys in every record
def _snake(key: str) -> str:
    return _CAMEL.sub(r"\1_\2", key).lower()


def snake_keys(value: Any) -> Any:
    """Every object key at any depth in snake_case (``userPrincipalName`` → ``user_principal_name``)."""
    if isinstance(value, dict):
        return {_snake(k): snake_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [snake_keys(v) for v in value]
    return value


def _properties(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        return {}
    properties: dict[str, Any] = {_PROPERTY_RENAMES.get(k) or k: v for k, v in value.items()}
    details = properties.get("authentication_processing_details")
    if isinstance(details, list):  # [{key, value}, ...] as one object, as Elastic stores it
        pairs = {d["key"]: d.get("value") for d in details if isinstance(d, dict) and _named(d)}
        properties["authentication_processing_details"] = pairs or None
    return properties


def _named(entry: dict[str, Any]) -> bool:
    return isinstance(entry.get("key"), str) and "." not in entry["key"]


def _azure(record: dict[str, Any], properties: dict[str, Any]) -> Doc:
    signinlogs = {k: v for k, v in record.items() if k not in _MOVED}
    signinlogs["properties"] = properties
    return {
        "tenant_id": string(record.get("tenant_id")),
        "correlation_id": string(record.get("correlation_id")),
        "resource": _resource(record.get("resource_id")),
        "signinlogs": signinlogs,
    }


def _resource(resource_id: Any) -> Doc | None:
    if not isinstance(resource_id, str):
        return None
    if m := _SUBSCRIPTION.fullmatch(resource_id):
        subscription, group, provider, name = m.groups()
        fields = {"group": group, "provider": provider, "name": name}
        return {"id": resource_id, "subscription_id": subscription, **fields}
    m = _PROVIDER.fullmatch(resource_id)
    return {"id": resource_id, "provider": m.group(1) if m else None}


def _outcome(error_code: Any, result_type: Any) -> tuple[str, str | None]:
    code: Any = error_code if type(error_code) is int else None
    if code is None and isinstance(result_type, str) and result_type.strip().isdigit():
        code = int(result_type)
    if code is None:
        return "unknown", None
    if code == 0:
        return "success", None
    return "failure", result_type if isinstance(result_type, str) and result_type else str(code)


def _nanoseconds(milliseconds: Any) -> int | None:
    if isinstance(milliseconds, str) and milliseconds.isdigit() and len(milliseconds) < 13:
        milliseconds = int(milliseconds)  # some exports write the duration as text
    number = milliseconds if type(milliseconds) in (int, float) else None
    if number is not None and 0 <= number < _MAX_DURATION_MS:  # a signed 64-bit count of ns
        return int(number * 1_000_000)
    return None


def _geo(country: Any, location: Any) -> Doc:
    return {
        "country_iso_code": string(country),
        "city_name": string(dig(location, "city")),
        "region_name": string(dig(location, "state")),
        "location": {
            "lat": _number(dig(location, "geo_coordinates", "latitude")),
            "lon": _number(dig(location, "geo_coordinates", "longitude")),
        },
    }


def _number(value: Any) -> float | int | None:
    return value if type(value) is int or type(value) is float else None


def _time(value: Any) -> str | None:
    return parse_iso(value, UTC) if isinstance(value, str) else None
