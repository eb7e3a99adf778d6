"""Security channel (and System 7045) events → ECS, as Elastic's ``system.security`` pipeline does.

Input: the Winlogbeat-shaped document of ``windows_forms`` (``winlog.event_id``,
``winlog.event_data``...). Fields out:

* ``event.category/type/action`` per event id (``SECURITY_EVENTS``, ``SYSTEM_EVENTS``);
* ``user.id/name/domain``: the Target account for logon events (4624, 4625, 4634, 4647, 4768,
  4769, 4770, 4771, 4776, 4964), the Subject for the others Elastic lists (4648, 4672, 4688,
  4697-4702, 4720-4767 ...), the UserData Subject for 1102; ``user.target.*`` for account and
  group management and for 4648 (whose Target is also ``user.effective``, as for 4688);
  ``group.*`` and ``user.target.group.*`` for group membership changes; a UPN is cut at ``@``;
* ``source.ip`` (an IPv4-mapped address as its IPv4 form; anything that is no address is left
  out), ``source.port``, ``source.domain`` (the workstation), ``process.pid/executable/name``;
  4688 adds ``process.parent.*``, ``process.command_line`` and ``process.args``;
* ``winlog.logon.id/type``, ``winlog.logon.failure.status/sub_status/reason`` (4625, 4776),
  ``winlog.scheduled_task.name`` (4698-4702), ``service.name/type``, ``user.changes.name``;
* ``related.user`` and ``related.ip``.

``-`` (Windows' "not applicable") never becomes a field. Unlike Elastic, every EventData field
stays in ``winlog.event_data`` (Sigma rules address them there) and ``PrivilegeList`` stays a
string; a group member's ``user.target.id`` is its ``MemberSid`` and its domain the first ``DC=``
of its distinguished name (Elastic takes the fourth component). Kerberos ticket option and
encryption decoding and the SDDL/access mask descriptions are not reproduced.
"""

from __future__ import annotations

from typing import Any

from schemas.ecs import get_field
from services.normalizer.parsers.base import Doc
from services.normalizer.parsers.windows_fields import (
    add_related,
    address,
    categorize,
    command_line,
    executable,
    number,
    put,
    usable,
)
from services.normalizer.parsers.windows_tables import (
    FAILURE_REASONS,
    LOGON_STATUS,
    LOGON_TYPES,
    SECURITY_EVENTS,
    SERVICE_TYPES,
    SYSTEM_EVENTS,
)


def _codes(text: str) -> frozenset[str]:
    return frozenset(text.split())


_GROUP_MEMBERSHIP = _codes(
    "4727 4728 4729 4730 4731 4732 4733 4734 4735 4737 4744 4745 4746 4747 4748 4749 4750 4751 "
    "4752 4753 4754 4755 4756 4757 4758 4759 4760 4761 4762 4763 4764 4799"
)
_TARGET_USER = _codes("4624 4625 4634 4647 4768 4769 4770 4771 4776 4964")
_SUBJECT_USER = _GROUP_MEMBERSHIP | _codes(
    "4648 4657 4670 4672 4673 4674 4688 4689 4697 4698 4699 4700 4701 4702 4706 4707 4713 4716 "
    "4717 4718 4719 4720 4722 4723 4724 4725 4726 4738 4739 4740 4741 4742 4743 4767 4781 4798 "
    "4817 4904 4905 4907 4912 5140 5145"
)
_TARGET_AS_TARGET = _codes("4648 4670 4720 4722 4723 4724 4725 4726 4738 4740 4767 4798 4817 4907")
_TARGET_AS_EFFECTIVE = _codes("4648 4688")
_COMMON_AUTH = (_GROUP_MEMBERSHIP - {"4799"}) | _codes(
    "1100 1102 1104 1105 1108 4624 4625 4648 4670 4673 4674 4689 4697 4719 4720 4722 4723 4724 "
    "4725 4726 4738 4740 4741 4742 4743 4767 4768 4769 4770 4771 4798 4799 4817 4904 4905 4907 "
    "4912 5140 5145"
)
_LOGOFF = _codes("4634 4647 4964")
_SESSION = _codes("4778 4779")
_SCHEDULED_TASK = _codes("4698 4699 4700 4701 4702")
_ALWAYS_FAILED = _codes("4625 4771")
_STATUS_DECIDES = _codes("4768 4769 4776")
_SUCCESS_STATUS = ("0x0", "0")


def apply(doc: Doc) -> None:
    """Map one Security channel event (provider Security-Auditing or Eventlog)."""
    winlog = doc["winlog"]
    code = winlog["event_id"]
    data: dict[str, Any] = winlog.get("event_data") or {}
    categorize(doc, SECURITY_EVENTS.get(code))
    _users(doc, code, data, winlog.get("user_data") or {})
    _logon(doc, code, data, winlog)
    _addresses_and_process(doc, code, data)
    put(doc, "service.name", usable(data.get("ServiceName")))
    put(doc, "service.type", SERVICE_TYPES.get(str(data.get("ServiceType"))))
    if code in _SCHEDULED_TASK:
        put(doc, "winlog.scheduled_task.name", usable(data.get("TaskName")))


def apply_service_control(doc: Doc) -> None:
    """System channel, Service Control Manager: 7045 (a service was installed)."""
    data: dict[str, Any] = doc["winlog"].get("event_data") or {}
    categorize(doc, SYSTEM_EVENTS.get(doc["winlog"]["event_id"]))
    put(doc, "service.name", usable(data.get("ServiceName")))


def default_outcome(code: str, data: dict[str, Any]) -> str:
    """``event.outcome`` of a Security event whose record carries no audit keyword."""
    if code in _ALWAYS_FAILED:
        return "failure"
    status = data.get("Status")
    if code in _STATUS_DECIDES and isinstance(status, str):
        return "success" if status.lower() in _SUCCESS_STATUS else "failure"
    return "success"


