"""FortiOS field → ECS tables for ``fortigate`` (data only): which key goes where, per log type.

``by_type(type, subtype)`` gives the ordered table for one record: the type's own entries first,
then the common ones; when two keys target the same ECS field the first present one wins (so
``unauthuser`` beats ``user``, and in VPN logs ``eapuser``/``xauthuser`` beat ``user``). Keys in
``COPIED`` are set in ECS and also kept under ``fortinet.firewall`` (Elastic does the same).
``LOGID_ACTIONS`` names common log ids the way Fortinet's log reference and Elastic's integration
do (``FortiGate-<type>-<message>``); it is the last fallback for ``event.action``.
"""

from __future__ import annotations

from functools import lru_cache

from services.normalizer.parsers import fieldmap, network
from services.normalizer.parsers.fieldmap import Table


def text(value: str) -> str:
    return value


def lower(value: str) -> str:
    return value.lower()


def ip(value: str) -> str | None:
    return value if network.is_ip(value) else None


def mac(value: str) -> str:
    return value.upper().replace(":", "-").replace(".", "-")


def category(value: str) -> str:
    return value.replace(".", "-")


def resolved_ips(value: str) -> list[str] | None:
    addresses = [part for part in value.split(", ") if network.is_ip(part)]
    return addresses or None


COMMON: Table = {
    "devname": ("observer.name", text),
    "devid": ("observer.serial_number", text),
    "logid": ("event.code", text),
    "level": ("log.level", text),
    "msg": ("message", text),
    "logdesc": ("rule.description", text),
    "reason": ("event.reason", text),
    "eventsubtype": ("event.reason", text),
    "srcintf": ("observer.ingress.interface.name", text),
    "dstintf": ("observer.egress.interface.name", text),
    "srcip": ("source.ip", ip),
    "srcport": ("source.port", network.port),
    "srcmac": ("source.mac", mac),
    "srcdomain": ("source.domain", text),
    "sentbyte": ("source.bytes", network.integer),
    "sentpkt": ("source.packets", network.integer),
    "transip": ("source.nat.ip", ip),
    "transport": ("source.nat.port", network.port),
    "unauthuser": ("source.user.name", text),
    "user": ("source.user.name", text),
    "group": ("source.user.group.name", text),
    "dstip": ("destination.ip", ip),
    "dstport": ("destination.port", network.port),
    "dstmac": ("destination.mac", mac),
    "dstname": ("destination.address", text),
    "rcvdbyte": ("destination.bytes", network.integer),
    "rcvdpkt": ("destination.packets", network.integer),
    "tranip": ("destination.nat.ip", ip),
    "tranport": ("destination.nat.port", network.port),
    "dstunauthuser": ("destination.user.name", text),
    "proto": ("network.iana_number", network.digits),
    "service": ("network.protocol", lower),
    "app": ("network.application", lower),
    "direction": ("network.direction", text),
    "dir": ("network.direction", text),
    "policyid": ("rule.id", text),
    "agent": ("user_agent.original", text),
    "filename": ("file.name", text),
    "file": ("file.name", text),
    "filesize": ("file.size", network.integer),
}
TRAFFIC: Table = {
    "poluuid": ("rule.uuid", text),
    "policytype": ("rule.ruleset", text),
    "policyname": ("rule.name", text),
    "comment": ("rule.description", text),
    "appcat": ("rule.category", category),
    "srcthreatfeed": ("threat.feed.name", text),
}
UTM: Table = {
    "locip": ("source.ip", ip),
    "locport": ("source.port", network.port),
    "remip": ("destination.ip", ip),
    "remport": ("destination.port", network.port),
    "hostname": ("url.domain", text),
    "httpmethod": ("http.request.method", text),
    "referralurl": ("http.request.referrer", text),
    "ref": ("event.reference", text),
    "appcat": ("rule.category", category),
    "catdesc": ("rule.category", category),
    "applist": ("rule.ruleset", text),
    "profile": ("rule.ruleset", text),
    "filetype": ("file.extension", text),
    "qname": ("dns.question.name", text),
    "qtype": ("dns.question.type", text),
    "qclass": ("dns.question.class", text),
    "xid": ("dns.id", text),
    "ipaddr": ("dns.resolved_ip", resolved_ips),
    "sni": ("tls.client.server_name", text),
}
EVENT: Table = {
    "remip": ("destination.ip", ip),
    "remport": ("destination.port", network.port),
    "locip": ("source.ip", ip),
    "locport": ("source.port", network.port),
    "hostname": ("url.domain", text),
    "error_num": ("error.code", text),
    "daddr": ("destination.address", text),
    "saddr": ("source.address", text),
}
VPN_USERS: Table = {
    "xauthuser": ("source.user.name", text),
    "eapuser": ("source.user.name", text),
}
COPIED = frozenset(VPN_USERS)
_BY_TYPE = {"traffic": TRAFFIC, "utm": UTM, "dns": UTM, "event": EVENT}

EVENT_SUBTYPES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "vpn": (("network",), ("connection",)),
    "user": (("authentication",), ()),
    "update": (("host", "malware"), ("info",)),
}

LOGID_ACTIONS = {
    "0000000002": "FortiGate-traffic-allow",
    "0000000003": "FortiGate-traffic-deny",
    "0000000004": "FortiGate-traffic-other-start",
    "0000000005": "FortiGate-traffic-other-icmp-allow",
    "0000000006": "FortiGate-traffic-other-icmp-deny",
    "0000000007": "FortiGate-traffic-other-invalid",
    "0000000010": "FortiGate-traffic-explicit-proxy",
    "0000000011": "FortiGate-traffic-fail-conn",
    "0000000013": "FortiGate-traffic-end-forward",
    "0000000015": "FortiGate-traffic-start-forward",
    "0000000020": "FortiGate-traffic-stat",
    "0000000022": "FortiGate-traffic-utm-correlation",
    "0001000014": "FortiGate-traffic-end-local",
    "0001000016": "FortiGate-traffic-start-local",
    "0002000012": "FortiGate-traffic-multicast",
    "0002000019": "FortiGate-traffic-broadcast",
    "0004000017": "FortiGate-traffic-sniffer",
    "0005000024": "FortiGate-traffic-ztna",
    "0100020203": "FortiGate-event-daemon-shutdown",
    "0100020204": "FortiGate-event-daemon-start",
    "0100022011": "FortiGate-event-enter-mem-conserve-mode",
    "0100022012": "FortiGate-event-leave-mem-conserve-mode",
    "0100044547": "FortiGate-event-config-objattr",
    "0101037120": "FortiGate-event-neg-generic-p1-notif",
    "0101037121": "FortiGate-event-neg-generic-p1-error",
    "0101037141": "FortiGate-event-conn-stats",
}


@lru_cache(maxsize=32)
def by_type(kind: str, subtype: str) -> fieldmap.Plan:
    """The ordered key → (ECS path, converter) plan for one log type and subtype."""
    specific = {**(VPN_USERS if subtype == "vpn" else {}), **_BY_TYPE.get(kind, {})}
    return fieldmap.plan({**specific, **{k: v for k, v in COMMON.items() if k not in specific}})
