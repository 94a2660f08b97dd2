"""Sample agency exports for demos and tests, with known bad rows and exact re-sends."""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from plumbing.errors import UsageError
from schemas.adapters import adapter_for
from simulation.synthetic import INVALIDATIONS, police_notifications

__all__ = ["SAMPLE_KINDS", "SampleExport", "write_sample"]

SAMPLE_KINDS = ("police",)
"""The export kinds `write_sample` can generate."""


@dataclass(frozen=True)
class SampleExport:
    """What a sample file holds, so a test can check the hub against it."""

    path: Path
    rows: int
    invalid_lines: list[int] = field(default_factory=list)
    duplicate_lines: list[int] = field(default_factory=list)
    contacts_by_month: Counter[str] = field(default_factory=Counter)


def write_sample(
    agency: str,
    out: Path,
    count: int,
    seed: int,
    start: dt.date,
    end: dt.date,
    invalid: int = 0,
    duplicates: int = 0,
) -> SampleExport:
    """Write ``count`` rows: ``invalid`` bad ones, ``duplicates`` exact re-sends, the rest new."""
    if agency not in SAMPLE_KINDS:
        raise UsageError(
            f"no sample generator for kind {agency!r}: use one of {', '.join(SAMPLE_KINDS)}"
        )
    if invalid + duplicates > count:
        raise ValueError("invalid + duplicates cannot exceed count")
    adapter = adapter_for(agency)
    rng = random.Random(seed)
    unique = list(police_notifications(count - invalid - duplicates, seed, start, end))
    rows = [adapter.to_csv_row(r) for r in unique]
    bad = [adapter.to_csv_row(r) for r in police_notifications(invalid, seed + 1, start, end)]
    for n, row in enumerate(bad):
        column, value, _ = INVALIDATIONS[n % len(INVALIDATIONS)]
        row[column] = value
    kinds = ["ok"] * len(rows) + ["bad"] * len(bad)
    rows += bad
    repeats = [rng.randrange(len(unique)) for _ in range(duplicates)] if unique else []
    rows += [rows[i] for i in repeats]
    kinds += ["dup"] * len(repeats)
    order = list(range(len(rows)))
    rng.shuffle(order)
    # a re-send must come after its original: put each duplicate after the first row it copies
    order.sort(key=lambda i: kinds[i] == "dup")
    return _write(
        out,
        adapter.csv_columns,
        rows,
        kinds,
        order,
        Counter(f"{r.reported_at:%Y-%m}" for r in unique),
    )


def _write(
    out: Path,
    columns: list[str],
    rows: list[dict[str, str]],
    kinds: list[str],
    order: list[int],
    by_month: Counter[str],
) -> SampleExport:
    out.parent.mkdir(parents=True, exist_ok=True)
    export = SampleExport(out, len(rows), contacts_by_month=by_month)
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for line, i in enumerate(order, start=2):
            writer.writerow(rows[i])
            if kinds[i] == "bad":
                export.invalid_lines.append(line)
            elif kinds[i] == "dup":
                export.duplicate_lines.append(line)
    return export
