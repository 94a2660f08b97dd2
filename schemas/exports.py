"""Agency export files: read them row by row (with line numbers), and write them."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from pydantic import BaseModel

from plumbing.errors import PublishError
from schemas.adapters import AgencyAdapter
from schemas.common import ValidationClock

__all__ = ["ExportRow", "count_rows", "read_export", "write_export"]


@dataclass(frozen=True, slots=True)
class ExportRow:
    """One row of an export: its line number, its cells as read, and how to build the model."""

    line: int
    cells: dict[str, str] | str
    """A CSV row's cells, or a JSONL line's text."""
    adapter: AgencyAdapter

    def build(self, clock: ValidationClock) -> BaseModel:
        """The validated model; raises pydantic's ValidationError or ValueError."""
        if isinstance(self.cells, dict):
            return self.adapter.from_csv_row(self.cells, clock)
        try:
            obj = json.loads(self.cells)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not JSON: {exc.msg} at column {exc.colno}") from None
        if not isinstance(obj, dict):
            raise ValueError("a JSONL line must be a JSON object")
        return self.adapter.from_dict(obj, clock)

    @property
    def raw(self) -> bytes:
        """The row as it was read (a CSV row as a JSON object), for rejects and dead letters."""
        if isinstance(self.cells, dict):
            return json.dumps(self.cells, separators=(",", ":")).encode()
        return self.cells.encode()


def read_export(path: Path, adapter: AgencyAdapter) -> Iterator[ExportRow]:
    """Each row of a CSV or JSONL export, with its line number."""
    suffix = path.suffix.lower()
    if suffix not in {".csv", ".jsonl", ".ndjson"}:
        raise PublishError(f"{path}: unknown export type {suffix!r} (expected .csv or .jsonl)")
    with path.open(newline="", encoding="utf-8") as handle:
        yield from (
            _csv_rows(handle, adapter) if suffix == ".csv" else _jsonl_rows(handle, adapter)
        )


def count_rows(path: Path) -> int:
    """Rows in an export (lines, less a CSV header): the total of the progress bar."""
    with path.open("rb") as handle:
        lines = sum(1 for line in handle if line.strip())
    return lines - 1 if path.suffix.lower() == ".csv" else lines


def _csv_rows(handle: IO[str], adapter: AgencyAdapter) -> Iterator[ExportRow]:
    reader = csv.DictReader(handle)
    missing = set(adapter.csv_columns) - set(reader.fieldnames or ())
    if missing:
        raise PublishError(f"CSV header lacks columns: {', '.join(sorted(missing))}")
    line = reader.line_num
    for row in reader:
        yield ExportRow(line + 1, row, adapter)
        line = reader.line_num


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
