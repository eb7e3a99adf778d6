"""PAN-OS 10.x/11.x syslog CSV field order per log type, after the seven common leading fields.

Every PAN-OS log starts ``FUTURE_USE, Receive Time, Serial Number, Type, Threat/Content Type
(subtype), FUTURE_USE, Generated Time``; ``LAYOUTS[type]`` names the fields that follow, in the
order of Palo Alto Networks' "Syslog Field Descriptions" (PAN-OS 10.2 to 11.1), with the names
Elastic's panw.panos pipeline gives them: a plain name is ``panw.panos.<name>``, a name starting
with ``_`` is read by the parser but not kept under that name (locations, users, flags ...).
A device on an older release sends fewer fields (the missing tail is absent); a newer one sends
more (the extra tail is ignored).
"""

from __future__ import annotations

COMMON = ("_future_use0", "_received_time", "_serial", "type", "sub_type", "_future_use1",
          "_generated_time")  # fmt: skip

TRAFFIC = tuple(
    """
source.ip destination.ip source.nat.ip destination.nat.ip ruleset _srcuser _dstuser
network.application virtual_sys source.zone destination.zone inbound_interface outbound_interface
log_profile _future_use2 flow_id repeat_count source.port destination.port source.nat.port
destination.nat.port _labels protocol action network.bytes bytes_sent bytes_received
network.packets start_time elapsed_time url.category _future_use3 sequence_number action_flags
_srcloc _dstloc _future_use4 packets_sent packets_received endreason device_group_hierarchy1
device_group_hierarchy2 device_group_hierarchy3 device_group_hierarchy4 vsys_name device_name
action_source source_vm_uuid destination_vm_uuid imsi imei parent_session.id
parent_session.start_time tunnel_type sctp.assoc_id sctp.chunks sctp.chunks_sent
sctp.chunks_received rule_uuid http2_connection link.change_count policy.id link.switches
sdwan.cluster.name sdwan.device_type sdwan.cluster.type sdwan.site dynamic_user.group.name
xff.ip src.category src.profile src.model src.vendor src.os.family src.os.version src.host
src.mac dst.category dst.profile dst.model dst.vendor dst.os.family dst.os.version dst.host
dst.mac container.id pod.namespace pod.name src.external_dynamic_list dst.external_dynamic_list
host.id serial_number src.dynamic_address_group dst.dynamic_address_group session.owner
_high_res_timestamp nsdsai_sst nsdsai_sd application.sub_category application.category
application.technology application.risk_level application.characteristics application.container
application.tunneled application.is_saas application.is_sanctioned is_offloaded
""".split()
)

THREAT = tuple(
    """
source.ip destination.ip source.nat.ip destination.nat.ip ruleset _srcuser _dstuser
network.application virtual_sys source.zone destination.zone inbound_interface outbound_interface
log_profile _logged_time flow_id repeat_count source.port destination.port source.nat.port
destination.nat.port _labels protocol action misc _threat url.category severity _direction
sequence_number
action_flags _srcloc _dstloc _future_use2 http_content_type network.pcap_id file.hash
wildfire.name url_idx _user_agent file.type _forwarded_ip referrer sender subject recipient
wildfire.report_id device_group_hierarchy1 device_group_hierarchy2 device_group_hierarchy3
device_group_hierarchy4 vsys_name device_name _future_use3 source_vm_uuid destination_vm_uuid
http_method imsi imei parent_session.id parent_session.start_time tunnel_type threat_category
content_version _future_use4 sctp.assoc_id payload_protocol_id http_headers url_category_list
rule_uuid http2_connection dynamic_user.group.name xff.ip src.category src.profile src.model
src.vendor src.os.family src.os.version src.host src.mac dst.category dst.profile dst.model
dst.vendor dst.os.family dst.os.version dst.host dst.mac container.id pod.namespace pod.name
src.external_dynamic_list dst.external_dynamic_list host.id serial_number domain_edl
src.dynamic_address_group dst.dynamic_address_group partial_hash _high_res_timestamp reason
justification nssai_sst application.sub_category application.category application.technology
application.risk_level application.characteristics application.container application.tunneled
application.is_saas application.is_sanctioned cloud_report.id
""".split()
)

SYSTEM = tuple(
    """
virtual_sys event.id object.id _future_use2 _future_use3 module severity description
sequence_number action_flags device_group_hierarchy1 device_group_hierarchy2
device_group_hierarchy3 device_group_hierarchy4 vsys_name device_name _future_use4 _future_use5
_high_res_timestamp
""".split()
)

CONFIG = tuple(
    """
host.ip virtual_sys cmd admin client_type result path before_change_detail after_change_detail
sequence_number action_flags device_group_hierarchy1 device_group_hierarchy2
device_group_hierarchy3 device_group_hierarchy4 vsys_name device_name device_group_id comment
""".split()
)

LAYOUTS: dict[str, tuple[str, ...]] = {
    "TRAFFIC": TRAFFIC,
    "THREAT": THREAT,
    "SYSTEM": SYSTEM,
    "CONFIG": CONFIG,
}

