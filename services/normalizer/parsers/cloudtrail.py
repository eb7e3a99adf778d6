"""AWS CloudTrail event records (eventVersion 1.0x; one record, a JSON array, NDJSON or a
``{"Records": [...]}`` log file) → one ECS document per record, as Elastic's ``aws.cloudtrail``.

Fields out: ``@timestamp`` (eventTime), ``event.{kind, type, category, action = eventName,
provider = eventSource, outcome, module = aws, dataset = aws.cloudtrail}``, ``user.{name, id}``
(an assumed role's session issuer names the user), ``cloud.{account.id, region}``,
``source.address`` (sourceIPAddress, also a service name such as ``ec2.amazonaws.com``) and
``source.ip`` when it is an address, ``user_agent.original``, ``related.{user, entity}``,
``tls.*``, ``group.*``/``user.target.*``/``user.changes.name`` from IAM requests, and
``aws.cloudtrail.*``: ``user_identity.*``, ``error_code``/``error_message``, ``request_parameters``,
``additional_eventdata`` and ``service_event_details`` as text the way Elastic writes them (a Java
map's ``toString``), ``flattened.*`` with the nested originals under their own key names (what
Sigma's ``requestParameters.x`` / ``responseElements.x`` fields are mapped to), ``resources``,
``event_type``, ``event_category``, ``request_id``, ``recipient_account_id``, ...

Two departures from Elastic, both deliberate: ``aws.cloudtrail.response_elements`` keeps the
nested object (so ``response_elements.ConsoleLogin`` is addressable; Elastic writes text there),
and ``aws.cloudtrail.event_id`` keeps eventID (the normalizer owns ``event.id``).

Outcome: ``failure`` with an errorCode or errorMessage, else ``success``; a ConsoleLogin takes it
from ``responseElements.ConsoleLogin`` (the API call succeeds even when the sign-in fails).
As in Elastic, null and empty values are dropped before mapping.

Errors (``ParseError``): not JSON, a record that is not an object, an object that is not a
CloudTrail event (no eventName, eventSource nor eventTime).
"""

from __future__ import annotations

from datetime import UTC
from decimal import Decimal
from typing import Any

from services.normalizer.parsers.base import Doc, ParseContext, ParseError
from services.normalizer.parsers.json_records import (
    dig,
    documents_of,
    ip_of,
    prune,
    string,
    unique,
)
from services.normalizer.parsers.timestamps import parse_iso

_MAX_TEXT = 32766  # Elastic keeps the flattened copy only when the text fits one keyword
_NESTED = (  # record key, aws.cloudtrail key
    ("requestParameters", "request_parameters"),
    ("responseElements", "response_elements"),
    ("additionalEventData", "additional_eventdata"),
    ("serviceEventDetails", "service_event_details"),
)
_RENAMED = {  # record key -> aws.cloudtrail key, copied as they are
    "eventVersion": "event_version", "eventCategory": "event_category",
    "errorCode": "error_code", "errorMessage": "error_message", "requestID": "request_id",
    "eventID": "event_id", "eventType": "event_type", "apiVersion": "api_version",
    "managementEvent": "management_event", "readOnly": "read_only",
    "recipientAccountId": "recipient_account_id", "sharedEventID": "shared_event_id",
    "vpcEndpointId": "vpc_endpoint_id", "insightDetails": "insight_details",
}  # fmt: skip
_GROUPS = {  # (category, *types) -> eventNames: Elastic's categorisation table
    ("authentication", "info"): "AssumeRole ConsoleLogin",
    ("file", "creation"): "CreateBucket",
    ("file", "deletion"): "DeleteBucket",
    ("iam", "admin", "creation"): "CreateKeyPair",
    ("iam", "admin", "change"): "SetDefaultPolicyVersion SetSecurityTokenServicePreferences "
    "UpdateAccountPasswordPolicy UpdateRole",
    ("iam", "group", "creation"): "CreateGroup",
    ("iam", "group", "deletion"): "DeleteGroup",
    ("iam", "group", "change"): "AddUserToGroup AttachGroupPolicy DeleteGroupPolicy "
    "DetachGroupPolicy PutGroupPolicy RemoveUserFromGroup UpdateGroup",
    ("iam", "group", "info"): "GetGroup GetGroupPolicy ListAttachedGroupPolicies "
    "ListGroupPolicies ListGroups",
    ("iam", "user", "creation"): "CreateUser",
    ("iam", "user", "deletion"): "DeleteUser",
    ("iam", "user", "change"): "AttachUserPolicy ChangePassword CreateAccessKey "
    "CreateVirtualMFADevice DeactivateMFADevice DeleteAccessKey DeleteSSHPublicKey "
    "DeleteUserPermissionsBoundary DeleteUserPolicy DeleteVirtualMFADevice DetachUserPolicy "
    "EnableMFADevice PutUserPermissionsBoundary PutUserPolicy TagUser UntagUser UpdateAccessKey "
    "UpdateLoginProfile UpdateSSHPublicKey UpdateUser",
    ("iam", "user", "info"): "GetUser GetUserPolicy ListAttachedUserPolicies ListGroupsForUser "
    "ListUserPolicies ListUsers ListUserTags",
}
CATEGORIES = {name: group for group, names in _GROUPS.items() for name in names.split()}


