"""Check Point log field (LEA / Log Exporter name) → ECS table for ``checkpoint`` (data only),
after Elastic's ``checkpoint`` integration. Order gives priority: the first present key wins.

Departures from Elastic, on purpose: ``loguid`` stays ``checkpoint.loguid`` (``event.id`` is the
record id); ``ifname`` is placed by the parser according to ``ifdir``.
"""

from __future__ import annotations

from services.normalizer.parsers import fieldmap, network
from services.normalizer.parsers.fieldmap import Table


def _text(value: str) -> str:
    return value


def _ip(value: str) -> str | None:
    return value if network.is_ip(value) and value not in ("0.0.0.0", "::") else None


def _nat_port(value: str) -> int | None:
    number = network.port(value)
    return number if number else None  # 0 means "not translated"


def _mac(value: str) -> str:
    return value.upper().replace(":", "-")


TABLE: Table = {
    "src": ("source.ip", _ip),
    "client_ip": ("source.ip", _ip),
    "xlatesrc": ("source.nat.ip", _ip),
    "s_port": ("source.port", network.port),
    "xlatesport": ("source.nat.port", _nat_port),
    "mac_source_address": ("source.mac", _mac),
    "src_machine_name": ("source.domain", _text),
    "uid": ("source.user.id", _text),
    "administrator": ("source.user.name", _text),
    "source_user_name": ("source.user.name", _text),
    "src_user_name": ("source.user.name", _text),
    "src_user_group": ("source.user.group.name", _text),
    "from": ("source.user.email", _text),
    "client_outbound_packets": ("source.packets", network.integer),
    "client_outbound_bytes": ("source.bytes", network.integer),
    "sent_byte": ("source.bytes", network.integer),
    "dst": ("destination.ip", _ip),
    "xlatedst": ("destination.nat.ip", _ip),
    "service": ("destination.port", network.port),
    "xlatedport": ("destination.nat.port", _nat_port),
    "mac_destination_address": ("destination.mac", _mac),
    "destination_dns_hostname": ("destination.domain", _text),
    "dst_machine_name": ("destination.domain", _text),
    "dst_user_name": ("destination.user.name", _text),
    "to": ("destination.user.email", _text),
    "usercheck_incident_uid": ("destination.user.id", _text),
    "service_name": ("destination.service.name", _text),
    "server_outbound_packets": ("destination.packets", network.integer),
    "server_outbound_bytes": ("destination.bytes", network.integer),
    "received_bytes": ("destination.bytes", network.integer),
    "dns_type": ("dns.question.type", _text),
    "domain_name": ("dns.question.name", _text),
    "dns_message_type": ("dns.type", _text),
    "tid": ("dns.id", _text),
    "sequencenum": ("event.sequence", network.integer),
    "severity": ("event.severity", network.integer),
    "packet_capture": ("event.url", _text),
    "start_time": ("event.start", _text),
    "first_detection": ("event.start", _text),
    "last_detection": ("event.end", _text),
    "app_risk": ("event.risk_score", network.integer),
    "file_id": ("file.inode", _text),
    "file_type": ("file.type", _text),
    "file_name": ("file.name", _text),
    "dlp_file_name": ("file.name", _text),
    "file_size": ("file.size", network.integer),
    "file_md5": ("file.hash.md5", _text),
    "file_sha1": ("file.hash.sha1", _text),
    "file_sha256": ("file.hash.sha256", _text),
    "user_group": ("group.name", _text),
    "os_version": ("host.os.version", _text),
    "os_name": ("host.os.name", _text),
    "method": ("http.request.method", _text),
    "referrer": ("http.request.referrer", _text),
    "service_id": ("network.application", _text),
    "app_name": ("network.application", _text),
    "ifdir": ("network.direction", _text),
    "bytes": ("network.bytes", network.integer),
    "proto": ("network.iana_number", network.digits),
    "packets": ("network.packets", network.integer),
    "layer_name": ("network.name", _text),
    "client_inbound_interface": ("observer.ingress.interface.name", _text),
    "client_outbound_interface": ("observer.egress.interface.name", _text),
    "origin": ("observer.name", _text),
    "mac_address": ("observer.mac", _mac),
    "origin_ip": ("observer.ip", _ip),
    "endpoint_ip": ("observer.ip", _ip),
    "outzone": ("observer.egress.zone", _text),
    "security_outzone": ("observer.egress.zone", _text),
    "inzone": ("observer.ingress.zone", _text),
    "security_inzone": ("observer.ingress.zone", _text),
    "update_version": ("observer.version", _text),
    "product": ("observer.product", _text),
    "type": ("observer.type", _text),
    "process_md5": ("process.hash.md5", _text),
    "process_name": ("process.name", _text),
    "parent_process_md5": ("process.parent.hash.md5", _text),
    "parent_process_name": ("process.parent.name", _text),
    "matched_category": ("rule.category", _text),
    "categories": ("rule.category", _text),
    "malware_action": ("rule.description", _text),
    "malware_rule_id": ("rule.id", _text),
    "app_rule_id": ("rule.id", _text),
    "objectname": ("rule.name", _text),
    "rule_name": ("rule.name", _text),
    "malware_rule_name": ("rule.name", _text),
    "app_rule_name": ("rule.name", _text),
    "dlp_rule_name": ("rule.name", _text),
    "smartdefence_profile": ("rule.ruleset", _text),
    "policy": ("rule.ruleset", _text),
    "rule_uid": ("rule.uuid", _text),
    "dlp_rule_uid": ("rule.uuid", _text),
    "url": ("url.original", _text),
    "resource": ("url.original", _text),
    "http_host": ("url.domain", _text),
    "web_client_type": ("user_agent.name", _text),
    "user_agent": ("user_agent.original", _text),
    "industry_reference": ("vulnerability.id", _text),
    "message": ("message", _text),
    "reason": ("message", _text),
    "subject": ("message", _text),
}
PLAN = fieldmap.plan(TABLE)
# Elastic drops these bookkeeping fields of the exporter.
EXCLUDED = frozenset({"flags", "layer_uuid", "originsicname", "__policy_id_tag", "version",
                      "rounded_bytes", "db_tag", "update_service"})  # fmt: skip
# Left over after mapping: untranslated NAT placeholders (0.0.0.0, port 0) and indexer internals.
DROPPED_AFTER_MAPPING = (
    "xlatesrc", "xlatedst", "xlatesport", "xlatedport", "contextnum", "__nsons", "__p_dport",
    "__pos", "hll_key", "segment_time", "time",
)  # fmt: skip
