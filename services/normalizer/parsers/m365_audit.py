"""Microsoft 365 Management Activity API audit records (common schema: ``CreationTime``, ``Id``,
``Operation``, ``RecordType``, ``Workload``, ``UserId``, ``ClientIP``, ``ResultStatus``, plus the
workload's own fields; one record, a JSON array or NDJSON) → one ECS document per record, as
Elastic's ``o365.audit``.

Fields out: ``@timestamp`` (CreationTime; it carries no zone and is UTC by the API's contract),
``event.{kind, category, type, action = Operation, provider = Workload, code = the RecordType's
name (ExchangeAdmin, AzureActiveDirectoryStsLogon, ...), outcome, severity, module = o365,
dataset = o365.audit}``, ``user.{id = UserId, email, name, domain}`` (name and domain when UserId
is ``user@domain``), ``client.{address, ip, port, domain}`` and ``source.{ip, port}`` from
ClientIPAddress / ClientIP / ActorIpAddress (``v4:port``, ``[v6]:port``, ``::ffff:v4``,
``host (ip)``), ``network.type``, ``user_agent.original``, ``related.{ip, user}``, per-workload
fields (``url.original``, ``file.*``, ``rule.*``, ``user.target.*``, ``process.name`` ...) and
``o365.audit.*``: every other field under its own name, with ``Parameters`` and
``ExtendedProperties`` turned from ``[{Name, Value}]`` lists into objects and
``ModifiedProperties`` into ``{Name: {NewValue, OldValue}}``, as Elastic does. ``Id`` stays in
``o365.audit.Id`` and ``OrganizationId`` in ``o365.audit.OrganizationId`` (the normalizer owns
``event.id`` and ``organization.id``).

Outcome: ResultStatus Succeeded / Success / PartiallySucceeded / True → success, Failed / False →
failure, anything else or none → success (Elastic's rule: an audited operation took place).

Errors (``ParseError``): not JSON, a record that is not an object, or that has no
``CreationTime`` or neither ``Operation`` nor ``RecordType``.
"""

from __future__ import annotations

import re
from datetime import UTC
from typing import Any

from services.normalizer.parsers.base import Doc, ParseContext, ParseError
from services.normalizer.parsers.json_records import (
    address_port,
    documents_of,
    ip_of,
    prune,
    split_account,
    string,
    text_of,
    unique,
)
from services.normalizer.parsers.timestamps import parse_iso