def parse(text: str, ctx: ParseContext) -> list[Doc]:
    """Every CloudTrail record in ``text`` → its ECS document."""
    return documents_of(text, _document, wrapper="Records")


def _document(n: int, original: dict[str, Any]) -> Doc:
    record = prune(original, blank=True) or {}
    if not any(key in record for key in ("eventName", "eventSource", "eventTime")):
        raise ParseError(
            f"record {n + 1} is no CloudTrail event: no eventName/eventSource/eventTime"
        )
    identity = _object(record.get("userIdentity"))
    issuer = _object(dig(identity, "sessionContext", "sessionIssuer"))
    address = string(record.get("sourceIPAddress"))
    request, response = record.get("requestParameters"), record.get("responseElements")
    doc: Doc = {
        "@timestamp": _time(record.get("eventTime")),
        "event": _event(record),
        "user": _user(record, identity, issuer),
        "group": {"id": dig(response, "group", "groupId"), "name": dig(request, "groupName")},
        "cloud": {"account": {"id": string(identity.get("accountId"))},
                  "region": string(record.get("awsRegion"))},
        "source": {"address": address, "ip": ip_of(address)},
        "user_agent": {"original": string(record.get("userAgent"))},
        "tls": _tls(record.get("tlsDetails")),
        "related": {
            "user": unique(identity.get("userName"), dig(request, "userName"),
                           dig(request, "newUserName")),
            "entity": _entities(record, identity, issuer),
        },
        "aws": {"cloudtrail": _cloudtrail(record, original, identity, issuer)},
    }  # fmt: skip
    return prune(doc) or {}


def _event(record: dict[str, Any]) -> Doc:
    action = string(record.get("eventName"))
    category, *types = CATEGORIES.get(action or "", (None, "info"))
    return {
        "kind": "event",
        "module": "aws",
        "dataset": "aws.cloudtrail",
        "action": action,
        "provider": string(record.get("eventSource")),
        "category": [category] if category else None,
        "type": types,
        "outcome": _outcome(record),
    }


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _time(value: Any) -> str | None:
    return parse_iso(value, UTC) if isinstance(value, str) else None


def _outcome(record: dict[str, Any]) -> str:
    if record.get("eventName") == "ConsoleLogin":
        login = dig(record, "responseElements", "ConsoleLogin")
        if isinstance(login, str) and login.lower() in ("success", "failure"):
            return login.lower()
    return "failure" if "errorCode" in record or "errorMessage" in record else "success"


def _cloudtrail(
    record: dict[str, Any], original: dict[str, Any], identity: Doc, issuer: Doc
) -> Doc:
    out: Doc = {new: record.get(old) for old, new in _RENAMED.items()}
    out["user_identity"] = {
        "type": identity.get("type"),
        "arn": identity.get("arn"),
        "access_key_id": identity.get("accessKeyId"),
        "invoked_by": identity.get("invokedBy"),
        "session_context": {
            "mfa_authenticated": dig(identity, "sessionContext", "attributes", "mfaAuthenticated"),
            "creation_date": _time(dig(identity, "sessionContext", "attributes", "creationDate")),
            "session_issuer": {
                "type": issuer.get("type"),
                "principal_id": issuer.get("principalId"),
                "arn": issuer.get("arn"),
                "account_id": issuer.get("accountId"),
            },
        },
    }
    flattened: Doc = {}
    for source_key, key in _NESTED:
        if source_key not in record:
            continue
        text = java_text(original[source_key])
        out[key] = text
        if text is not None and len(text) < _MAX_TEXT:
            flattened[key] = record[source_key]
    out["flattened"] = flattened
    out["response_elements"] = record.get("responseElements")
    out["resources"] = _resources(record.get("resources"))
    if record.get("eventName") == "ConsoleLogin":
        out["console_login"] = {"additional_eventdata": _console_login(record)}
    return out


