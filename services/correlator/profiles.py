"""What every alert of a rule carries for a tenant: rule reference, ATT&CK threat, risk score.

``RISK_SCORES`` gives the risk of a level. ``Profiles`` builds each (tenant, rule) profile once,
with the tenant's tuning overrides applied (``level`` replaces the rule's, ``tags`` are added
and feed the ATT&CK mapping). An unknown level is taken as medium, with a warning.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import cast

import orjson

from schemas.alert import Level, RuleRef
from services.correlator.assets import LEVEL_BASE
from services.correlator.attack import threat_of
from services.correlator.model import RuleMeta
from services.correlator.tuning import RuleTuning, Tuning

log = logging.getLogger(__name__)

RISK_SCORES = LEVEL_BASE  # the risk of a level, with no asset context


@dataclass(frozen=True, slots=True)
class Profile:
    ref: RuleRef
    threat: bytes  # JSON, decoded afresh for each alert so no two alerts share a dict
    risk: float


def names(meta: RuleMeta) -> frozenset[str]:
    return frozenset(n for n in (meta.id, meta.name) if n)


def profile(meta: RuleMeta) -> Profile:
    level = meta.level.lower() if meta.level else "medium"
    if level not in RISK_SCORES:
        log.warning("unknown level, using medium", extra={"rule": meta.id, "rule_level": level})
        level = "medium"
    ref = RuleRef(
        id=meta.id,
        title=meta.title,
        level=cast(Level, level),
        tags=list(meta.tags),
        author=meta.author,
    )
    return Profile(ref, orjson.dumps(threat_of(meta.tags)), RISK_SCORES[level])


class Profiles:
    """Profiles and tuning per (tenant, rule id), computed on first use."""

    def __init__(self, metas: Iterable[RuleMeta], tuning: Tuning) -> None:
        self._metas = {meta.id: meta for meta in metas}
        self._plain = {rule_id: profile(meta) for rule_id, meta in self._metas.items()}
        self._tuning = tuning
        self._tuned: dict[tuple[str, str], RuleTuning | None] = {}
        self._profiles: dict[tuple[str, str], Profile] = {}

    def tuned(self, tenant: str, rule_id: str) -> RuleTuning | None:
        key = (tenant, rule_id)
        if key not in self._tuned:
            self._tuned[key] = self._tuning.for_rule(tenant, names(self._metas[rule_id]))
        return self._tuned[key]

    def profile(self, tenant: str, rule_id: str) -> Profile:
        tuned = self.tuned(tenant, rule_id)
        if tuned is None or not (tuned.level or tuned.tags):
            return self._plain[rule_id]
        key = (tenant, rule_id)
        if key not in self._profiles:
            meta = self._metas[rule_id]
            extra = tuple(t for t in tuned.tags if t not in meta.tags)
            self._profiles[key] = profile(
                replace(meta, level=tuned.level or meta.level, tags=meta.tags + extra)
            )
        return self._profiles[key]
