"""Zeek log field tables: how ``zeek_logs`` names datasets and moves fields, as Elastic does.

Each ``*_MOVES``/``*_RENAMES``/``*_FIELDS`` table is (Zeek field, target path) pairs: the target
is an ECS path for moves, a path under ``zeek.<log>`` for renames, and a path under the ECS
object the mapper builds for fields (``tls``, ``file``, ``x509``).
"""

from __future__ import annotations

DATASETS = {"conn": "connection"}
CONN_STATES: dict[str, tuple[str, tuple[str, ...]]] = {
    "S0": ("Connection attempt seen, no reply.", ("connection", "start")),
    "S1": ("Connection established, not terminated.", ("connection", "start")),
    "SF": ("Normal establishment and termination.", ("connection", "start", "end")),
    "REJ": ("Connection attempt rejected.", ("connection", "start", "denied")),
    "S2": ("Connection established and close attempt by originator seen (but no reply from "
           "responder).", ("connection", "info")),
    "S3": ("Connection established and close attempt by responder seen (but no reply from "
           "originator).", ("connection", "info")),
    "RSTO": ("Connection established, originator aborted (sent a RST).", ("connection", "info")),
    "RSTR": ("Responder sent a RST.", ("connection", "info")),
    "RSTOS0": ("Originator sent a SYN followed by a RST, we never saw a SYN-ACK from the "
               "responder.", ("connection", "info")),
    "RSTRH": ("Responder sent a SYN ACK followed by a RST, we never saw a SYN from the "
              "(purported) originator.", ("connection", "info")),
    "SH": ("Originator sent a SYN followed by a FIN, we never saw a SYN ACK from the responder "
           "(hence the connection was 'half' open).", ("connection", "info")),
    "SHR": ("Responder sent a SYN ACK followed by a FIN, we never saw a SYN from the "
            "originator.", ("connection", "info")),
    "OTH": ("No SYN seen, just midstream traffic (a 'partial connection' that was not later "
            "closed).", ("connection", "info")),
}  # fmt: skip
DIRECTIONS = {(True, True): "internal", (True, False): "outbound", (False, True): "inbound",
              (False, False): "external"}  # fmt: skip
DNS_CLASSES = {1: "IN", 3: "CH", 4: "HS", 254: "NONE", 255: "ANY"}
NANOS = 1_000_000_000
MAX_SECONDS = 9_000_000_000  # x NANOS stays below 2**63
CONN_MOVES = (
    ("proto", "network.transport"),
    ("service", "network.protocol"),
    ("orig_ip_bytes", "source.bytes"),
    ("resp_ip_bytes", "destination.bytes"),
    ("orig_pkts", "source.packets"),
    ("resp_pkts", "destination.packets"),
    ("orig_l2_addr", "source.mac"),
    ("resp_l2_addr", "destination.mac"),
)
HTTP_MOVES = (
    ("method", "http.request.method"),
    ("referrer", "http.request.referrer"),
    ("status_code", "http.response.status_code"),
    ("version", "http.version"),
    ("request_body_len", "http.request.body.bytes"),
    ("response_body_len", "http.response.body.bytes"),
    ("host", "url.domain"),
    ("username", "url.username"),
    ("password", "url.password"),
    ("user_agent", "user_agent.original"),
)
SSL_RENAMES = (
    ("server_name", "server.name"),
    ("validation_status", "validation.status"),
    ("validation_code", "validation.code"),
    ("cert_chain", "server.cert_chain"),
    ("cert_chain_fuids", "server.cert_chain_fuids"),
)
TLS_FIELDS = (
    ("cipher", "cipher"),
    ("curve", "curve"),
    ("established", "established"),
    ("resumed", "resumed"),
    ("ja3", "client.ja3"),
    ("ja3s", "server.ja3s"),
)
SSH_RENAMES = (
    ("auth_attempts", "auth.attempts"),
    ("auth_success", "auth.success"),
    ("cipher_alg", "algorithm.cipher"),
    ("mac_alg", "algorithm.mac"),
    ("compression_alg", "algorithm.compression"),
    ("kex_alg", "algorithm.key_exchange"),
    ("host_key_alg", "algorithm.host_key"),
)
FILE_FIELDS = (
    ("md5", "hash.md5"),
    ("sha1", "hash.sha1"),
    ("sha256", "hash.sha256"),
    ("mime_type", "mime_type"),
    ("filename", "name"),
    ("total_bytes", "size"),
)
X509_FIELDS = (
    ("serial", "serial_number"),
    ("version", "version_number"),
    ("sig_alg", "signature_algorithm"),
    ("key_alg", "public_key_algorithm"),
    ("key_length", "public_key_size"),
    ("curve", "public_key_curve"),
    ("not_valid_before", "not_before"),
    ("not_valid_after", "not_after"),
)
