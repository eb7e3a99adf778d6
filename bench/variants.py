"""Rule sets of a given size for the correlator bench: the corpus Sigma rules plus variants.

A variant is a corpus rule with the same logic (same logsource, selections, condition, level) and
its own id, title and literal values, as a larger rule set written for more tools, event IDs and
accounts would be: an event ID moves within its thousand (4625 -> 4662), an image name becomes
another Windows binary (\\whoami.exe -> \\certreq.exe), any other string gets a number (admin ->
admin3); regular expressions, CIDRs, field references and placeholders are kept. Variants are made
round-robin over the corpus rules, so every kind of rule grows alike.
"""

from __future__ import annotations

import re
import uuid
import zlib
from pathlib import Path
from typing import Any

import yaml

from bench import CORPUS
from services.correlator.model import RuleSet
from services.correlator.rules import load_rule_text, load_rules

CORPUS_RULES = CORPUS / "sigma" / "rules"
NAMESPACE = uuid.UUID("6f1c2b1e-8c57-4a51-9a7e-3f0d6c1e2a90")
KEPT_MODIFIERS = {"re", "cidr", "fieldref", "expand", "exists"}
BINARIES = [  # Windows binaries that rules are written for (LOLBAS and common tools)
    "at", "atbroker", "bash", "bitsadmin", "certoc", "certreq", "certutil", "cmdkey", "cmstp",
    "conhost", "control", "csc", "cscript", "desktopimgdownldr", "diskshadow", "dnscmd",
    "esentutl", "eventvwr", "expand", "explorer", "extrac32", "findstr", "finger", "forfiles",
    "ftp", "gpscript", "hh", "ie4uinit", "ieexec", "ilasm", "infdefaultinstall", "installutil",
    "jsc", "makecab", "mavinject", "mmc", "msbuild", "msconfig", "msdt", "msedge", "mshta",
    "msiexec", "netsh", "net", "net1", "nltest", "ntdsutil", "odbcconf", "pcalua", "pcwrun",
    "pktmon", "pnputil", "presentationhost", "print", "psr", "qprocess", "query", "rasautou",
    "reg", "regasm", "regedit", "regini", "regsvcs", "regsvr32", "replace", "rpcping",
    "rundll32", "runonce", "sc", "schtasks", "scriptrunner", "setres", "settingsynchost", "sftp",
    "ssh", "stordiag", "tar", "ttdinject", "tttracer", "unregmp2", "vbc", "verclsid", "wab",
    "wbadmin", "wevtutil", "wfc", "winrm", "winget", "wlrmdr", "wmic", "workfolders", "wscript",
    "wsl", "wsreset", "wuauclt", "xwizard", "adplus", "agentexecutor", "appvlp", "bginfo", "cdb",
    "coregen", "createdump", "csi", "devinit", "dnx", "dotnet", "dump64", "dxcap", "excel", "fsi",
    "mftrace", "msdeploy", "msxsl", "procdump", "rcsi", "remote", "sqldumper", "sqlps", "teams",
    "tracker", "update", "visio", "vsjitdebugger", "winword", "whoami", "vssadmin", "wmiprvse",
    "powershell", "pwsh", "cmd", "psexec", "psexesvc",
]  # fmt: skip
EXE = re.compile(r"^(?P<head>.*?)(?P<name>[^\\/*?]+)\.exe$", re.IGNORECASE)


def ruleset(size: int) -> RuleSet:
    """The corpus rules plus ``size - len(corpus)`` variants (all of them if size is smaller)."""
    documents = corpus_documents()
    extra = max(0, size - len(documents))
    variants = [
        variant(documents[i % len(documents)], i // len(documents) + 1) for i in range(extra)
    ]
    base = load_rules([CORPUS_RULES])
    if not variants:
        return base
    more = load_rule_text(yaml.safe_dump_all(variants, sort_keys=False), path="<variants>")
    return RuleSet(
        detections=base.detections + more.detections,
        correlations=base.correlations + more.correlations,
        errors=base.errors + more.errors,
        warnings=base.warnings + more.warnings,
    )


def corpus_documents() -> list[dict[str, Any]]:
    paths = sorted(p for p in Path(CORPUS_RULES).rglob("*.yml"))
    return [d for p in paths for d in yaml.safe_load_all(p.read_text(encoding="utf-8")) if d]


def variant(rule: dict[str, Any], n: int) -> dict[str, Any]:
    """Variant ``n`` (1, 2, ...) of a parsed Sigma rule document."""
    out = {k: v for k, v in rule.items() if k not in ("related", "name")}
    out["id"] = str(uuid.uuid5(NAMESPACE, f"{rule.get('id', rule.get('title'))}/{n}"))
    out["title"] = f"{rule.get('title', 'rule')} (variant {n})"
    detection = rule.get("detection", {})
    out["detection"] = {
        key: value if key in ("condition", "timeframe") else _vary(value, None, n)
        for key, value in detection.items()
    }
    return out


def _vary(value: Any, key: str | None, n: int) -> Any:
    if isinstance(value, dict):
        return {k: _vary(v, str(k), n) for k, v in value.items()}
    if isinstance(value, list):
        return [_vary(v, key, n) for v in value]
    field, *modifiers = (key or "").split("|")
    if KEPT_MODIFIERS.intersection(modifiers) or isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return _event_id(value, n) if field == "EventID" else value + n
    if isinstance(value, str):
        return _text(value, n)
    return value


def _event_id(code: int, n: int) -> int:
    block = code - code % 1000
    return block + (code % 1000 + 37 * n) % 1000


def _text(value: str, n: int) -> str:
    exe = EXE.match(value)
    if exe:
        start = zlib.crc32(exe["name"].lower().encode())
        return f"{exe['head']}{BINARIES[(start + 11 * n) % len(BINARIES)]}.exe"
    body = value.rstrip("*?")
    return f"{body}{n}{value[len(body) :]}"
