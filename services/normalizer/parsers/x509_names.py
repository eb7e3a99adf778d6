"""X.509 distinguished names (``CN=host, O=Org, C=US``) → ECS ``x509.{subject,issuer}.*`` fields.

``name_fields(dn)`` returns the ECS name object for a DN as Suricata and Zeek log it: RDNs split
on commas that a backslash does not escape, each ``KEY=value``; ``C``, ``CN``, ``L``, ``O``,
``OU`` and ``ST`` become ``country``, ``common_name``, ``locality``, ``organization``,
``organizational_unit`` and ``state_or_province`` (lists, as ECS and Elastic write them; a key
seen twice keeps both values). Other keys and malformed parts are skipped; an empty DN gives {}.
"""

from __future__ import annotations

import re

ECS_NAMES = {
    "C": "country",
    "CN": "common_name",
    "L": "locality",
    "O": "organization",
    "OU": "organizational_unit",
    "ST": "state_or_province",
}
_RDN = re.compile(r"(?:[^,\\]|\\.)+")


def name_fields(dn: str) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for rdn in _RDN.findall(dn):
        key, sep, value = rdn.partition("=")
        name = ECS_NAMES.get(key.strip())
        value = value.strip().replace("\\,", ",")
        if sep and name and value:
            fields.setdefault(name, []).append(value)
    return fields
