"""FrameDecoder: RFC 6587 octet counting and LF framing, limits, detection, end of stream."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.collector.framing import Frame, FrameDecoder
from tests.conftest import load_cases

CASES = load_cases()


def decode(chunks: list[bytes], max_bytes: int = 1024) -> tuple[list[Frame], FrameDecoder]:
    decoder = FrameDecoder(max_bytes)
    frames = [frame for chunk in chunks for frame in decoder.feed(chunk)]
    return frames + decoder.close(), decoder


def ok(data: bytes, size: int | None = None) -> tuple[bytes, int, None]:
    return data, len(data) if size is None else size, None


# name, chunks, max_bytes, expected (data, original_size, error substring), framing
TABLE: list[tuple[str, list[bytes], int, list[tuple[bytes, int, str | None]], str | None]] = [
    ("lf", [b"<13>a\n<13>b\n"], 64, [ok(b"<13>a"), ok(b"<13>b")], "newline"),
    ("crlf", [b"<13>a\r\n<13>b\r\n"], 64, [ok(b"<13>a"), ok(b"<13>b")], "newline"),
    ("nul", [b"<13>a\x00<13>b\n"], 64, [ok(b"<13>a"), ok(b"<13>b")], "newline"),
    (
        "cr split from its lf",
        [b"<13>a\r", b"\n<13>b\n"],
        64,
        [ok(b"<13>a"), ok(b"<13>b")],
        "newline",
    ),
    ("lone cr is data", [b"<13>a\rb\n"], 64, [ok(b"<13>a\rb")], "newline"),
    (
        "line split across reads",
        [b"<13>he", b"ll", b"o\n<1>x\n"],
        64,
        [ok(b"<13>hello"), ok(b"<1>x")],
        "newline",
    ),
    ("unterminated last line", [b"<13>a\n<13>b"], 64, [ok(b"<13>a"), ok(b"<13>b")], "newline"),
    (
        "digits then space later is data",
        [b"<13>a\n123 bc\n"],
        64,
        [ok(b"<13>a"), ok(b"123 bc")],
        "newline",
    ),
    (
        "digit run without space",
        [b"2026-12-01 host-a x\n"],
        64,
        [ok(b"2026-12-01 host-a x")],
        "newline",
    ),
    ("more than 10 digits", [b"12345678901 x\n"], 64, [ok(b"12345678901 x")], "newline"),
    ("octet basic", [b"3 abc4 defg"], 64, [ok(b"abc"), ok(b"defg")], "octet"),
    ("octet lf cr nul are data", [b"7 a\nb\r\n\x00c"], 64, [ok(b"a\nb\r\n\x00c")], "octet"),
    ("octet length split", [b"1", b"2 0123456789", b"ab"], 64, [ok(b"0123456789ab")], "octet"),
    ("octet lf padding skipped", [b"\n3 abc\n3 def\r\n"], 64, [ok(b"abc"), ok(b"def")], "octet"),
    (
        "octet then lf frame then octet",
        [b"3 abc<13>x\n3 def"],
        64,
        [ok(b"abc"), ok(b"<13>x"), ok(b"def")],
        "octet",
    ),
    (
        "octet bad length becomes a line",
        [b"3 abc12x y\n3 def"],
        64,
        [ok(b"abc"), ok(b"12x y"), ok(b"def")],
        "octet",
    ),
    ("octet zero length is a line", [b"3 abc0 x\n"], 64, [ok(b"abc"), ok(b"0 x")], "octet"),
    ("octet leading zero is a line", [b"3 abc03 xyz\n"], 64, [ok(b"abc"), ok(b"03 xyz")], "octet"),
    (
        "octet 11 digits is a line",
        [b"3 abc12345678901 x\n"],
        64,
        [ok(b"abc"), ok(b"12345678901 x")],
        "octet",
    ),
    (
        "octet truncated, stays in sync",
        [b"10 0123", b"456789", b"3 abc"],
        4,
        [ok(b"0123", 10), ok(b"abc")],
        "octet",
    ),
    (
        "lf truncated, skips to lf",
        [b"<13>ab", b"cdef", b"gh\r\n<9>x\n"],
        4,
        [ok(b"<13>", 12), ok(b"<9>x")],
        "newline",
    ),
    ("lf at exactly max plus crlf", [b"<1>a\r\n"], 4, [ok(b"<1>a")], "newline"),
    (
        "bad length truncated as a line",
        [b"3 abc123456789012345\n"],
        4,
        [ok(b"abc"), ok(b"1234", 15)],
        "octet",
    ),
    (
        "incomplete octet frame at close",
        [b"3 abc10 <13>"],
        64,
        [ok(b"abc"), (b"<13>", 10, "incomplete octet-counted frame: 4 of 10")],
        "octet",
    ),
    (
        "incomplete msg-len at close",
        [b"3 abc12"],
        64,
        [ok(b"abc"), (b"12", 2, "inside MSG-LEN")],
        "octet",
    ),
    (
        "huge declared length, cut and incomplete",
        [b"9999999999 abcdef"],
        4,
        [(b"abcd", 9999999999, "6 of 9999999999")],
        "octet",
    ),
    ("digits only then close", [b"12"], 64, [ok(b"12")], None),
    ("nothing", [], 64, [], None),
]


@pytest.mark.parametrize(
    ("chunks", "max_bytes", "expected", "framing"),
    [row[1:] for row in TABLE],
    ids=[row[0] for row in TABLE],
)
def test_decoder_frames_table(
    chunks: list[bytes], max_bytes: int, expected: list[Any], framing: str | None
) -> None:
    frames, decoder = decode(chunks, max_bytes)
    assert [(f.data, f.original_size) for f in frames] == [(d, s) for d, s, _ in expected]
    for frame, (_, _, error) in zip(frames, expected, strict=True):
        assert (frame.error is None) == (error is None)
        assert error is None or error in frame.error  # type: ignore[operator]
    if framing is not None:
        assert decoder.framing == framing


def test_decoder_truncated_flag_follows_original_size() -> None:
    frames, _ = decode([b"10 0123456789", b"3 abc"], 4)
    assert [f.truncated for f in frames] == [True, False]


def test_decoder_counts_empty_lines_without_emitting_them() -> None:
    frames, decoder = decode([b"<13>a\n\n\r\n\x00<13>b\n"])
    assert [f.data for f in frames] == [b"<13>a", b"<13>b"]
    assert decoder.empty_lines == 3


@pytest.mark.skipif("octet-counting-framing" not in CASES, reason="../shared/cases is absent")
def test_decoder_octet_counting_case() -> None:
    case = CASES["octet-counting-framing"]
    expected = case["expected"]
    decoder = FrameDecoder(64 * 1024)
    reads = [decoder.feed(chunk.encode("utf-8")) for chunk in case["input"]["tcp_reads"]]
    # No event for the partial third frame until the second read completes it.
    assert [len(r) for r in reads] == [2, 1]
    frames = reads[0] + reads[1] + decoder.close()
    assert len(frames) == expected["event_count"]
    assert [f.original_size for f in frames] == expected["frame_lengths_bytes"]
    assert [len(f.data) for f in frames] == expected["frame_lengths_bytes"]
    # RFC 5424 header: PRI+VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD, then MSG.
    messages = [f.data.decode("utf-8").split(" ", 7)[7] for f in frames]
    assert messages == [e["message"] for e in expected["events"]]
    assert decoder.framing == "octet" and decoder.buffered == 0


def test_decoder_rejects_zero_max_bytes() -> None:
    with pytest.raises(ValueError):
        FrameDecoder(0)


# --- properties -----------------------------------------------------------------------------

line_body = st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"").replace(b"\x00", b""))
newline_message = line_body.filter(lambda b: not b.endswith(b"\r")).map(lambda b: b"<" + b)
octet_message = st.binary(min_size=1, max_size=60)


@st.composite
def streams(draw: st.DrawFn) -> tuple[bytes, list[bytes], int]:
    """(stream, expected data of each frame, max_bytes) for one connection's worth of frames."""
    max_bytes = draw(st.integers(1, 48))
    if draw(st.booleans()):
        messages = draw(st.lists(newline_message, max_size=12))
        stream = b"".join(m + draw(st.sampled_from([b"\n", b"\r\n", b"\x00"])) for m in messages)
    else:  # octet counting, with the odd LF-framed frame a switching sender slips in
        first = draw(octet_message)
        rest = draw(st.lists(st.one_of(octet_message, newline_message), max_size=12))
        messages = [first, *rest]
        stream = b"%d %s" % (len(first), first)
        for m in rest:
            stream += (
                m + b"\n" if m.startswith(b"<") and draw(st.booleans()) else b"%d %s" % (len(m), m)
            )
    return stream, messages, max_bytes


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]


