"""Space-separated ``key=value`` tokenizer for vendor logs (FortiOS, Sophos SFOS, Check Point).

Grammar: a key (``[A-Za-z0-9_-]+``, at the start or after whitespace), ``=``, then either

* a quoted value: it runs to the first unescaped ``"`` that is followed by whitespace or the end
  (so ``"`` inside the value, escaped or not, and ``=``, spaces, ``key=value`` text all stay data);
  ``\\"`` and ``\\\\`` are unescaped, any other backslash is kept;
* a quoted value that never closes: the rest of the text (minus the opening quote);
* a bare value: up to the next whitespace.

Text that is not a ``key=value`` token is skipped. One regex pass; a later duplicate key wins.
"""

from __future__ import annotations

import re

# (?<!\S): at the start or after whitespace. The quoted branch is the unrolled form of
# (?:[^"\\]|\\.|"(?!\s|$))*+ : the same language, about twice as fast.
_PAIR = re.compile(
    r"""(?<!\S)([\w-]+)=(?:"([^"\\]*+(?:(?:\\.|"(?!\s|$))[^"\\]*+)*+)"(?=\s|$)|"(.*)|(\S*))""",
    re.DOTALL | re.ASCII,
)
_ESCAPE = re.compile(r'\\(["\\])')
_FIRST_KEY = re.compile(r"(?:^|(?<=[\s>]))[\w-]+=", re.ASCII)


def pairs(text: str) -> dict[str, str]:
    """The ``key=value`` pairs of ``text`` in order of first appearance."""
    return {
        key: _unescape(quoted or unclosed) if quoted or unclosed else bare
        for key, quoted, unclosed, bare in _PAIR.findall(text)
    }


def _unescape(value: str) -> str:
    return _ESCAPE.sub(r"\1", value) if "\\" in value else value


def body_start(text: str) -> int:
    """Where the first ``key=`` token begins (the end of any syslog header), or -1."""
    first = _FIRST_KEY.search(text)
    return -1 if first is None else first.start()
