"""Cisco ASA message ids → body patterns and ECS categorization for ``cisco_asa`` (data only).

Each ``Message`` has the patterns of its body (tried in order with ``match``, the first that fits
wins; or, for the loosely worded 109xxx family, all of them with ``search``, merged) and the
``event.category/type/outcome/action`` Elastic's ``cisco_asa`` integration gives that id (ids
Elastic leaves out, such as 109xxx, 716001 and 710002, follow the same naming).

Group names the parser understands: ``src``/``dst`` (address), ``src_ep``/``dst_ep`` (an
``[interface:]address`` endpoint), ``src_port``/``dst_port`` (a number, else a service name),
``src_if``/``dst_if``, ``src_user``/``dst_user``, ``src_mapped``/``dst_mapped`` and their
``_port``, ``dir``, ``proto``, ``verdict`` (see ``VERDICTS``), ``duration`` (h:mm:ss), and the
names of ``cisco_asa.GROUP_FIELDS``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial


@dataclass(frozen=True, slots=True)
class Message:
    patterns: tuple[re.Pattern[str], ...] = ()
    category: tuple[str, ...] = ("network",)
    type: tuple[str, ...] = ()
    outcome: str | None = None
    action: str | None = None
    search: bool = False  # merge every pattern found anywhere, instead of the first full match


def _compile(*patterns: str) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, re.ASCII) for p in patterns)


def _end(side: str, *, mapped: bool) -> str:
    """``if:address/port [(mapped/port)][(user)]`` with the groups of one side."""
    nat = rf" \((?P<{side}_mapped>[^\s/()]+)/(?P<{side}_mapped_port>\d+)\)" if mapped else ""
    return (
        rf"(?P<{side}_if>[^\s:]+):(?P<{side}>[^\s/]+)/(?P<{side}_port>\d+)(?:{nat})?"
        rf"(?:\s*\((?P<{side}_user>[^)]*)\))?"
    )


def _icmp(verb: str, direction: str | None) -> str:
    """faddr is the peer: the source of inbound flows, else the destination; gaddr maps laddr."""
    foreign, local = ("src", "dst") if direction == "inbound" else ("dst", "src")
    head = f"{verb} (?P<dir>{direction})" if direction else verb
    return (
        rf"{head} (?=(?P<net_type>\S+))(?P<proto>\S+) connection for faddr "
        rf"(?P<{foreign}_ep>[^\s/]+)/\d+(?:\s*\((?P<{foreign}_user>[^)]*)\))? "
        rf"gaddr (?P<{local}_mapped>[^\s/]+)/\d+ "
        rf"laddr (?P<{local}_ep>[^\s/]+)/\d+(?:\s*\((?P<{local}_user>[^)]*)\))?"
        r"(?:\s*type (?P<icmp_type>\d+) code (?P<icmp_code>\d+))?"
    )


def _built(direction: str, first: str, second: str) -> str:
    return (
        rf"Built (?P<dir>{direction}) (?P<proto>\S+) connection (?P<conn_id>\d+) "
        rf"for {_end(first, mapped=True)} to {_end(second, mapped=True)}"
    )


_TEARDOWN = (
    r"Teardown (?P<proto>\S+) (?:state-bypass )?connection (?P<conn_id>\S+) (?:for|from) "
    + _end("src", mapped=False) + " to " + _end("dst", mapped=False)
    + r" duration (?P<duration>\d+:\d\d:\d\d) bytes (?P<bytes>\d+)"
    r"(?: (?P<reason>[^()]+?)(?: from (?P<initiator>[^\s()]+))?)?"
    r"(?: \((?P<term_user>[^)]*)\))?\s*$"
)  # fmt: skip
_FROM_TO = r"from (?P<src>[^\s/]+)/(?P<src_port>\w+) to (?P<dst>[^\s/]+)/(?P<dst_port>\w+)"
_FROM_TO_IF = (
    r"from (?P<src>[^\s/]+)/(?P<src_port>\w+) "
    r"to (?P<dst_if>[^\s:]+):(?P<dst>[^\s/]+)/(?P<dst_port>\w+)"
)
_DENY = r"Deny (?P<dir>\w+) (?P<proto>\w+) " + _FROM_TO
_FLAGS_ON = r" flags (?P<flags>.*?) on interface (?P<src_if>\S+)"
_DENY_ICMP = (
    r"Deny (?P<dir>\w+) (?P<proto>\w+) src (?P<src_if>[^\s:]+):(?P<src>\S+?)(?: \([^)]*\))? "
    r"dst (?P<dst_if>[^\s:]+):(?P<dst>[^\s(]+)"
    r"(?:\s*\(type (?P<icmp_type>\d+), code (?P<icmp_code>\d+)\))?"
)
_DENY_ACL = (
    r"Deny (?:protocol )?(?P<proto>\S+) "
    r"src (?P<src_if>[^\s:]+):(?P<src>[^\s/]+)(?:/(?P<src_port>\d+))?\s*"
    r"(?:\((?P<src_user>[^)]*)\) )?"
    r"dst (?P<dst_if>[^\s:]+):(?P<dst>[^\s/(]+)(?:/(?P<dst_port>\d+))?"
    r'.*?by access-group "(?P<acl>[^"]*)"'
)
_ACCESS_LIST = (
    r"access-list (?P<acl>\S+) (?P<verdict>permitted|denied|est-allowed) (?P<proto>\S+) "
    r"(?P<src_if>[^/\s]+)/(?P<src>[^(\s]+)\((?P<src_port>\d+)\)(?:\([^)]*\))? -> "
    r"(?P<dst_if>[^/\s]+)/(?P<dst>[^(\s]+)\((?P<dst_port>\d+)\)"
)
_AAA_ANY = _compile(  # 109xxx: the same pieces in many sentence shapes
    r"[Uu]ser '(?P<src_user>[^']*)'",
    r"(?:admin|network) user (?P<src_user>\S+) from",
    r"from (?P<src_ep>[^\s/,]+)(?:/(?P<src_port>\w+))?"
    r"(?: to (?P<dst_ep>[^\s/,]+)(?:/(?P<dst_port>\w+))?)?",
    r"on interface (?P<src_if>[^\s,]+)",
    r"\((?P<reason>[^()]*(?:failed|pending)[^()]*)\)",
)
_AAA_OK = (
    r"AAA user (?P<aaa_type>.*?) Successful\s*: server =\s*(?P<dst>\S+) [:,] "
    r"[Uu]ser = (?P<src_user>.+?)\s*$"
)
_AAA_REJECTED = (
    r"AAA user \w+ Rejected\s*: reason = (?P<reason>.*?)\s*: server = (?P<dst>\S+)\s*: "
    r"user = (?P<src_user>.*?)\s*: user IP = (?P<src>\S+)"
)
_AAA_ACCEPT = r"AAA transaction status ACCEPT\s*: user = (?P<src_user>.+?)\s*$"
_LOCAL_REJECTED = (
    r"AAA user authentication Rejected\s*: reason = (?P<reason>.*?)\s*: local database\s*: "
    r"[Uu]ser = (?P<src_user>.*?)\s*: [Uu]ser IP = (?P<src>\S+)"
)
_VPN_DISCONNECTED = (
    r"Group = (?P<group>[^,]*), Username = (?P<src_user>[^,]*), IP = (?P<dst>[^,]*), "
    r"Session disconnected\. Session Type: (?P<session_type>[^,]*), "
    r"Duration: (?P<duration>[^,]*), Bytes xmt: (?P<sbytes>\d+), Bytes rcv: (?P<dbytes>\d+), "
    r"Reason: (?P<reason>.*)"
)
_LOGIN = r"Login {verdict} " + _FROM_TO_IF + r' for user "(?P<src_user>[^"]*)"'
_UNAME = r"User authentication {verdict}: IP address: (?P<src>[^,]+), Uname: (?P<server_user>.+)"
_TRANSLATION = (
    r"{verb} \S+ (?P<proto>\S+) translation "
    r"from (?P<src_if>[^\s:]+):(?P<src>[^\s/]+)/(?P<src_port>\d+)"
    r"(?:\s*\((?P<src_user>[^)]*)\))? "
    r"to (?P<dst_if>[^\s:]+):(?P<dst>[^\s/]+)/(?P<dst_port>\d+)"
)
_GROUP_USER_IP = (
    r"Group <(?P<group>[^<>]*)> User <(?P<src_user>[^<>]*)> IP <(?P<src>[^<>]*)> ",
    r"Group (?P<group>\S+) User (?P<src_user>\S+) IP (?P<src>\S+) ",
)


def _vpn(tail: str) -> tuple[re.Pattern[str], ...]:
    return _compile(*(head + tail for head in _GROUP_USER_IP))


AUTH = ("authentication", "network")
_denied = partial(Message, type=("connection", "denied"), outcome="failure",
                  action="firewall-rule")  # fmt: skip
_logged_in = partial(Message, category=AUTH, type=("allowed", "info"), outcome="success",
                     action="logged-in")  # fmt: skip
_logon_failed = partial(Message, category=AUTH, type=("denied", "info"), outcome="failure",
                        action="logon-failed")  # fmt: skip
_authz_denied = partial(Message, category=AUTH, type=("denied", "info"), outcome="failure",
                        action="authorization-denied")  # fmt: skip
_auth_required = partial(Message, category=AUTH, type=("denied", "info"), outcome="failure",
                         action="authentication-required")  # fmt: skip
_aaa_error = partial(Message, category=("authentication",), type=("info",), outcome="failure",
                     action="authentication-error")  # fmt: skip
_aaa = partial(Message, category=("authentication",), type=("info",), action="aaa")
_created = partial(Message, type=("connection", "start"), outcome="success",
                   action="flow-creation")  # fmt: skip
_expired = partial(Message, type=("connection", "end"), outcome="success",
                   action="flow-expiration")  # fmt: skip
_nat = partial(Message, category=("network", "configuration"), outcome="success",
               action="nat-slot")  # fmt: skip
_BUILT = _compile(_built("inbound", "src", "dst"), _built("outbound", "dst", "src"))

MESSAGES: dict[str, Message] = {
    # Denied packets and connections.
    "106001": _denied(_compile(r"(?P<dir>\w+) (?P<proto>\w+) connection denied "
                               + _FROM_TO + _FLAGS_ON)),
    "106006": _denied(_compile(_DENY + r" on interface (?P<src_if>\S+)")),
    "106007": _denied(_compile(_DENY + r" due to (?P<app>\S+)")),
    "106014": _denied(_compile(_DENY_ICMP)),
    "106015": _denied(_compile(r"Deny (?P<proto>\w+) \(no connection\) " + _FROM_TO + _FLAGS_ON)),
    "106023": _denied(_compile(_DENY_ACL)),
    "106100": Message(_compile(_ACCESS_LIST), action="firewall-rule"),
    # Authentication, authorization and accounting.
    **{f"1090{n:02d}": _aaa(_AAA_ANY, search=True) for n in range(1, 35)},
    "109001": Message(_AAA_ANY, category=("authentication",), type=("start",),
                      action="authentication-started", search=True),
    "109002": _aaa_error(_AAA_ANY, search=True),
    "109003": _aaa_error(_AAA_ANY, search=True),
    "109005": _logged_in(_AAA_ANY, search=True),
    "109006": _logon_failed(_AAA_ANY, search=True),
    "109007": Message(_AAA_ANY, category=AUTH, type=("allowed", "info"), outcome="success",
                      action="authorization-permitted", search=True),
    "109008": _authz_denied(_AAA_ANY, search=True),
    "109010": _aaa_error(_AAA_ANY, search=True),
    "109011": Message(_compile(r"Authen Session Start: user '(?P<src_user>[^']*)'"),
                      category=("authentication", "session"), type=("start",),
                      outcome="success", action="session-started"),
    "109012": Message(_compile(r"Authen Session End: user '(?P<src_user>[^']*)'"),
                      category=("authentication", "session"), type=("end",),
                      action="session-ended"),
    "109013": _auth_required(_AAA_ANY, search=True),
    "109023": _auth_required(_AAA_ANY, search=True),
    "109024": _authz_denied(_AAA_ANY, search=True),
    "109025": _authz_denied(_AAA_ANY, search=True),
    "109031": _logon_failed(_AAA_ANY, search=True),
    "109033": _logon_failed(_AAA_ANY, search=True),
    "109034": _logon_failed(_AAA_ANY, search=True),
    "113004": _logged_in(_compile(_AAA_OK)),
    "113005": _logon_failed(_compile(_AAA_REJECTED)),
    "113008": _logged_in(_compile(_AAA_ACCEPT)),
    "113015": _logon_failed(_compile(_LOCAL_REJECTED)),
    "113019": Message(_compile(_VPN_DISCONNECTED), type=("connection", "end"),
                      action="client-vpn-disconnected"),
    "605004": _logon_failed(_compile(_LOGIN.format(verdict="denied"))),
    "605005": _logged_in(_compile(_LOGIN.format(verdict="permitted"))),
    "611101": _logged_in(_compile(_UNAME.format(verdict="succeeded"))),
    "611102": _logon_failed(_compile(_UNAME.format(verdict="failed"))),
    "611103": Message(_compile(r"User logged out: Uname: (?P<plain_user>.+)"), category=AUTH,
                      type=("info",), outcome="success", action="logged-out"),
    # Connections and translations.
    "302013": _created(_BUILT),
    "302015": _created(_BUILT),
    "302014": Message(_compile(_TEARDOWN), type=("connection", "end"), action="flow-expiration"),
    "302016": _expired(_compile(_TEARDOWN)),
    "302020": _created(_compile(_icmp("Built", "inbound"), _icmp("Built", "outbound"))),
    "302021": _expired(_compile(_icmp("Teardown", None))),
    "305011": _nat(_compile(_TRANSLATION.format(verb="Built")), type=("creation",)),
    "305012": _nat(_compile(_TRANSLATION.format(verb="Teardown")
                            + r" duration (?P<duration>\d+:\d\d:\d\d)"), type=("deletion",)),
    "710002": Message(_compile(r"(?P<proto>\S+) (?:access|request) permitted " + _FROM_TO_IF),
                      type=("connection", "allowed"), outcome="success", action="firewall-rule"),
    "710003": _denied(_compile(r"(?P<proto>\S+) access denied by ACL " + _FROM_TO_IF)),
    "710005": _denied(_compile(r"(?P<proto>\S+) request discarded " + _FROM_TO_IF)),
    # Remote-access VPN (WebVPN, AnyConnect SVC).
    "716001": Message(_vpn(r"WebVPN session started"), category=("network", "session"),
                      type=("connection", "start"), outcome="success",
                      action="client-vpn-connected"),
    "716002": Message(_vpn(r"WebVPN session terminated: (?P<reason>.*?)\.?$"),
                      type=("connection", "end"), action="client-vpn-disconnected"),
    "722022": Message(_vpn(r"(?P<reason>.*)"), type=("connection", "info"), outcome="success"),
    "722023": Message(_vpn(r"(?P<reason>.*)"), type=("connection", "end"), outcome="success"),
    "722051": Message(_vpn(r"(?P<reason>IPv4 Address <(?P<assigned_ip>[^>]*)>.*)"),
                      type=("connection", "info"), outcome="success", action="address-assigned"),
}  # fmt: skip

VERDICTS = {  # 106100: the ACL's verdict decides the categorization
    "denied": (("connection", "denied"), "failure"),
    "permitted": (("connection", "allowed"), "success"),
    "est-allowed": (("connection", "allowed"), "success"),
}