def _console_login(record: dict[str, Any]) -> Doc:
    data = record.get("additionalEventData")
    if not isinstance(data, dict):
        return {}
    flags = {key: data[name] != "No" for name, key in _LOGIN_FLAGS if name in data}
    return {**flags, "login_to": data.get("LoginTo")}


_LOGIN_FLAGS = (("MobileVersion", "mobile_version"), ("MFAUsed", "mfa_used"))


def _resources(value: Any) -> list[Doc] | None:
    if not isinstance(value, list):
        return None
    unique_resources: dict[tuple[Any, ...], Doc] = {}
    for item in value:
        if isinstance(item, dict):
            resource: Doc = {_RESOURCE_KEYS.get(k) or k: v for k, v in item.items()}
            key = (
                str(resource.get("arn")),
                str(resource.get("account_id")),
                str(resource.get("type")),
            )
            unique_resources[key] = resource  # the same resource listed twice is kept once
    return list(unique_resources.values()) or None


_RESOURCE_KEYS = {"ARN": "arn", "accountId": "account_id"}


def _entities(record: dict[str, Any], identity: Doc, issuer: Doc) -> list[Any] | None:
    resources: list[Any] = record["resources"] if isinstance(record.get("resources"), list) else []
    login_mfa = (
        dig(record, "additionalEventData", "MFAIdentifier")
        if record.get("eventName") == "ConsoleLogin"
        else None
    )
    return unique(
        identity.get("arn"), identity.get("identityProvider"), identity.get("principalId"),
        issuer.get("arn"), issuer.get("userName"),
        dig(identity, "sessionContext", "webIdFederationData", "federatedProvider"),
        identity.get("userName"), *(dig(r, "ARN") for r in resources), login_mfa,
    )  # fmt: skip


def _user(record: dict[str, Any], identity: Doc, issuer: Doc) -> Doc:
    request, response = record.get("requestParameters"), record.get("responseElements")
    return {
        # Elastic's rename of the issuer's name does not overwrite an identity's own userName.
        "name": string(identity.get("userName")) or string(issuer.get("userName")),
        "id": string(identity.get("principalId")),
        "target": {"id": dig(response, "user", "userId"), "name": dig(request, "userName")},
        "changes": {"name": dig(request, "newUserName")},
    }


def _tls(details: Any) -> Doc | None:
    if not isinstance(details, dict):
        return None
    protocol, _, version = str(details.get("tlsVersion", "")).partition("v")
    return {
        "version_protocol": protocol.lower() if version else None,
        "version": version or None,
        "cipher": details.get("cipherSuite"),
        "client": {"server_name": details.get("clientProvidedHostHeader")},
    }


def java_text(value: Any) -> str | None:
    """``value.toString()`` as Elastic's pipeline sees it: Java ``HashMap`` iteration order and
    ``{k=v, ...}`` / ``[a, b]`` syntax, with nulls, ``""`` and emptied containers left out."""
    if value is None or value == "":
        return None
    if isinstance(value, dict):
        parts = [f"{k}={t}" for k in _hash_order(value) if (t := java_text(value[k])) is not None]
        return "{" + ", ".join(parts) + "}" if parts else None
    if isinstance(value, list):
        items = [t for v in value if (t := java_text(v)) is not None]
        return "[" + ", ".join(items) + "]" if items else None
    if isinstance(value, bool):
        return "true" if value else "false"
    return _java_double(value) if isinstance(value, float) else str(value)


def _hash_order(mapping: dict[str, Any]) -> list[str]:
    # A HashMap filled key by key (capacity 16, doubled past 3/4 full; counted before the empty
    # values were dropped) iterates bucket by bucket, insertion order within a bucket.
    capacity = 16
    while len(mapping) > capacity * 3 // 4:
        capacity *= 2
    mask = capacity - 1
    return sorted(mapping, key=lambda key: _spread(_java_hash(key)) & mask)


def _java_hash(text: str) -> int:
    h = 0
    data = text.encode("utf-16-be")  # String.hashCode runs over UTF-16 code units
    for i in range(0, len(data), 2):
        h = (31 * h + (data[i] << 8 | data[i + 1])) & 0xFFFFFFFF
    return h


def _spread(h: int) -> int:
    return h ^ (h >> 16)


def _java_double(number: float) -> str:
    if number == 0 or 1e-3 <= abs(number) < 1e7:
        return repr(number)  # the same shortest digits Java prints in this range
    sign, digits, exponent = Decimal(repr(number)).normalize().as_tuple()
    text = "".join(map(str, digits))
    mantissa = f"{text[0]}.{text[1:] or '0'}"
    return f"{'-' if sign else ''}{mantissa}E{len(text) - 1 + int(exponent)}"
