"""Agency export files: check them, read them row by row (with line numbers), and write them.

A row whose text is not UTF-8, or with a cell (a JSONL line) over `MAX_CELL_CHARS`, is a bad
row like any other: `ExportRow.build` raises `RowError` naming the column. A file that is not
text at all (a NUL byte), of an unknown type or without the documented header is refused by
`check_export` before anything is sent. A rejects file (the columns plus ``line`` and
``reason``) can be published again once fixed: those two columns are ignored.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from pydantic import BaseModel

from plumbing.errors import UsageError
from schemas.adapters import AgencyAdapter
from schemas.common import ValidationClock

__all__ = [
    "MAX_CELL_CHARS",
    "REJECT_COLUMNS",
    "ExportRow",
    "RowError",
    "check_export",
    "count_rows",
    "read_export",
    "write_export",
]

MAX_CELL_CHARS = 64 * 1024
"""The longest CSV cell (or JSONL line) a row may have; longer, the row is rejected."""
REJECT_COLUMNS = ("line", "reason")
"""The columns a rejects file adds to the export's own (ignored when it is published again)."""
_SUFFIXES = {".csv", ".jsonl", ".ndjson"}
_SNIFF_BYTES = 64 * 1024
_ENCODING = "utf-8-sig"
"""UTF-8, with a leading byte order mark (Excel's "CSV UTF-8" writes one) skipped."""


class RowError(ValueError):
    """A row that cannot be read: which column (or ``record``) and what is wrong."""

    def __init__(self, column: str, problem: str) -> None:
        super().__init__(f"{column}: {problem}")
        self.column = column
        self.problem = problem


@dataclass(frozen=True, slots=True)
class ExportRow:
    """One row of an export: its line number, its cells as read, and how to build the model."""

    line: int
    cells: dict[str, str] | str
    """A CSV row's cells, or a JSONL line's text."""
    adapter: AgencyAdapter

    def build(self, clock: ValidationClock) -> BaseModel:
        """The validated model; raises pydantic's ValidationError, `RowError` or ValueError."""
        if isinstance(self.cells, dict):
            for column, text in self.cells.items():
                _check_text(column or "record", text)
            return self.adapter.from_csv_row(self.cells, clock)
        _check_text("record", self.cells)
        try:
            obj = json.loads(self.cells)
        except json.JSONDecodeError as exc:
            raise RowError("record", f"not JSON: {exc.msg} at column {exc.colno}") from None
        if not isinstance(obj, dict):
            raise RowError("record", "a JSONL line must be a JSON object")
        return self.adapter.from_dict(obj, clock)

    @property
    def raw(self) -> bytes:
        """The row's bytes as read (a CSV row as a JSON object), for the dead letters."""
        if isinstance(self.cells, dict):
            return json.dumps(self.cells, separators=(",", ":")).encode()
        return self.cells.encode("utf-8", "surrogateescape")


def _check_text(column: str, text: str | list[str] | None) -> None:
    """`RowError` if a cell is over the limit or holds bytes that are not UTF-8."""
    if not isinstance(text, str):
        return  # a short row's missing cells (None); the contract names them
    if len(text) > MAX_CELL_CHARS:
        raise RowError(column, f"cell longer than {MAX_CELL_CHARS:,} characters")
    bad = next((c for c in text if "\udc80" <= c <= "\udcff"), None)
    if bad is not None:
        raise RowError(column, f"not UTF-8 text (byte 0x{ord(bad) - 0xDC00:02x})")


