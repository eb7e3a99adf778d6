"""Binary Windows event log files (``.evtx``) → the ECS documents the ``windows`` parser makes.

``read_evtx(path)`` yields one item per record the file holds, in file order: the record's ECS
document (``windows.document`` of the record's evtx tree, with ``winlog.record_id`` from the
record header when the XML has none, and ``event.original`` the record's own text: its evtx JSON
tree), or a ``ParseError`` saying why that record, or that chunk
of records, could not be read. It never raises: a file that is no EVTX file, or that cannot be
opened, gives a single error item.

Records are decoded by the ``evtx`` package (Rust bindings of omerbenamram/evtx, ``PyEvtxParser``,
JSON output). Its iterator reports a damaged 64 KiB chunk as one error and goes on with the next
chunk; a chunk cut short by the end of the file it skips silently, so the file header is checked
first: a file shorter than the chunks its header declares gives an error item too.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
from evtx import PyEvtxParser

from services.normalizer.parsers import windows
from services.normalizer.parsers.base import Doc, ParseError

MAGIC = b"ElfFile\x00"
HEADER_BLOCK = 4096
CHUNK_SIZE = 65536
_CHUNK_COUNT = struct.Struct("<H")  # number of chunks, at offset 42 of the file header


def read_evtx(path: str | Path) -> Iterator[Doc | ParseError]:
    """Every record of the file as an ECS document or an error item (see the module docstring)."""
    try:
        with Path(path).open("rb") as file:
            header = file.read(HEADER_BLOCK)
        size = Path(path).stat().st_size
    except OSError as exc:
        yield ParseError(f"cannot read the EVTX file: {exc}")
        return
    if not header.startswith(MAGIC):
        yield ParseError(f"not an EVTX file: it does not start with {MAGIC!r}")
        return
    if (truncation := _truncation(header, size)) is not None:
        yield truncation
    try:
        records = PyEvtxParser(str(path)).records_json()
    except Exception as exc:  # noqa: BLE001 - the binding raises OSError, RuntimeError...
        yield ParseError(f"cannot read the EVTX file: {exc}")
        return
    while True:
        try:
            record = next(records)
        except StopIteration:
            return
        except Exception as exc:  # noqa: BLE001 - a damaged chunk must not end the file
            yield ParseError(f"unreadable EVTX records: {exc}")
            continue
        yield _document(record)


def _truncation(header: bytes, size: int) -> ParseError | None:
    if len(header) < 44:
        return ParseError(f"truncated EVTX file: {size} bytes, not even a file header")
    (chunks,) = _CHUNK_COUNT.unpack_from(header, 42)
    needed = HEADER_BLOCK + chunks * CHUNK_SIZE
    if size < needed:
        return ParseError(
            f"truncated EVTX file: the header declares {chunks} chunks ({needed} bytes), the file "
            f"has {size} bytes; records of the missing part are lost"
        )
    return None


def _document(record: Any) -> Doc | ParseError:
    if not isinstance(record, dict):
        return ParseError(f"unreadable EVTX record: the reader returned {type(record).__name__}")
    number = record.get("event_record_id")
    try:
        doc = windows.document(orjson.loads(record["data"]))
    except ParseError as exc:
        return ParseError(f"record {number}: {exc.reason}")
    except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
        return ParseError(f"record {number}: undecodable record data: {exc}")
    except Exception as exc:  # noqa: BLE001 - a mapping defect must cost one record, not the file
        return ParseError(f"record {number}: windows mapping failed: {type(exc).__name__}: {exc}")
    if number is not None:
        doc["winlog"].setdefault("record_id", str(number))
    doc["event"]["original"] = record["data"]
    return doc
