"""A throwaway PKI made with the ``openssl`` command at test time (the ``pki`` fixture).

Two CAs: ``ca`` signs the collector's server certificate (127.0.0.1 and localhost) and the
client certificates; ``rogue`` signs a client certificate bearing acme's own name, which a
listener trusting ``ca`` alone must refuse.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

CLIENTS = {
    # name: (subject CN, SAN DNS names)
    "acme": ("fw1.acme.example.com", ["fw1.acme.example.com", "edge.acme.example.com"]),
    "globex": ("syslog.globex.example.com", []),
    "stranger": ("host.stranger.example.com", ["host.stranger.example.com"]),
}
_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]


@dataclass(frozen=True)
class Pair:
    cert: str
    key: str


@dataclass(frozen=True)
class Pki:
    ca: str
    server: Pair
    clients: dict[str, Pair]
    rogue: Pair


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _ca(folder: Path, name: str) -> Pair:
    _openssl(
        "req", "-x509", *_KEY, "-keyout", f"{name}.key", "-out", f"{name}.pem",
        "-subj", f"/CN=Vigie test {name}", "-days", "2",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        cwd=folder,
    )  # fmt: skip
    return Pair(str(folder / f"{name}.pem"), str(folder / f"{name}.key"))


def _issue(folder: Path, ca: Pair, name: str, cn: str, san: list[str], usage: str) -> Pair:
    _openssl(
        "req", *_KEY, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={cn}",
        cwd=folder,
    )  # fmt: skip
    extensions = ["basicConstraints=CA:FALSE", f"extendedKeyUsage={usage}"]
    if san:
        extensions.append("subjectAltName=" + ",".join(san))
    (folder / f"{name}.ext").write_text("\n".join(extensions) + "\n")
    _openssl(
        "x509", "-req", "-in", f"{name}.csr", "-CA", ca.cert, "-CAkey", ca.key,
        "-CAcreateserial", "-out", f"{name}.pem", "-days", "2", "-extfile", f"{name}.ext",
        cwd=folder,
    )  # fmt: skip
    return Pair(str(folder / f"{name}.pem"), str(folder / f"{name}.key"))


def make_pki(folder: Path) -> Pki:
    ca, rogue_ca = _ca(folder, "ca"), _ca(folder, "rogue-ca")
    server = _issue(
        folder, ca, "server", "collector.example.com", ["IP:127.0.0.1", "DNS:localhost"],
        "serverAuth",
    )  # fmt: skip
    clients = {
        name: _issue(folder, ca, name, cn, [f"DNS:{d}" for d in dns], "clientAuth")
        for name, (cn, dns) in CLIENTS.items()
    }
    cn, dns = CLIENTS["acme"]
    rogue = _issue(folder, rogue_ca, "rogue", cn, [f"DNS:{d}" for d in dns], "clientAuth")
    return Pki(ca.cert, server, clients, rogue)
