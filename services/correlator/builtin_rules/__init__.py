"""Vigie's own Sigma rules, used when ``rules.sigma`` names no directory.

Sigma 2 YAML, written against the ECS fields the normalizer emits (``linux/``: sshd, sudo and
useradd lines of the system auth log). Correlations and the rules they reference share a file.
"""

from __future__ import annotations

from pathlib import Path


def builtin_rules_dir() -> Path:
    return Path(__file__).resolve().parent
