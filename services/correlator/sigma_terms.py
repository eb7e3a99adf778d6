"""pySigma detections (after the processing pipeline) → plain match terms.

The terms say *what* a rule tests, in plain data, so ``matcher.py`` can compile them to closures
and later steps (rule indexing, explanations, tests) can read them without pySigma. Modifiers
are already applied by pySigma when the rule is parsed (wildcards, base64offset, windash, cidr,
re, fieldref, exists, ...); this module only reads the resulting condition tree. It raises
``CompileError`` for what Vigie cannot evaluate or what the Sigma spec forbids and pySigma lets
through: an unresolved ``%placeholder%``, a modifier chain ending in an encoding (``wide``,
``utf16``, ``utf16be`` without a following ``base64``/``base64offset``), timestamp-part modifiers.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network
from typing import Literal

from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionNOT,
    ConditionOR,
    ConditionValueExpression,
)
from sigma.modifiers import (
    SigmaBase64Modifier,
    SigmaBase64OffsetModifier,
    SigmaUTF16BEModifier,
    SigmaUTF16Modifier,
    SigmaWideModifier,
    reverse_modifier_mapping,
)
from sigma.rule import SigmaDetection, SigmaDetectionItem, SigmaDetections
from sigma.types import (
    Placeholder,
    SigmaBool,
    SigmaCasedString,
    SigmaCIDRExpression,
    SigmaCompareExpression,
    SigmaExists,
    SigmaExpansion,
    SigmaFieldReference,
    SigmaNull,
    SigmaNumber,
    SigmaRegularExpression,
    SigmaString,
    SigmaTimestampPart,
    SigmaType,
    SpecialChars,
)


class CompileError(ValueError):
    """A detection Vigie cannot turn into a predicate; the message is the load-error reason."""


class Wild(enum.Enum):
    ANY = "*"
    ONE = "?"


@dataclass(frozen=True, slots=True)
class Text:
    """A Sigma string: literal pieces and wildcards, in the rule's own case."""

    tokens: tuple[str | Wild, ...]
    cased: bool = False


@dataclass(frozen=True, slots=True)
class Number:
    value: int | float


@dataclass(frozen=True, slots=True)
class Boolean:
    value: bool


@dataclass(frozen=True, slots=True)
class Regex:
    pattern: str
    flags: int = 0


@dataclass(frozen=True, slots=True)
class Cidr:
    network: IPv4Network | IPv6Network


@dataclass(frozen=True, slots=True)
class Compare:
    op: Literal["lt", "lte", "gt", "gte", "neq"]
    value: int | float


@dataclass(frozen=True, slots=True)
class FieldRef:
    field: str
    kind: Literal["eq", "prefix", "suffix", "contains"] = "eq"


@dataclass(frozen=True, slots=True)
class Exists:
    """``exists: true/false``; Sigma ``null`` is ``Exists(False)`` (a JSON null does not exist)."""

    present: bool


Value = Text | Number | Boolean | Regex | Cidr | Compare | FieldRef | Exists


@dataclass(frozen=True, slots=True)
class Match:
    field: str | None  # None: keyword search over the event's full text
    value: Value


