"""Rejected rows: why each was refused (column and problem), a summary by reason, and the
rejects file an agency fixes and publishes again (its columns plus ``line`` and ``reason``)."""

from __future__ import annotations

import base64
import csv
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from schemas.exports import REJECT_COLUMNS, RowError

__all__ = ["FIRST_LINES", "ReasonCount", "Rejection", "problems_of", "summarise", "write_rejects"]

FIRST_LINES = 5
"""How many line numbers a summary shows for each reason."""


@dataclass(frozen=True)
class Rejection:
    """A row that was not published: where it was, why, and its original cells or text."""

    line: int
    problems: tuple[tuple[str, str], ...]
    """(column or field, what is wrong) for each problem the row has; never the value."""
    raw: bytes
    cells: dict[str, str] | None = None
    """A CSV row's cells as read (None for a JSONL line)."""

    @property
    def reason(self) -> str:
        """Every problem as 'field: problem', joined by '; '."""
        return "; ".join(f"{where}: {what}" for where, what in self.problems)


@dataclass
class ReasonCount:
    """How many rows one problem of one field rejected, and the first of their lines."""

    column: str
    """The column (CSV) or field path (JSONL), or ``record`` for the whole row."""
    problem: str
    rows: int = 0
    lines: list[int] = field(default_factory=list)


def problems_of(exc: Exception) -> tuple[tuple[str, str], ...]:
    """What a row's build error says, as (field, problem) pairs without input values."""
    if isinstance(exc, ValidationError):
        return tuple(
            (
                ".".join(str(p) for p in err["loc"]) or "record",
                # a blank cell of a field that must have a value (the value is never kept)
                "required: the value is blank"
                if err["input"] is None and err["type"].endswith("_type")
                else err["msg"].removeprefix("Value error, "),
            )
            for err in exc.errors(include_url=False)
        )
    if isinstance(exc, RowError):
        return ((exc.column, exc.problem),)
    return (("record", str(exc)),)


def summarise(rejected: Iterable[Rejection]) -> list[ReasonCount]:
    """One count per (field, problem), most rows first, with the first `FIRST_LINES` lines."""
    counts: dict[tuple[str, str], ReasonCount] = {}
    for rejection in rejected:
        for where, what in dict.fromkeys(rejection.problems):
            count = counts.setdefault((where, what), ReasonCount(where, what))
            count.rows += 1
            if len(count.lines) < FIRST_LINES:
                count.lines.append(rejection.line)
    return sorted(counts.values(), key=lambda c: (-c.rows, c.column, c.problem))


def write_rejects(rejected: list[Rejection], source: Path, directory: Path) -> Path:
    """Write the rejects file (mode 0600) beside the others and return its path: for a CSV,
    the original columns plus ``line`` and ``reason``; for JSONL, one object per line with
    ``line``, ``reason`` and the original ``text`` (see `_text`)."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    csv_rows = [r.cells for r in rejected if r.cells is not None]
    suffix = ".rejects.csv" if csv_rows else ".rejects.jsonl"
    out = directory / f"{source.name}{suffix}"
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an older rejects file may have been looser
    with open(fd, "w", newline="", encoding="utf-8", errors="surrogateescape") as handle:
        if csv_rows:
            columns = [c for c in csv_rows[0] if c not in REJECT_COLUMNS]
            writer = csv.DictWriter(handle, [*columns, *REJECT_COLUMNS], extrasaction="ignore")
            writer.writeheader()
            for r in rejected:
                writer.writerow({**(r.cells or {}), "line": r.line, "reason": r.reason})
        else:
            for r in rejected:
                handle.write(json.dumps({"line": r.line, "reason": r.reason, **_text(r.raw)}))
                handle.write("\n")
    return out


def _text(raw: bytes) -> dict[str, str]:
    """A JSONL line as its rejects object holds it: ``text``; for a line that is not UTF-8,
    ``text`` with U+FFFD for each bad byte and the exact bytes in ``base64`` (JSON holds
    only Unicode, and a lone surrogate escape is read differently by each parser)."""
    try:
        return {"text": raw.decode("utf-8")}
    except UnicodeDecodeError:
        return {
            "text": raw.decode("utf-8", "replace"),
            "base64": base64.b64encode(raw).decode("ascii"),
        }
