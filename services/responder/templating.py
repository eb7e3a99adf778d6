"""Step targets filled from an alert with ``${alert.<path>}`` placeholders: a data lookup only.

A placeholder names a path in the alert's JSON form, e.g. ``${alert.group.source.ip}`` or
``${alert.rule.id}``; group keys that contain dots (``source.ip``) are found whole. Nothing is
evaluated: no attribute access, indexing, calls or format specs, and path segments may not start
with ``_``, so a template cannot reach code or private state. A brace outside a placeholder is
refused too, so ``{alert.__class__}`` (``str.format`` syntax) is an error, not literal text.

``check`` finds the problems of a template when playbooks load. ``render`` raises
``TemplateError`` naming the path when a given alert lacks a value (absent, null or empty).
A string that is exactly one placeholder keeps the value's JSON type (e.g. the list of tags);
placeholders inside longer text must resolve to single values.
"""

from __future__ import annotations

import re
from typing import Any

from schemas.alert import Alert
from schemas.ecs import get_field

_PLACEHOLDER = re.compile(r"\$\{([^{}]*)\}")
_PATH = re.compile(r"alert(\.[A-Za-z0-9@][A-Za-z0-9@_-]*)+")
_ALERT_FIELDS = frozenset(Alert.model_fields)


class TemplateError(ValueError):
    """A template is malformed, or the alert lacks a value it names."""


def check(template: Any) -> list[str]:
    """Every problem of a target template (strings, mappings and lists are walked)."""
    if isinstance(template, str):
        return _check_text(template)
    if isinstance(template, dict):
        return [p for key, value in template.items() for p in _check_key(key) + check(value)]
    if isinstance(template, list):
        return [p for value in template for p in check(value)]
    return []


def render(template: Any, alert: Alert) -> Any:
    """The template with every placeholder replaced by the alert's value."""
    return _render(template, alert.model_dump(mode="json"))


def _check_key(key: Any) -> list[str]:
    if isinstance(key, str) and "$" not in key and "{" not in key and "}" not in key:
        return []
    return [f"target key {key!r}: keys are plain text, only values take placeholders"]


def _check_text(text: str) -> list[str]:
    problems = [
        f"{match.group(0)!r}: use ${{alert.<field>[.<key>...]}} with fields "
        f"{', '.join(sorted(_ALERT_FIELDS))}"
        for match in _PLACEHOLDER.finditer(text)
        if not _valid_path(match.group(1))
    ]
    if any(c in _PLACEHOLDER.sub("", text) for c in "{}"):
        problems.append(f"{text!r}: a brace outside a ${{alert.<path>}} placeholder")
    return problems


def _valid_path(path: str) -> bool:
    return _PATH.fullmatch(path) is not None and path.split(".")[1] in _ALERT_FIELDS


def _render(template: Any, doc: dict[str, Any]) -> Any:
    if isinstance(template, str):
        whole = _PLACEHOLDER.fullmatch(template)
        if whole:
            return _lookup(doc, whole.group(1))
        return _PLACEHOLDER.sub(lambda m: _as_text(_lookup(doc, m.group(1)), m.group(1)), template)
    if isinstance(template, dict):
        return {key: _render(value, doc) for key, value in template.items()}
    if isinstance(template, list):
        return [_render(value, doc) for value in template]
    return template


def _lookup(doc: dict[str, Any], path: str) -> Any:
    if not _valid_path(path):  # render may be called on a template check() never saw
        raise TemplateError(f"invalid placeholder ${{{path}}}")
    value = get_field(doc, path.removeprefix("alert."))
    if value is None or (isinstance(value, (str, list, dict)) and not value):
        raise TemplateError(f"the alert has no value for ${{{path}}}")
    return value


def _as_text(value: Any, path: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise TemplateError(f"${{{path}}} is not a single value and cannot be part of a longer text")
