"""RE2 patterns and tables with which hunt SQL parses text exactly as Python does.

``CONSTANTS`` maps a parameter name to a builder of its value; ``hunt_values.Params.constant``
binds each one at most once per query. Each builder follows the CPython 3.11 code the matcher
runs: ``str.strip()`` and ``str.isspace()`` (``c_space``), ``int()``/``float()`` on strings,
which accept Unicode decimal digits (``c_nd_from`` → ``c_nd_to``), ``_`` between digits and
``inf``/``infinity``/``nan`` (``c_int``, ``c_float``), ``ipaddress`` (``c_ipv4``: four decimal
octets without leading zeros; ``c_ipv6``: eight hextets, one ``::`` standing for at least one,
an IPv4 tail, a ``%scope`` without ``%`` or ``/``), and the parts of ClickHouse's own text for a
float (``c_float_text``: sign, integer digits, fraction digits, exponent).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import cache

_OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = rf"{_OCTET}(?:\.{_OCTET}){{3}}"
_HEX = "[0-9A-Fa-f]{1,4}"
_DIGITS = "[0-9](?:_?[0-9])*"


def _space_ends() -> str:
    runs: list[list[int]] = []
    for c in range(sys.maxunicode + 1):
        if chr(c).isspace():
            if runs and runs[-1][1] == c - 1:
                runs[-1][1] = c
            else:
                runs.append([c, c])
    body = "".join(rf"\x{{{a:x}}}" if a == b else rf"\x{{{a:x}}}-\x{{{b:x}}}" for a, b in runs)
    return f"^[{body}]+|[{body}]+$"


def _ipv6() -> str:
    full = [rf"{_HEX}(?::{_HEX}){{7}}", rf"{_HEX}(?::{_HEX}){{5}}:{_IPV4}"]
    compressed = []
    for left in range(8):  # hextets before '::'
        head = "" if left == 0 else rf"{_HEX}(?::{_HEX}){{{left - 1}}}"
        room = 7 - left  # '::' stands for at least one hextet
        tails = [rf"{_HEX}(?::{_HEX}){{0,{room - 1}}}"] if room >= 1 else []
        if room >= 2:
            tails.append(rf"(?:{_HEX}:){{0,{room - 2}}}{_IPV4}")
        tail = f"(?:{'|'.join(tails)})?" if tails else ""
        compressed.append(f"{head}::{tail}")
    return f"^(?:{'|'.join(full + compressed)})(?:%[^%/]+)?$"


@cache
def _decimal_digits() -> tuple[str, str]:
    found = [chr(c) for c in range(128, sys.maxunicode + 1) if chr(c).isdecimal()]
    return "".join(found), "".join(str(int(ch)) for ch in found)


CONSTANTS: dict[str, Callable[[], str]] = {
    "c_space": cache(_space_ends),
    "c_int": lambda: f"^[+-]?{_DIGITS}$",
    "c_float": lambda: (
        rf"^[+-]?(?:(?:(?:{_DIGITS})?\.{_DIGITS}|{_DIGITS}\.?)(?:[eE][+-]?{_DIGITS})?"
        r"|(?i:inf|infinity|nan))$"
    ),
    "c_float_text": lambda: r"^(-?)([0-9]*)[.]?([0-9]*)(?:[eE]([-+]?[0-9]+))?$",
    "c_ipv4": lambda: f"^{_IPV4}$",
    "c_ipv6": cache(_ipv6),
    "c_nd_from": lambda: _decimal_digits()[0],
    "c_nd_to": lambda: _decimal_digits()[1],
}