def _users(doc: Doc, code: str, data: dict[str, Any], user_data: dict[str, Any]) -> None:
    target = ("TargetUserSid", "TargetSid"), "TargetUserName", "TargetDomainName"
    subject = ("SubjectUserSid",), "SubjectUserName", "SubjectDomainName"
    if code in _TARGET_USER:
        _account(doc, "user", data, *target)
    if code in _SUBJECT_USER:
        _account(doc, "user", data, *subject)
    if code == "1102":
        _account(doc, "user", user_data, *subject)
    if code in _SESSION:
        _account(doc, "user", data, (), "AccountName", "AccountDomain")
    if code in _TARGET_AS_TARGET:
        _account(doc, "user.target", data, ("TargetSid", "TargetUserSid"), *target[1:])
    if code in _TARGET_AS_EFFECTIVE:
        _account(doc, "user.effective", data, *target)
    if code in _GROUP_MEMBERSHIP:
        _group(doc, data)
    if code in ("4624", "4648"):
        add_related(doc, "user", usable(data.get("SubjectUserName")))
    if old := usable(data.get("OldTargetUserName")):
        put(doc, "user.target.name", old)
        add_related(doc, "user", old)
    if new := usable(data.get("NewTargetUserName")):
        put(doc, "user.changes.name", new)
        add_related(doc, "user", new)


def _account(
    doc: Doc, prefix: str, data: dict[str, Any], sid_keys: tuple[str, ...], name: str, domain: str
) -> None:
    sid = next((s for key in sid_keys if (s := usable(data.get(key)))), None)
    put(doc, f"{prefix}.id", sid)
    user = usable(data.get(name))
    if user is not None:
        user = user.split("@")[0]  # a UPN: the account name without its realm
        put(doc, f"{prefix}.name", user)
        add_related(doc, "user", user)
    put(doc, f"{prefix}.domain", usable(data.get(domain)))


def _group(doc: Doc, data: dict[str, Any]) -> None:
    """Group membership: the member is ``user.target``, the group ``group``."""
    if member := usable(data.get("MemberName")):
        parts = member.split(",")  # a distinguished name: CN=name,OU=...,DC=domain,...
        name = parts[0].replace("CN=", "").replace("cn=", "")
        put(doc, "user.target.name", name)
        add_related(doc, "user", name)
        # Elastic takes the 4th component; the first DC= one is the domain whatever the depth.
        domain = next((p[3:] for p in parts if p[:3].upper() == "DC="), None)
        put(doc, "user.target.domain", domain)
    put(doc, "user.target.id", usable(data.get("MemberSid")))
    group_id = usable(data.get("TargetSid")) or usable(data.get("TargetUserSid"))
    put(doc, "group.id", group_id)
    put(doc, "group.name", usable(data.get("TargetUserName")))
    domain = usable(data.get("TargetDomainName"))
    put(doc, "group.domain", domain and domain.replace("DC=", "").replace("dc=", ""))
    user = doc.get("user")
    if isinstance(user, dict) and isinstance(user.get("target"), dict) and "group" in doc:
        user["target"]["group"] = dict(doc["group"])


def _logon(doc: Doc, code: str, data: dict[str, Any], winlog: dict[str, Any]) -> None:
    put(doc, "winlog.logon.type", LOGON_TYPES.get(str(data.get("LogonType"))))
    logon_id = usable(data.get("SubjectLogonId"))
    if logon_id is None and code in _LOGOFF:
        logon_id = usable(data.get("TargetLogonId"))
    if code == "1102":
        logon_id = usable((winlog.get("user_data") or {}).get("SubjectLogonId")) or logon_id
    if code in _SESSION:
        logon_id = usable(data.get("LogonID")) or logon_id
    put(doc, "winlog.logon.id", logon_id)
    if code in ("4625", "4776"):
        for key, field in (("Status", "status"), ("SubStatus", "sub_status")):
            status = data.get(key)
            if isinstance(status, str):
                put(doc, f"winlog.logon.failure.{field}", LOGON_STATUS.get(status.lower()))
    reason = data.get("FailureReason")
    if isinstance(reason, str):
        put(doc, "winlog.logon.failure.reason", FAILURE_REASONS.get(reason.strip().lstrip("%")))


def _addresses_and_process(doc: Doc, code: str, data: dict[str, Any]) -> None:
    if code in _COMMON_AUTH:
        put(doc, "process.pid", number(data.get("ProcessId")))
        executable(doc, "process", usable(data.get("ProcessName")))
        put(doc, "source.ip", address(data.get("IpAddress")))
        port = number(data.get("IpPort"))
        put(doc, "source.port", port if port is not None and 0 <= port <= 65535 else None)
        put(doc, "source.domain", usable(data.get("WorkstationName")))
        add_related(doc, "ip", address(data.get("ClientAddress")))
    if code in _SESSION:
        put(doc, "source.ip", address(data.get("ClientAddress")))
        put(doc, "source.domain", usable(data.get("ClientName")))
    if code == "4688":
        _process_creation(doc, data)
    add_related(doc, "ip", get_field(doc, "source.ip"))


def _process_creation(doc: Doc, data: dict[str, Any]) -> None:
    put(doc, "process.pid", number(data.get("NewProcessId")))
    executable(doc, "process", usable(data.get("NewProcessName")))
    executable(doc, "process.parent", usable(data.get("ParentProcessName")))
    put(doc, "process.parent.pid", number(data.get("ProcessId")))
    command_line(doc, "process", usable(data.get("CommandLine")))
