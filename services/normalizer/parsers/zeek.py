"""Zeek logs (Zeek 3 to 7): ASCII TSV with its header lines, or JSON lines → ECS (``zeek_logs``).

Two forms of record, told apart by their first character:

* JSON (``LogAscii::use_json=T``): one object per line; a record may hold several lines, each
  giving one document. The log type is the object's ``_path`` field, else the format hint
  (``zeek.conn``, ``zeek.dns`` ...; ``parse(..., log=...)``); with neither, ``ParseError``.
* TSV (the default ASCII writer). A data line alone cannot be read: its columns are named only by
  the ``#fields``/``#types`` header lines at the top of the file. So a TSV record is a batch:
  the header lines (``#separator``, ``#set_separator``, ``#empty_field``, ``#unset_field``,
  ``#path``, ``#fields``, ``#types``; ``#open``/``#close`` and ``##`` comments are skipped)
  followed by any number of data lines — a whole file, or a chunk of one with the header
  repeated in front, as a shipper sends it (e.g. one HTTP ingest POST per file chunk). Each data
  line gives one document; a header may also start again inside the batch (files concatenated).
  Data lines before any ``#fields`` header give ``ParseError`` (the whole record is dead-lettered,
  its text kept). A data line whose column count differs from its header still gives a document,
  with ``event.kind`` ``pipeline_error`` and ``error.message`` saying so, so that the count of
  data lines in equals the count of documents out.

Each document's ``event.original`` is its own line (the JSON line, or the TSV data line), not the
whole batch the record carried.

TSV values follow ``#types``: ``-`` is unset (absent), ``(empty)`` an empty string or list;
``count``/``int``/``port`` become integers, ``double``/``interval`` floats, ``time`` UTC ISO 8601
(``ts`` becomes ``@timestamp``), ``bool`` ``T``/``F`` booleans, ``set[...]``/``vector[...]``
lists split on the set separator; ``\\xHH`` and ``\\\\`` escapes are undone. A value that does
not fit its type is kept as written (Zeek's test baselines write ``XXXXXXXXXX.XXXXXX`` times).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import orjson

from services.normalizer.parsers import zeek_logs
from services.normalizer.parsers.base import Doc, ParseContext, ParseError

_ESCAPE = re.compile(r"\\(x[0-9A-Fa-f]{2}|\\)")
_CONTAINER = re.compile(r"(?:set|vector|table)\[(.*)\]")
_DECIMAL = re.compile(r"-?[0-9]{1,20}")
_MIN, _MAX = -(2**63), 2**64 - 1  # Zeek's int and count: what a JSON encoder can write
_REAL = re.compile(r"-?[0-9]{1,20}(?:\.[0-9]{1,9})?")  # no exponent, NaN or infinity
_INTEGER = frozenset({"count", "int", "port"})
_FLOAT = frozenset({"double", "interval"})


def parse(text: str, ctx: ParseContext, *, log: str | None = None) -> list[Doc]:
    start = text.lstrip()[:1]
    records = _json_records(text, log) if start == "{" else _tsv_records(text, log)
    docs = []
    for path, record, error, line in records:
        doc = zeek_logs.to_doc(path, record, ctx, error)
        doc["event"]["original"] = line
        docs.append(doc)
    return docs


Record = tuple[str, dict[str, Any], str | None, str]  # log type, fields, error, its line


def _json_records(text: str, log: str | None) -> list[Record]:
    records: list[Record] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise ParseError(f"line {number} is not JSON: {exc}") from None
        if not isinstance(record, dict):
            raise ParseError(f"line {number} is not a JSON object")
        path = record.pop("_path", None)
        path = path if isinstance(path, str) and path else log
        if path is None:
            raise ParseError("Zeek JSON record without _path: give the log type as zeek.<log>")
        records.append((path, record, None, line))
    return records


class _Header:
    """The state the TSV header lines set; data lines are read with it."""

    def __init__(self, log: str | None) -> None:
        self.separator, self.set_separator = "\t", ","
        self.empty, self.unset = "(empty)", "-"
        self.path = log
        self.fields: list[str] | None = None
        self.types: list[str] = []

    def read(self, line: str) -> None:
        name, value = _directive(line, self.separator)
        if name == "separator":
            self.separator = _unescape(value)
        elif name == "set_separator":
            self.set_separator = _unescape(value)
        elif name == "empty_field":
            self.empty = value
        elif name == "unset_field":
            self.unset = value
        elif name == "path" and value:
            self.path = value
        elif name == "fields":
            self.fields, self.types = value.split(self.separator), []
        elif name == "types":
            self.types = value.split(self.separator)


def _directive(line: str, separator: str) -> tuple[str, str]:
    # "#separator \x09" uses a space: the separator is not known yet when it is written.
    for mark in (separator, " "):
        name, found, value = line[1:].partition(mark)
        if found:
            return name, value
    return line[1:], ""


def _tsv_records(text: str, log: str | None) -> list[Record]:
    header = _Header(log)
    records: list[Record] = []
    for line in _lines(text):
        if line.startswith("#"):
            header.read(line)
            continue
        if header.fields is None:
            raise ParseError(
                "Zeek TSV data without its #fields header: send the header lines with the data"
            )
        if header.path is None:
            raise ParseError("Zeek TSV without #path: give the log type as zeek.<log>")
        records.append(_tsv_record(header, line))
    if not records:
        raise ParseError("no Zeek data line (only header or comment lines)")
    return records


def _lines(text: str) -> Iterator[str]:
    for line in text.splitlines():
        line = line.rstrip("\r")
        if line:
            yield line


def _tsv_record(header: _Header, line: str) -> Record:
    assert header.fields is not None and header.path is not None
    columns = line.split(header.separator)
    error = None
    if len(columns) != len(header.fields):
        error = f"Zeek line has {len(columns)} columns, its #fields header {len(header.fields)}"
    types = header.types if len(header.types) == len(header.fields) else []
    record: dict[str, Any] = {}
    for n, (name, raw) in enumerate(zip(header.fields, columns, strict=False)):
        if raw == header.unset:
            continue
        record[name] = _value(raw, types[n] if types else "string", header)
    return header.path, record, error, line


def _value(raw: str, zeek_type: str, header: _Header) -> Any:
    container = _CONTAINER.fullmatch(zeek_type)
    if container:
        if raw == header.empty:
            return []
        return [_scalar(item, container.group(1)) for item in raw.split(header.set_separator)]
    if raw == header.empty:
        return ""
    return _scalar(raw, zeek_type)


def _scalar(raw: str, zeek_type: str) -> Any:
    text = _unescape(raw) if "\\" in raw else raw
    if zeek_type in _INTEGER and _DECIMAL.fullmatch(text) and _MIN <= int(text) <= _MAX:
        return int(text)
    if zeek_type in _FLOAT and _REAL.fullmatch(text):
        return float(text)
    if zeek_type == "time" and _REAL.fullmatch(text):
        return zeek_logs.epoch_iso(float(text)) or text
    if zeek_type == "bool" and text in ("T", "F"):
        return text == "T"
    return text


def _unescape(value: str) -> str:
    return _ESCAPE.sub(
        lambda m: "\\" if m.group(1) == "\\" else chr(int(m.group(1)[1:], 16)), value
    )