_RECORD_TYPES = """
1 ExchangeAdmin 2 ExchangeItem 3 ExchangeItemGroup 4 SharePoint 6 SharePointFileOperation
7 OneDrive 8 AzureActiveDirectory 9 AzureActiveDirectoryAccountLogon 10 DataCenterSecurityCmdlet
11 ComplianceDLPSharePoint 12 Sway 13 ComplianceDLPExchange 14 SharePointSharingOperation
15 AzureActiveDirectoryStsLogon 16 SkypeForBusinessPSTNUsage 17 SkypeForBusinessUsersBlocked
18 SecurityComplianceCenterEOPCmdlet 19 ExchangeAggregatedOperation 20 PowerBIAudit 21 CRM
22 Yammer 23 SkypeForBusinessCmdlets 24 Discovery 25 MicrosoftTeams 28 ThreatIntelligence
29 MailSubmission 30 MicrosoftFlow 31 AeD 32 MicrosoftStream
33 ComplianceDLPSharePointClassification 34 ThreatFinder 35 Project 36 SharePointListOperation
37 SharePointCommentOperation 38 DataGovernance 39 Kaizala 40 SecurityComplianceAlerts
41 ThreatIntelligenceUrl 42 SecurityComplianceInsights 43 MIPLabel 44 WorkplaceAnalytics
45 PowerAppsApp 46 PowerAppsPlan 47 ThreatIntelligenceAtpContent 48 LabelContentExplorer
49 TeamsHealthcare 50 ExchangeItemAggregated 51 HygieneEvent 52 DataInsightsRestApiAudit
53 InformationBarrierPolicyApplication 54 SharePointListItemOperation
55 SharePointContentTypeOperation 56 SharePointFieldOperation 57 MicrosoftTeamsAdmin 58 HRSignal
59 MicrosoftTeamsDevice 60 MicrosoftTeamsAnalytics 61 InformationWorkerProtection 62 Campaign
63 DLPEndpoint 64 AirInvestigation 65 Quarantine 66 MicrosoftForms 67 ApplicationAudit
68 ComplianceSupervisionExchange 69 CustomerKeyServiceEncryption 70 OfficeNative
71 MipAutoLabelSharePointItem 72 MipAutoLabelSharePointPolicyLocation 73 MicrosoftTeamsShifts
75 MipAutoLabelExchangeItem 76 CortanaBriefing 78 WDATPAlerts 82 SensitivityLabelPolicyMatch
83 SensitivityLabelAction 84 SensitivityLabeledFileAction 85 AttackSim 86 AirManualInvestigation
87 SecurityComplianceRBAC 88 UserTraining 89 AirAdminActionInvestigation 90 MSTIC
91 PhysicalBadgingSignal 93 AipDiscover 94 AipSensitivityLabelAction 95 AipProtectionAction
96 AipFileDeleted 97 AipHeartBeat 98 MCASAlerts 99 OnPremisesFileShareScannerDlp
100 OnPremisesSharePointScannerDlp 101 ExchangeSearch 102 SharePointSearch 103 PrivacyInsights
105 MyAnalyticsSettings 106 SecurityComplianceUserChange 107 ComplianceDLPExchangeClassification
109 MipExactDataMatch 113 MS365DCustomDetection 147 CoreReportingSettings 148 ComplianceConnector
174 DataShareOperation 181 EduDataLakeDownloadOperation
"""
_WORDS = _RECORD_TYPES.split()
RECORD_TYPES = dict(zip(_WORDS[::2], _WORDS[1::2], strict=True))
_SUCCESS = {"succeeded", "success", "partiallysucceeded", "true"}
_FAILURE = {"failed", "false"}
_SEVERITY = {"informational": 1, "low": 2, "medium": 3, "high": 4}
_AAD_ACTIONS = {  # Elastic's ECS names for Azure AD user administration
    "Add user.": ("added-user-account", "creation"),
    "Update user.": ("modified-user-account", "change"),
    "Delete user.": ("deleted-user-account", "deletion"),
}
_FILE_TYPES = {
    "access": "FileAccessed FileDownloaded",
    "change": "FileModified FileMoved FileRenamed FileRestored FolderModified FolderMoved "
    "FolderRenamed FolderRestored",
    "deletion": "FileDeleted FolderDeleted",
    "creation": "FileUploaded FolderCopied FolderCreated",
}
FILE_ACTIONS = {name: kind for kind, names in _FILE_TYPES.items() for name in names.split()}
_MAPPED_V4 = re.compile(r"::ffff:([0-9]{1,3}(?:\.[0-9]{1,3}){3})", re.IGNORECASE)
_HOST_AND_IP = re.compile(r"\[?(\S{1,255}) \(([^)]{1,64})\)\]?")
_STRING_FIELDS = ("RecordType", "UserType", "Version", "AzureActiveDirectoryEventType",
                  "InternalLogonType", "LogonType", "ActorYammerUserId", "YammerNetworkId")  # fmt: skip


def parse(text: str, ctx: ParseContext) -> list[Doc]:
    """Every audit record in ``text`` → its ECS document."""
    return documents_of(text, _document)


def _document(n: int, original: dict[str, Any]) -> Doc:
    audit = dict(original)  # fields are moved out of it; what stays is o365.audit
    action, created = string(audit.pop("Operation", None)), audit.get("CreationTime")
    if not isinstance(created, str) or not (action or "RecordType" in audit):
        raise ParseError(f"record {n + 1} is no M365 audit record: no CreationTime or Operation")
    code = RECORD_TYPES.get(str(audit.get("RecordType")))
    kind = None
    if action and code == "AzureActiveDirectory" and action in _AAD_ACTIONS:
        action, kind = _AAD_ACTIONS[action]
    _reshape(audit)
    client = _client(_pop_first(audit, "ClientIPAddress", "ClientIP", "ActorIpAddress"))
    user_id = text_of(audit.get("UserId"))
    agent = string(audit.pop("UserAgent", None))
    extended = audit.get("ExtendedProperties")
    if isinstance(extended, dict) and isinstance(extended.get("UserAgent"), str):
        agent = extended.pop("UserAgent")  # Elastic prefers this one when both exist
    provider = string(audit.pop("Workload", None))
    user = _user(user_id, audit, code)
    doc: Doc = {
        "@timestamp": parse_iso(created, UTC),
        "event": _event(audit, action, provider, code, kind),
        "user": user,
        "client": client,
        "source": {"ip": client.get("ip"), "port": client.get("port")},
        "network": {"type": _network_type(client.get("ip"))},
        "user_agent": {"original": agent},
        "related": {
            "ip": unique(client.get("ip")),
            "user": unique(user.get("name"), user.get("target", {}).get("name")),
        },
        **_workload(audit, code),
    }
    for name in _STRING_FIELDS:
        if name in audit:
            audit[name] = text_of(audit[name])
    doc["o365"] = {"audit": audit}
    return prune(doc) or {}


