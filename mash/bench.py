"""Benchmarks that print figures (never timed tests): `mash bench publish`."""

from __future__ import annotations

import datetime as dt
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from mash.console import console, progress
from mash.settings import PublisherSettings
from producers.adapters import adapter_for
from producers.exports import read_export
from producers.publisher import Publisher
from producers.samples import write_sample
from schemas.common import ValidationClock
from schemas.framing import encode

__all__ = ["bench_publish"]


def bench_publish(settings: PublisherSettings, rows: int) -> dict[str, float]:
    """Publish a ``rows``-row police CSV to fresh topics; print rows/s and event sizes."""
    settings = settings.model_copy(update={"topic_prefix": f"bench-{uuid.uuid4().hex[:8]}"})
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "police.csv"
        with console.status(f"Writing a {rows:,}-row police export…"):
            write_sample("police", path, rows, 100, dt.date(2012, 4, 1), dt.date(2013, 4, 1))
        sizes = _wire_sizes(path)
        publisher = Publisher(settings)
        try:
            with progress() as bar:
                task = bar.add_task("Publishing", total=rows)
                started = time.perf_counter()
                report = publisher.publish_file("police", path, lambda n: bar.advance(task, n))
                seconds = time.perf_counter() - started
        finally:
            publisher.close()
    figures = {
        "rows": rows,
        "seconds": seconds,
        "rows_per_s": report.published / seconds,
        "bytes_median": statistics.median(sizes),
        "bytes_mean": statistics.fmean(sizes),
        "file_bytes_per_row": path.stat().st_size / rows if path.exists() else 0.0,
    }
    console.print(
        f"published {report.published:,} rows in {seconds:.2f}s: "
        f"[bold]{figures['rows_per_s']:,.0f} rows/s[/bold] (read, validate, encode, "
        f"send with acks=all, idempotent)\nevent on the wire: median "
        f"{figures['bytes_median']:.0f} bytes, mean {figures['bytes_mean']:.0f} bytes "
        f"(Avro single-object framing, 10-byte header)"
    )
    return figures


def _wire_sizes(path: Path, sample: int = 2000) -> list[int]:
    adapter = adapter_for("police")
    sizes = []
    for n, row in enumerate(read_export(path, adapter)):
        if n >= sample:
            break
        sizes.append(len(encode(adapter.contract, row.build(ValidationClock()))))
    return sizes