@settings(max_examples=400, deadline=None)
@given(streams(), st.lists(st.integers(0, 10_000), max_size=30))
def test_decoder_any_split_yields_the_same_frames(
    sample: tuple[bytes, list[bytes], int], cuts: list[int]
) -> None:
    stream, messages, max_bytes = sample
    frames, _ = decode(split(stream, cuts), max_bytes)
    assert [(f.data, f.original_size, f.error) for f in frames] == [
        (m[:max_bytes], len(m), None) for m in messages
    ]


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.binary(max_size=120), max_size=20),
    st.integers(1, 40),
    st.lists(st.integers(0, 10_000), max_size=30),
)
def test_decoder_garbage_never_raises_and_stays_bounded(
    chunks: list[bytes], max_bytes: int, cuts: list[int]
) -> None:
    decoder = FrameDecoder(max_bytes)
    frames: list[Frame] = []
    for chunk in chunks:
        frames += decoder.feed(chunk)
        assert decoder.buffered <= max(max_bytes, 11)
    frames += decoder.close()
    assert decoder.buffered == 0
    assert all(len(f.data) <= max_bytes and f.original_size >= len(f.data) for f in frames)
    # Chunk boundaries never change the outcome, whatever the input.
    again, _ = decode(split(b"".join(chunks), cuts), max_bytes)
    assert again == frames