def check_export(path: Path, adapter: AgencyAdapter) -> None:
    """`UsageError` in one line unless ``path`` is a readable CSV or JSONL text export (with
    every documented column, for a CSV): checked before anything is sent."""
    suffix = path.suffix.lower()
    if suffix not in _SUFFIXES:
        raise UsageError(f"{path}: unknown export type {suffix!r}; use .csv or .jsonl")
    try:
        with path.open("rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except OSError as exc:
        raise UsageError(f"{path}: cannot be read ({exc.strerror})") from None
    if b"\0" in head:
        raise UsageError(f"{path}: not a text file (a NUL byte at offset {head.index(0)})")
    if suffix == ".csv":
        with path.open(newline="", encoding=_ENCODING, errors="surrogateescape") as handle:
            _header(csv.DictReader(handle), adapter, path)


def read_export(path: Path, adapter: AgencyAdapter) -> Iterator[ExportRow]:
    """Each row of a CSV or JSONL export, with its line number."""
    check_export(path, adapter)
    suffix = path.suffix.lower()
    with path.open(newline="", encoding=_ENCODING, errors="surrogateescape") as handle:
        yield from (
            _csv_rows(handle, adapter) if suffix == ".csv" else _jsonl_rows(handle, adapter)
        )


def count_rows(path: Path) -> int:
    """Rows in an export (lines, less a CSV header): the total of the progress bar."""
    with path.open("rb") as handle:
        lines = sum(1 for line in handle if line.strip())
    return lines - 1 if path.suffix.lower() == ".csv" else lines


def _header(reader: csv.DictReader[str], adapter: AgencyAdapter, path: Path) -> list[str]:
    """The CSV's columns; `UsageError` naming those the header lacks, and any it has that the
    contract does not (every row would be rejected for them), but a rejects file's own."""
    try:
        fields = list(reader.fieldnames or ())
    except csv.Error as exc:
        raise UsageError(f"{path}: the header is not CSV ({exc})") from None
    missing = [c for c in adapter.csv_columns if c not in fields]
    if missing:
        named = ", ".join(missing[:4]) + (f" and {len(missing) - 4} more" if missing[4:] else "")
        raise UsageError(
            f"{path}: the CSV header lacks {named} "
            f"(`mash schemas template {adapter.name} FILE` writes the header)"
        )
    known = {*adapter.csv_columns, *REJECT_COLUMNS}
    twice = sorted({c for c in fields if fields.count(c) > 1 and c})
    if twice:
        raise UsageError(
            f"{path}: the CSV header names {', '.join(twice)} more than once; "
            "keep one column of each name"
        )
    if "" in fields:
        raise UsageError(
            f"{path}: the CSV header has an unnamed column (column {fields.index('') + 1}: "
            f"a trailing comma?); remove it"
        )
    unknown = [c for c in fields if c not in known]
    if unknown:
        named = ", ".join(unknown[:4]) + (f" and {len(unknown) - 4} more" if unknown[4:] else "")
        raise UsageError(
            f"{path}: the CSV header has columns the contract does not have: {named}; "
            f"remove them (`mash schemas list --kind {adapter.name}` lists its columns)"
        )
    return fields


def _csv_rows(handle: IO[str], adapter: AgencyAdapter) -> Iterator[ExportRow]:
    """Each row with the line it starts on (a blank line is skipped but counted, and a row
    whose quoted cell spans lines starts on its first), its cells by column as
    ``csv.DictReader`` gives them (cells past the header under None, missing ones None)."""
    csv.field_size_limit(max(csv.field_size_limit(), 1 << 28))  # a long cell rejects its row
    reader = csv.reader(handle)
    fields = next(reader, [])
    ignored = [c for c in REJECT_COLUMNS if c not in adapter.csv_columns]
    line = reader.line_num
    for cells in reader:
        start, line = line + 1, reader.line_num
        if not cells:  # a blank line
            continue
        row: dict[str | None, str | list[str] | None] = dict(zip(fields, cells, strict=False))
        if len(cells) > len(fields):
            row[None] = cells[len(fields) :]
        for column in fields[len(cells) :]:
            row[column] = None
        for column in ignored:
            row.pop(column, None)
        yield ExportRow(start, row, adapter)  # type: ignore[arg-type]  # DictReader's shape


def _jsonl_rows(handle: IO[str], adapter: AgencyAdapter) -> Iterator[ExportRow]:
    for number, text in enumerate(handle, start=1):
        if text.strip():
            yield ExportRow(number, text.rstrip("\n"), adapter)


def write_export(path: Path, adapter: AgencyAdapter, records: Iterable[BaseModel]) -> int:
    """Write records as an export (CSV or JSONL by the suffix); return the rows written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        if path.suffix.lower() == ".csv":
            writer = csv.DictWriter(handle, fieldnames=adapter.csv_columns)
            writer.writeheader()
            for record in records:
                writer.writerow(adapter.to_csv_row(record))
                rows += 1
        else:
            for record in records:
                handle.write(adapter.to_json(record) + "\n")
                rows += 1
    return rows