# Fields Elastic converts to numbers (the rest stay strings, as in its output).
INTEGERS = frozenset(
    """
repeat_count network.bytes network.packets bytes_sent bytes_received packets_sent
packets_received elapsed_time source.port destination.port source.nat.port destination.nat.port
sctp.chunks sctp.chunks_sent sctp.chunks_received link.change_count application.risk_level
""".split()
)

# Fields Elastic moves to an ECS field and drops from panw.panos.
MOVED = frozenset(
    """
bytes_received bytes_sent destination.ip destination.nat.ip destination.nat.port
destination.port destination.zone device_name elapsed_time file.type http_method
inbound_interface network.application network.bytes network.packets outbound_interface
packets_received packets_sent protocol recipient referrer rule_uuid sender severity source.ip
source.nat.ip source.nat.port source.port source.zone start_time host.ip event.id
""".split()
)

# How the parser maps them (values and ECS targets as Elastic's pipeline writes them).
OBSERVER = {"vendor": "Palo Alto Networks", "product": "PAN-OS", "type": "firewall"}
NETWORK_COPIES = (
    ("source.ip", "source.ip"), ("destination.ip", "destination.ip"),
    ("source.nat.ip", "source.nat.ip"), ("destination.nat.ip", "destination.nat.ip"),
    ("source.port", "source.port"), ("destination.port", "destination.port"),
    ("source.nat.port", "source.nat.port"), ("destination.nat.port", "destination.nat.port"),
    ("network.application", "network.application"), ("network.transport", "protocol"),
    ("observer.ingress.zone", "source.zone"), ("observer.egress.zone", "destination.zone"),
    ("observer.ingress.interface.name", "inbound_interface"),
    ("observer.egress.interface.name", "outbound_interface"),
    ("rule.uuid", "rule_uuid"), ("source.geo.name", "_srcloc"), ("destination.geo.name", "_dstloc"),
)  # fmt: skip
COPIES: dict[str, tuple[tuple[str, str], ...]] = {
    "TRAFFIC": NETWORK_COPIES + (
        ("source.bytes", "bytes_sent"), ("destination.bytes", "bytes_received"),
        ("source.packets", "packets_sent"), ("destination.packets", "packets_received"),
        ("network.bytes", "network.bytes"), ("network.packets", "network.packets"),
    ),
    "THREAT": NETWORK_COPIES + (
        ("destination.user.email", "recipient"), ("source.user.email", "sender"),
        ("file.type", "file.type"), ("http.request.method", "http_method"),
        ("http.request.referrer", "referrer"), ("user_agent.original", "_user_agent"),
        ("log.level", "severity"),
    ),
    "SYSTEM": (("event.code", "event.id"), ("log.level", "severity")),
    "CONFIG": (("user.name", "admin"),),
}  # fmt: skip
CLASSES: dict[str, tuple[str, tuple[str, ...]]] = {  # event.kind, event.category
    "TRAFFIC": ("event", ("network",)),
    "THREAT": ("alert", ("intrusion_detection", "threat", "network")),
    "SYSTEM": ("event", ("configuration",)),
    "CONFIG": ("event", ("configuration",)),
}
ALLOWED = frozenset({"alert", "allow", "continue"})
DENIED = frozenset({"deny", "drop", "reset-client", "reset-server", "reset-both", "block-url",
                    "block-ip", "random-drop", "sinkhole", "block"})  # fmt: skip
SESSION_TYPES = {"start": ["start", "connection"], "end": ["end", "connection"],
                 "drop": ["denied", "connection"], "deny": ["denied", "connection"]}  # fmt: skip
SEVERITIES = {"critical": 1, "high": 2, "medium": 3, "low": 4, "informational": 5}
DIRECTIONS = {"client-to-server": "inbound", "0": "inbound", "server-to-client": "outbound",
              "1": "outbound"}  # fmt: skip
LABELS = {
    "pcap_included": 0x80000000, "connect_to_destination_host": 0x40000000,
    "file_submitted_to_WildFire": 0x20000000, "enterprise_credential_submission": 0x10000000,
    "source_flow_allow_list": 0x08000000, "ipv6_session": 0x02000000,
    "ssl_decrypted": 0x01000000, "url_filter_denied": 0x00800000, "nat_translated": 0x00400000,
    "captive_portal": 0x00200000, "non_standard_port_usage": 0x00100000,
    "x_forwarded_for": 0x00080000, "http_proxy": 0x00040000,
    "client_server_policy_based_forwarding": 0x00020000,
    "server_client_policy_based_forwarding": 0x00010000, "container_page": 0x00008000,
    "temporary_match": 0x00002000, "symmetric_return": 0x00000800,
    "decrypted_traffic": 0x00000400, "payload_outer_tunnel": 0x00000100,
}  # fmt: skip
TIMES = (("_received_time", "received_time"), ("_generated_time", "generated_time"),
         ("_logged_time", "logged_time"), ("_high_res_timestamp", "high_resolution_timestamp"),
         ("parent_session.start_time", "parent_session.start_time"))  # fmt: skip
# THREAT subtypes whose URL/Filename field names a file (Elastic maps only "file"; a virus or
# WildFire verdict names the file too). Other subtypes keep it as panw.panos.misc.
FILE_SUBTYPES = frozenset({"file", "virus", "wildfire", "wildfire-virus", "data"})
