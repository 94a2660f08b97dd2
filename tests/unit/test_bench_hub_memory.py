"""`mash bench hub`'s memory a record: the streams' resident growth over the drain's second
half, read from the worker's log."""

from __future__ import annotations

import json
import math
from pathlib import Path

from mash.bench import _grown_per_record


def _log(tmp_path: Path, rows: list[tuple[int, int | None]]) -> Path:
    path = tmp_path / "worker.log"
    lines = [json.dumps({"event": "linkage.batch", "records": 1})]  # another event: ignored
    lines += [
        json.dumps({"event": "linkage.index", "records": r, "persons": r, "resident_mb": mb})
        for r, mb in rows
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_the_growth_is_measured_from_the_first_line_at_half_the_records(tmp_path: Path) -> None:
    # 300 MB of buffers filled in the first minutes, then 1 MB for each 1,000 records
    rows = [(1_000, 200), (20_000, 500), (50_000, 530), (80_000, 560), (100_000, 580)]
    assert _grown_per_record(_log(tmp_path, rows)) == 50 * 1024 * 1024 / 50_000


def test_a_line_without_memory_is_skipped(tmp_path: Path) -> None:
    rows = [(10_000, 300), (60_000, None), (70_000, 330), (100_000, 360)]
    assert _grown_per_record(_log(tmp_path, rows)) == 30 * 1024 * 1024 / 30_000


def test_too_short_a_span_gives_no_figure(tmp_path: Path) -> None:
    assert math.isnan(_grown_per_record(_log(tmp_path, [])))
    assert math.isnan(_grown_per_record(_log(tmp_path, [(100, 300)])))
    assert math.isnan(
        _grown_per_record(_log(tmp_path, [(1_000, 300), (90_000, 320), (100_000, 330)]))
    )