def _event(
    audit: dict[str, Any],
    action: str | None,
    provider: str | None,
    code: str | None,
    kind: str | None,
) -> Doc:
    status = str(audit.get("ResultStatus", "")).lower()
    categories, types = ["web"], ["info"]
    if kind:  # an Azure AD user administration
        categories.append("iam")
        types += ["user", kind]
    if code == "AzureActiveDirectoryStsLogon":
        categories.append("authentication")
        types += ["start", "access"]
    if file_type := FILE_ACTIONS.get(action or ""):
        categories.append("file")
        types.append(file_type)
    if code == "SecurityComplianceAlerts":
        categories.append("authentication")  # the category Elastic gives alerts of other kinds
    return {
        "kind": "alert" if code == "SecurityComplianceAlerts" else "event",
        "module": "o365",
        "dataset": "o365.audit",
        "action": action,
        "provider": provider,
        "code": code,
        "category": categories,
        "type": types,
        "outcome": "failure" if status in _FAILURE else "success",
        "severity": _SEVERITY.get(str(audit.get("Severity"))),
    }


def _user(user_id: str | None, audit: dict[str, Any], code: str | None) -> Doc:
    user = _account(user_id)
    if code == "ExchangeItem":
        user["email"] = string(audit.pop("MailboxOwnerUPN", None)) or user.get("email")
        user["full_name"] = string(audit.pop("LogonUserDisplayName", None))
    if code == "AzureActiveDirectory":
        user["target"] = _account(text_of(audit.get("ObjectId")))
    return user


def _account(user_id: str | None) -> Doc:
    """An id, plus email, name and domain when it is ``user@domain``."""
    account = split_account(user_id)
    if account is None:
        return {"id": user_id}
    return {"id": user_id, "email": user_id, "name": account[0], "domain": account[1]}


def _workload(audit: dict[str, Any], code: str | None) -> Doc:
    """Fields Elastic moves out of the audit record for particular record types."""
    if code in ("SharePointFileOperation", "SharePointSharingOperation"):
        return {
            "url": {"original": string(audit.pop("ObjectId", None))},
            "file": {
                "directory": string(audit.pop("SourceRelativeUrl", None)),
                "name": string(audit.pop("SourceFileName", None)),
                "extension": string(audit.pop("SourceFileExtension", None)),
            },
        }
    if code == "ExchangeItem":
        return {"process": {"name": string(audit.pop("ClientProcessName", None))}}
    if code == "SecurityComplianceAlerts":
        return {
            "message": string(audit.pop("Comments", None)),
            "rule": {
                "name": string(audit.pop("Name", None)),
                "id": string(audit.pop("PolicyId", None)),
                "category": string(audit.pop("Category", None)),
                "ruleset": string(audit.pop("EntityType", None)),
            },
        }
    return {}


def _reshape(audit: dict[str, Any]) -> None:
    """``[{Name, Value}]`` lists as objects, the way Elastic stores them."""
    for field in ("Parameters", "ExtendedProperties"):
        value = audit.get(field)
        if isinstance(value, list):
            audit[field] = {
                item["Name"]: item["Value"]
                for item in value
                if isinstance(item, dict) and isinstance(item.get("Name"), str)
                and item.get("Value") is not None
            }  # fmt: skip
        elif isinstance(value, str):
            audit[field] = {"_raw": value}
    changes = audit.get("ModifiedProperties")
    if isinstance(changes, list):
        reshaped = {
            item["Name"].replace(" ", "_").replace(".", "_"): {
                "NewValue": item["NewValue"], "OldValue": item["OldValue"]}
            for item in changes
            if isinstance(item, dict) and isinstance(item.get("Name"), str)
            and item.get("NewValue") is not None and item.get("OldValue") is not None
        }  # fmt: skip
        audit["ModifiedProperties"] = reshaped or None
    elif isinstance(changes, str):
        audit["ModifiedProperties"] = {"_raw": changes}


def _pop_first(audit: dict[str, Any], *names: str) -> Any:
    """The first of the fields present, moved out (the others stay, as in Elastic)."""
    for name in names:
        if audit.get(name) not in (None, ""):
            return audit.pop(name)
    return None


def _client(value: Any) -> Doc:
    if not isinstance(value, str) or not value.strip():
        return {}
    text = value.strip()
    text = _MAPPED_V4.sub(r"\1", text)  # an IPv4 client seen through an IPv6 socket
    ip, port = address_port(text)
    if ip:
        return {"address": ip, "ip": ip, "port": port}
    if m := _HOST_AND_IP.fullmatch(text):
        return {"domain": m.group(1), "address": m.group(2), "ip": ip_of(m.group(2))}
    host, _, digits = text.rpartition(":")
    if host and digits.isdigit() and len(digits) <= 5 and " " not in host:
        return {"domain": host.strip("[]"), "port": int(digits)}
    return {"domain": text} if " " not in text else {"address": text}


def _network_type(ip: str | None) -> str | None:
    if ip is None:
        return None
    return "ipv6" if ":" in ip else "ipv4"