@dataclass(frozen=True, slots=True)
class AllOf:
    terms: tuple[Term, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    terms: tuple[Term, ...]


@dataclass(frozen=True, slots=True)
class Not:
    term: Term


Term = Match | AllOf | AnyOf | Not

_ENCODINGS = (SigmaWideModifier, SigmaUTF16Modifier, SigmaUTF16BEModifier)
_BASE64 = (SigmaBase64Modifier, SigmaBase64OffsetModifier)
_WILDS = {SpecialChars.WILDCARD_MULTI: Wild.ANY, SpecialChars.WILDCARD_SINGLE: Wild.ONE}


def translate(detections: SigmaDetections) -> Term:
    """The rule's condition as one term (a list of conditions is ORed, as Sigma specifies)."""
    for item in _detection_items(detections.detections.values()):
        _check_modifier_chain(item)
    terms = []
    for condition in detections.parsed_condition:
        tree = condition.parsed
        if tree is None:
            raise CompileError(f"condition '{condition.condition}' selects nothing")
        terms.append(_term(tree))
    return terms[0] if len(terms) == 1 else AnyOf(tuple(terms))


def _detection_items(
    detections: Iterable[SigmaDetection | SigmaDetectionItem],
) -> Iterator[SigmaDetectionItem]:
    for detection in detections:
        if isinstance(detection, SigmaDetection):
            yield from _detection_items(detection.detection_items)
        elif isinstance(detection, SigmaDetectionItem):
            yield detection


def _check_modifier_chain(item: SigmaDetectionItem) -> None:
    # A value left in UTF-16 form is not text any event field holds; the spec makes it an error.
    encodings = [i for i, m in enumerate(item.modifiers) if issubclass(m, _ENCODINGS)]
    if encodings and not any(issubclass(m, _BASE64) for m in item.modifiers[encodings[-1] :]):
        name = reverse_modifier_mapping[item.modifiers[encodings[-1]].__name__]
        raise CompileError(
            f"field '{item.field}': modifier chain ends in the encoding modifier '{name}'; "
            "only base64 or base64offset may follow an encoding"
        )


def _term(node: object) -> Term:
    if isinstance(node, ConditionAND):
        return AllOf(tuple(_term(arg) for arg in node.args))
    if isinstance(node, ConditionOR):
        return AnyOf(tuple(_term(arg) for arg in node.args))
    if isinstance(node, ConditionNOT):
        return Not(_term(node.args[0]))
    if isinstance(node, ConditionFieldEqualsValueExpression):
        return _match(node.field, node.value)
    if isinstance(node, ConditionValueExpression):
        return _match(None, node.value)
    raise CompileError(f"unsupported condition element {type(node).__name__}")


def _match(field: str | None, value: SigmaType) -> Term:
    if isinstance(value, SigmaExpansion):  # windash, base64offset: alternatives, always ORed
        return AnyOf(tuple(_match(field, v) for v in value.values))
    return Match(field, _value(value, keyword=field is None))


def _value(value: SigmaType, *, keyword: bool) -> Value:
    if isinstance(value, SigmaString):
        return _text(value, cased=isinstance(value, SigmaCasedString), keyword=keyword)
    if isinstance(value, SigmaTimestampPart):
        raise CompileError("timestamp part modifiers (minute, hour, day, ...) are not supported")
    if isinstance(value, (SigmaNumber, SigmaBool)) and keyword:
        plain = str(value.to_plain()).lower()
        return Text((Wild.ANY, plain, Wild.ANY))
    if isinstance(value, SigmaNumber):
        return Number(value.number)
    if isinstance(value, SigmaBool):
        return Boolean(value.boolean)
    if isinstance(value, SigmaNull):
        return Exists(False)
    if isinstance(value, SigmaExists):
        return Exists(value.exists)
    if isinstance(value, SigmaRegularExpression):
        _refuse_placeholders(value.regexp)
        flags = sum(SigmaRegularExpression.sigma_to_python_flags[f] for f in value.flags)
        return Regex(value.regexp.to_plain(), flags)
    if isinstance(value, SigmaCIDRExpression):
        return Cidr(value.network)
    if isinstance(value, SigmaCompareExpression):
        return Compare(value.op.name.lower(), value.number.number)  # type: ignore[arg-type]
    if isinstance(value, SigmaFieldReference):
        kinds = {(False, False): "eq", (True, False): "prefix", (False, True): "suffix"}
        kind = kinds.get((value.starts_with, value.ends_with), "contains")
        return FieldRef(value.field, kind)  # type: ignore[arg-type]
    raise CompileError(f"unsupported value type {type(value).__name__}")


def _text(value: SigmaString, *, cased: bool, keyword: bool) -> Text:
    _refuse_placeholders(value)
    tokens: list[str | Wild] = []
    for part in value.s:
        if isinstance(part, str):
            if tokens and isinstance(tokens[-1], str):
                tokens[-1] += part
            elif part:
                tokens.append(part)
        else:
            tokens.append(_WILDS[part])  # type: ignore[index]
    if keyword:  # a keyword is found anywhere in the text, as if written *value*
        if not tokens or tokens[0] is not Wild.ANY:
            tokens.insert(0, Wild.ANY)
        if tokens[-1] is not Wild.ANY:
            tokens.append(Wild.ANY)
    return Text(tuple(tokens), cased)


def _refuse_placeholders(value: SigmaString) -> None:
    names = [p.name for p in value.s if isinstance(p, Placeholder)]
    if names:
        raise CompileError(
            f"unresolved placeholder %{names[0]}%: give its values in the placeholder "
            "configuration (expand modifier)"
        )
