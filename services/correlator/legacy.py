"""Sigma v1 aggregation conditions → a base rule plus a Sigma v2 correlation, on the YAML mapping.

Before correlation rules, Sigma wrote thresholds in the condition itself, with a ``timeframe``:

    detection: {selection: {...}, timeframe: 10m, condition: selection | count(User) by Host > 3}

``convert(document)`` returns ``None`` for a document whose condition has no ``|``; for a legacy
aggregation it returns two documents that pySigma 2 accepts (it refuses the pipe syntax):

* the base rule: the document with the condition part before ``|``, no ``timeframe``, no
  ``name``, its own id (``base_id``: derived from the original id or title, so reloading gives
  the same id) and the title ``<title> (matching events)``. The loader marks it
  ``generate: false``, as it does for every rule a correlation uses without ``generate: true``;
* the correlation: the original id, name, title, level, tags and the other descriptive keys,
  with ``correlation: {type, rules: [base id], group-by, timespan, condition}``:

  ============================  ===========================================
  ``count()``                    ``event_count``
  ``count(F)``                   ``value_count`` of F (Sigma v1 counted distinct values)
  ``sum(F)`` / ``avg(F)``        ``value_sum`` / ``value_avg`` of F
  ``by A`` / ``by A, B``         ``group-by: [A]`` / ``[A, B]``; no ``by``: one group
  ``> >= < <= == = !=``          ``gt gte lt lte eq eq neq``
  ``timeframe`` (in detection    ``timespan`` (same ``<n><s|m|h|d|w|M|y>`` syntax)
  or at the top level)
  ============================  ===========================================

Refused with ``LegacyError`` (a ``SigmaError``, so the loader lists the reason): no
``timeframe`` (a threshold means nothing without a window, and picking one would silently change
the rule; add ``timeframe:`` to load it), ``near`` (temporal proximity: write a ``temporal``
correlation), ``min``/``max``, more than one pipe, an aggregation inside a condition list, and an
aggregation that does not parse.

A ``<`` or ``<=`` threshold keeps the spec's sliding-window meaning: the correlation fires while a
group has fewer hits than the bound in the window, that is on its first hits ("rare" rules).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from sigma.exceptions import SigmaError

from schemas.ids import derived_id

Document = dict[str, Any]


class LegacyError(SigmaError):
    """A legacy aggregation Vigie cannot convert; the message is the load-error reason."""


_AGGREGATION = re.compile(
    r"(?P<function>\w+)\s*\(\s*(?P<field>[^()\s]*)\s*\)"
    r"(?:\s+by\s+(?P<group>[\w.\-]+(?:\s*,\s*[\w.\-]+)*))?"
    r"\s*(?P<op><=|>=|==|!=|<|>|=)\s*(?P<bound>[0-9]+(?:\.[0-9]+)?)",
    re.IGNORECASE,
)
_TYPES = {"count": "event_count", "sum": "value_sum", "avg": "value_avg"}
_OPERATORS = {">": "gt", ">=": "gte", "<": "lt", "<=": "lte", "==": "eq", "=": "eq", "!=": "neq"}
# Keys of the original rule the correlation keeps (the detection and logsource go to the base).
_DESCRIPTIVE = (
    "title", "id", "name", "status", "description", "references", "author", "date", "modified",
    "tags", "level", "falsepositives", "license", "related",
)  # fmt: skip
_NOT_IN_BASE = ("name", "related", "timeframe")


def convert(document: Document) -> tuple[Document, Document] | None:
    """(base rule, correlation) for a legacy aggregation; None when the condition has no pipe."""
    detection = document.get("detection")
    if not isinstance(detection, dict):
        return None
    condition = _single_condition(detection.get("condition"))
    if condition is None:
        return None
    search, _, aggregation = condition.partition("|")
    base = _base(document, detection, search.strip())
    correlation = _correlation(document, base["id"], aggregation.strip())
    return base, correlation


def base_id(document: Document) -> str:
    """The id of a legacy rule's base rule: stable across loads, distinct from the rule's own."""
    origin = str(document.get("id") or document.get("title") or "")
    return str(uuid.UUID(derived_id("legacy-aggregation-base", origin)))


def _single_condition(condition: Any) -> str | None:
    """The condition holding a pipe, or None when none does."""
    if isinstance(condition, str):
        return condition if "|" in condition else None
    if isinstance(condition, list) and any(isinstance(c, str) and "|" in c for c in condition):
        if len(condition) == 1:
            return str(condition[0])
        raise LegacyError("an aggregation in a list of conditions is not supported")
    return None


def _base(document: Document, detection: Document, search: str) -> Document:
    if not search:
        raise LegacyError("legacy aggregation without a search before '|'")
    base = {k: v for k, v in document.items() if k not in _NOT_IN_BASE}
    base["id"] = base_id(document)
    base["title"] = f"{document.get('title', base['id'])} (matching events)"
    base["detection"] = {
        **{k: v for k, v in detection.items() if k != "timeframe"},
        "condition": search,
    }
    return base


def _correlation(document: Document, base: str, aggregation: str) -> Document:
    if aggregation.split(maxsplit=1)[:1] == ["near"]:
        raise LegacyError(
            "the legacy 'near' aggregation is not supported: write it as a temporal correlation"
        )
    if "|" in aggregation:
        raise LegacyError("a condition with more than one '|' is not supported")
    timeframe = _timeframe(document)
    parsed = _AGGREGATION.fullmatch(aggregation)
    if parsed is None:
        raise LegacyError(f"cannot read the legacy aggregation '{aggregation}'")
    function, field = parsed["function"].lower(), parsed["field"]
    kind = _TYPES.get(function)
    if kind is None:
        raise LegacyError(f"the legacy aggregation function {function}() is not supported")
    if function == "count" and field:
        kind = "value_count"
    if kind != "event_count" and not field:
        raise LegacyError(f"the legacy aggregation {function}() needs a field")
    condition: dict[str, Any] = {_OPERATORS[parsed["op"]]: _number(parsed["bound"])}
    if field:
        condition["field"] = field
    group = [g.strip() for g in parsed["group"].split(",")] if parsed["group"] else []
    kept = {k: document[k] for k in _DESCRIPTIVE if k in document}
    rule = {"type": kind, "rules": [base], "timespan": timeframe, "condition": condition}
    return {**kept, "correlation": {**rule, **({"group-by": group} if group else {})}}


def _timeframe(document: Document) -> str:
    detection = document["detection"]
    timeframe = detection.get("timeframe", document.get("timeframe"))
    if timeframe is None:
        raise LegacyError(
            "legacy aggregation without timeframe is not supported: a threshold needs a window; "
            "add 'timeframe:' (e.g. 1h) to load it"
        )
    return str(timeframe).strip()


def _number(text: str) -> int | float:
    number = float(text)
    return int(number) if number.is_integer() else number
