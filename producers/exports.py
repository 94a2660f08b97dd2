"""Agency export files: read them row by row (with line numbers), and write them."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO

from pydantic import BaseModel

from mash.errors import PublishError
from producers.adapters import AgencyAdapter
from schemas.common import ValidationClock

__all__ = ["Row", "count_rows", "read_export", "write_export"]

Row = tuple[int, bytes, Callable[[ValidationClock], BaseModel]]


def read_export(path: Path, adapter: AgencyAdapter) -> Iterator[Row]:
    """Each row of a CSV or JSONL export: line number, original bytes, and a model builder."""
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


def _csv_rows(handle: IO[str], adapter: AgencyAdapter) -> Iterator[Row]:
    reader = csv.DictReader(handle)
    missing = set(adapter.csv_columns) - set(reader.fieldnames or ())
    if missing:
        raise PublishError(f"CSV header lacks columns: {', '.join(sorted(missing))}")
    line = reader.line_num
    for row in reader:
        raw = json.dumps(row, separators=(",", ":")).encode()
        yield line + 1, raw, lambda clock, row=row: adapter.from_csv_row(row, clock)  # type: ignore[misc]  # default binds the row
        line = reader.line_num


def _jsonl_rows(handle: IO[str], adapter: AgencyAdapter) -> Iterator[Row]:
    for number, text in enumerate(handle, start=1):
        if not text.strip():
            continue
        yield (
            number,
            text.rstrip("\n").encode(),
            lambda clock, text=text: _from_json(  # type: ignore[misc]  # default binds the line
                text, adapter, clock
            ),
        )


def _from_json(text: str, adapter: AgencyAdapter, clock: ValidationClock) -> BaseModel:
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc.msg} at column {exc.colno}") from None
    if not isinstance(obj, dict):
        raise ValueError("a JSONL line must be a JSON object")
    return adapter.from_dict(obj, clock)


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
