"""Small value helpers the Windows mappers share (Security, System and Sysmon channels).

Windows writes ``-`` in EventData when a value does not apply: ``usable`` treats it, like an
empty string, as no value, so no ECS field and no ``related.*`` entry is made from it.
"""

from __future__ import annotations

from typing import Any

from schemas.ecs import set_field
from services.normalizer.parsers.base import Doc
from services.normalizer.parsers.network import add_related, is_ip
from services.normalizer.parsers.windows_tables import Category

__all__ = [
    "add_related", "address", "basename", "categorize", "command_line", "executable", "number",
    "put", "split_command_line", "usable",
]  # fmt: skip

_V4_MAPPED = "::ffff:"


def usable(value: Any) -> str | None:
    """``value`` when it is a string that carries a value (not empty, not ``-``)."""
    return value if isinstance(value, str) and value not in ("", "-") else None


def put(doc: Doc, path: str, value: Any) -> None:
    """Set ``path`` when ``value`` carries a value."""
    if value is not None and value not in ("", "-"):
        set_field(doc, path, value)


def number(value: Any) -> int | None:
    """A decimal or ``0x`` hexadecimal integer (process ids are written both ways)."""
    if not isinstance(value, str) or not 0 < len(value) <= 20 or not value.isascii():
        return None
    try:
        return int(value, 16) if value[:2].lower() == "0x" else int(value, 10)
    except ValueError:
        return None


def address(value: Any) -> str | None:
    """An IP address; an IPv4-mapped IPv6 address (``::ffff:192.0.2.1``) as its IPv4 form."""
    text = usable(value)
    if text is None:
        return None
    if text.lower().startswith(_V4_MAPPED) and "." in text:
        text = text[len(_V4_MAPPED) :]
    return text if is_ip(text) else None


def basename(path: str) -> str | None:
    """The last part of a Windows path (None when the path has no backslash)."""
    _, separator, name = path.rpartition("\\")
    return (name or None) if separator else None


def executable(doc: Doc, prefix: str, path: str | None) -> None:
    """``<prefix>.executable`` and ``<prefix>.name`` (its last path part) from a path."""
    if path:
        put(doc, f"{prefix}.executable", path)
        put(doc, f"{prefix}.name", basename(path))


def command_line(doc: Doc, prefix: str, line: str | None) -> None:
    """``<prefix>.command_line``, ``.args`` and ``.args_count`` from a command line."""
    if line:
        args = split_command_line(line)
        put(doc, f"{prefix}.command_line", line)
        put(doc, f"{prefix}.args", args or None)
        put(doc, f"{prefix}.args_count", len(args) or None)


def split_command_line(line: str) -> list[str]:
    """A Windows command line as the argv ``CommandLineToArgvW`` makes of it.

    Backslashes are literal unless they precede a quote (2n backslashes and a quote: n
    backslashes and a toggle; 2n+1: n backslashes and a literal quote); ``""`` inside a quoted
    part is a literal quote that also ends the quoted part.
    """
    args: list[str] = []
    position, length = 0, len(line)
    while position < length:
        while position < length and line[position] in " \t":
            position += 1
        if position == length:
            break
        arg, position = _next_argument(line, position)
        args.append(arg)
    return args


def _next_argument(line: str, position: int) -> tuple[str, int]:
    out: list[str] = []
    quoted, slashes, length = False, 0, len(line)
    while position < length:
        char = line[position]
        if char in " \t" and not quoted:
            break
        if char == "\\":
            slashes += 1
        elif char == '"':
            out.append("\\" * (slashes // 2))
            if slashes % 2:
                out.append('"')
            else:
                if quoted and position + 1 < length and line[position + 1] == '"':
                    out.append('"')  # the "prior to 2008" rule Elastic and Go follow
                    position += 1
                quoted = not quoted
            slashes = 0
        else:
            out.append("\\" * slashes + char)
            slashes = 0
        position += 1
    out.append("\\" * slashes)
    return "".join(out), position


def categorize(doc: Doc, entry: Category | None) -> None:
    """``event.category``/``type``/``action`` from a table entry of ``windows_tables``."""
    if entry is None:
        return
    category, kind, action = entry
    event = doc["event"]
    if category:
        event["category"] = list(category)
    event["type"] = list(kind)
    event["action"] = list(action) if isinstance(action, tuple) else action
