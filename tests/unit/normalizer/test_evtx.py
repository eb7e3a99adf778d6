"""EVTX file reader on files that are not (whole) EVTX files: one clear error item, never a raise.

Real EVTX files (and damaged copies of them) are read in tests/conformance/test_ecs_windows.py.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from services.normalizer.parsers.base import ParseError
from services.normalizer.parsers.evtx import CHUNK_SIZE, HEADER_BLOCK, MAGIC, read_evtx
from services.normalizer.readers import READERS


def _header(chunks: int) -> bytes:
    header = bytearray(HEADER_BLOCK)
    header[: len(MAGIC)] = MAGIC
    struct.pack_into("<QQQIHHHH", header, 8, 0, chunks - 1, 1, 128, 1, 3, HEADER_BLOCK, chunks)
    return bytes(header)


@pytest.mark.parametrize(
    ("content", "reasons"),
    [
        (b"", ["not an EVTX file"]),
        (b"hello world\n", ["not an EVTX file"]),
        (MAGIC + b"\x00" * 10, ["truncated EVTX file: 18 bytes", "cannot read the EVTX file"]),
        (_header(2) + b"ElfChnk\x00" + b"\x00" * 100, ["declares 2 chunks", "cannot read"]),
    ],
    ids=["empty", "text", "short-header", "truncated-chunks"],
)
def test_evtx_damaged_file_gives_error_items(
    tmp_path: Path, content: bytes, reasons: list[str]
) -> None:
    path = tmp_path / "damaged.evtx"
    path.write_bytes(content)
    items = list(read_evtx(path))
    assert all(isinstance(item, ParseError) for item in items), items
    assert len(items) <= len(reasons)
    for item, reason in zip(items, reasons, strict=False):
        assert reason in item.reason


def test_evtx_missing_file_is_one_error_item(tmp_path: Path) -> None:
    (item,) = read_evtx(tmp_path / "absent.evtx")
    assert isinstance(item, ParseError) and "cannot read the EVTX file" in item.reason


def test_evtx_header_with_its_chunks_is_not_called_truncated(tmp_path: Path) -> None:
    path = tmp_path / "empty-chunk.evtx"
    path.write_bytes(_header(1) + b"\x00" * CHUNK_SIZE)  # a zeroed chunk: unreadable, not short
    items = list(read_evtx(path))
    assert all(isinstance(item, ParseError) for item in items)
    assert not any("truncated" in item.reason for item in items if isinstance(item, ParseError))


def test_evtx_is_the_file_reader_for_evtx_files() -> None:
    assert READERS["evtx"] is read_evtx
