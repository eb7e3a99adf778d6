"""Incremental decoder of syslog frames on one TCP connection (RFC 6587).

Framings
- Octet counting (RFC 6587 §3.4.1): ``MSG-LEN SP SYSLOG-MSG``. MSG-LEN counts OCTETS of
  SYSLOG-MSG only (not the space); ``MSG-LEN = NONZERO-DIGIT *9DIGIT`` here (at most 10 digits).
  LF, CR and NUL are ordinary data inside a counted frame; its bytes are kept exactly.
- Non-transparent framing (§3.4.2): a frame ends at LF; CRLF (the CR is removed) and NUL also
  end a frame, as rsyslog accepts them.

Detection. The first frame of a connection decides its framing: a leading digit run followed by
a space is octet counting; anything else (normally ``<``) is non-transparent framing.
- A non-transparent connection stays so: a later line that begins with ``123 `` is data, not a
  length, so plain-text senders are never misframed.
- On an octet-counting connection each frame start is checked, as rsyslog does: a frame that does
  not begin with a valid MSG-LEN SP (a sender that switched to ``<...>\\n``, a zero or leading-zero
  length, more than 10 digits, a non-digit before the space) is read as one LF-terminated frame,
  the bytes already read included, and the next frame start is checked again. LF, CR and NUL
  between counted frames (or before the first frame) are padding some senders add: skipped.

Limits. A frame longer than ``max_bytes`` keeps its first ``max_bytes`` bytes and reports its
full size (``Frame.truncated``); the rest is skipped while staying in sync (a counted frame by its
length, a line up to its terminator). The decoder holds at most ``max(max_bytes, 11)`` bytes.

End of stream (``close``). An unterminated last line is a frame like any other; a counted frame
(or its MSG-LEN) cut by the close is returned with ``error`` set and whatever bytes arrived.
Empty lines carry nothing and are not frames (rsyslog discards them too); ``empty_lines`` counts
them so the listener can report them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Framing = Literal["octet", "newline"]

MAX_LEN_DIGITS = 10
_TERMINATOR = re.compile(rb"[\n\x00]")
_PADDING = b"\r\n\x00"
_NONZERO = b"123456789"
_DIGITS = b"0123456789"
_LF, _CR, _SP = 0x0A, 0x0D, 0x20

_START, _COUNT, _OCTETS, _LINE = range(4)


@dataclass(frozen=True, slots=True)
class Frame:
    """One frame: its kept bytes, the size the sender gave it, and an error if it is incomplete."""

    data: bytes
    original_size: int
    error: str | None = None

    @property
    def truncated(self) -> bool:
        return self.original_size > len(self.data)


class FrameDecoder:
    """Feed it the byte chunks of one connection in order; it returns the frames they complete."""

    def __init__(self, max_bytes: int) -> None:
        if max_bytes < 1:
            raise ValueError("max_bytes must be at least 1")
        self.max_bytes = max_bytes
        self.framing: Framing | None = None
        self.empty_lines = 0
        self._state = _START
        self._buf = bytearray()  # kept bytes of the current frame, or its MSG-LEN digits
        self._size = 0  # octets of the current line seen so far
        self._cr = False  # the current line's last octet so far is CR
        self._declared = 0  # MSG-LEN of the current counted frame
        self._remaining = 0  # octets of it still to come
        self._steps: dict[int, Callable[[bytes, int, list[Frame]], int]] = {
            _START: self._start,
            _COUNT: self._count,
            _OCTETS: self._octets,
            _LINE: self._line,
        }

    @property
    def buffered(self) -> int:
        """Bytes held for the frame in progress (bounded by ``max(max_bytes, 11)``)."""
        return len(self._buf)

    def feed(self, chunk: bytes) -> list[Frame]:
        frames: list[Frame] = []
        pos = 0
        while pos < len(chunk):
            pos = self._steps[self._state](chunk, pos, frames)
        return frames

    def close(self) -> list[Frame]:
        """End of stream: flush the last line, report a cut counted frame."""
        frames: list[Frame] = []
        if self._state == _LINE:
            self._end_line(frames, strip_cr=False)
        elif self._state == _COUNT and self.framing != "octet":
            self._as_line(frames)
        elif self._state == _COUNT:
            frames.append(
                Frame(bytes(self._buf), len(self._buf), "connection closed inside MSG-LEN")
            )
        elif self._state == _OCTETS:
            got = self._declared - self._remaining
            error = (
                f"incomplete octet-counted frame: {got} of {self._declared} octets "
                "received before the connection closed"
            )
            frames.append(Frame(bytes(self._buf), self._declared, error))
        self._reset()
        return frames

    def _reset(self) -> None:
        self._state = _START
        self._buf.clear()
        self._size = 0
        self._cr = False

    def _start(self, chunk: bytes, pos: int, frames: list[Frame]) -> int:
        byte = chunk[pos]
        if self.framing == "newline":
            self._state = _LINE
        elif byte in _PADDING:
            return pos + 1
        elif byte in _NONZERO:
            self._state = _COUNT
        else:
            self.framing = self.framing or "newline"
            self._state = _LINE
        return pos

    def _count(self, chunk: bytes, pos: int, frames: list[Frame]) -> int:
        while pos < len(chunk):
            byte = chunk[pos]
            if byte == _SP:
                self.framing = self.framing or "octet"
                self._declared = self._remaining = int(self._buf)
                self._buf.clear()
                self._state = _OCTETS
                return pos + 1
            if byte not in _DIGITS or len(self._buf) == MAX_LEN_DIGITS:
                # Not a length after all: what was read starts an LF-terminated frame.
                self.framing = self.framing or "newline"
                self._as_line(None)
                return pos
            self._buf.append(byte)
            pos += 1
        return pos

    def _as_line(self, frames: list[Frame] | None) -> None:
        """Turn the digits read so far into the start of a line (and end it at close)."""
        self._size = len(self._buf)
        del self._buf[self.max_bytes :]
        self._state = _LINE
        if frames is not None:
            self._end_line(frames, strip_cr=False)

    def _octets(self, chunk: bytes, pos: int, frames: list[Frame]) -> int:
        take = min(self._remaining, len(chunk) - pos)
        room = self.max_bytes - len(self._buf)
        if room > 0:
            self._buf += chunk[pos : pos + min(take, room)]
        self._remaining -= take
        if self._remaining == 0:
            frames.append(Frame(bytes(self._buf), self._declared))
            self._reset()
        return pos + take

    def _line(self, chunk: bytes, pos: int, frames: list[Frame]) -> int:
        found = _TERMINATOR.search(chunk, pos)
        end = found.start() if found else len(chunk)
        if end > pos:
            room = self.max_bytes - len(self._buf)
            if room > 0:
                self._buf += chunk[pos : min(end, pos + room)]
            self._size += end - pos
            self._cr = chunk[end - 1] == _CR
        if found is None:
            return end
        self._end_line(frames, strip_cr=chunk[end] == _LF)
        return end + 1

    def _end_line(self, frames: list[Frame], *, strip_cr: bool) -> None:
        size = self._size - 1 if strip_cr and self._cr else self._size
        del self._buf[size:]
        if size:
            frames.append(Frame(bytes(self._buf), size))
        else:
            self.empty_lines += 1
        self._reset()
