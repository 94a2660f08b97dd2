"""Benchmarks that print figures (never timed tests): `mash bench publish`."""

from __future__ import annotations

import datetime as dt
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from mash.console import console, progress
from mash.settings import PublisherSettings, WorkerSettings
from producers.adapters import adapter_for
from producers.exports import read_export
from producers.publisher import Publisher
from producers.samples import write_sample
from schemas.common import ValidationClock
from schemas.framing import encode

__all__ = ["bench_hub", "bench_publish", "settings_env"]


def bench_publish(settings: PublisherSettings, rows: int) -> dict[str, float]:
    """Publish a ``rows``-row police CSV to fresh topics; print rows/s and event sizes."""
    settings = settings.model_copy(update={"topic_prefix": f"bench-{uuid.uuid4().hex[:8]}"})
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "police.csv"
        with console.status(f"Writing a {rows:,}-row police export…"):
            write_sample("police", path, rows, 100, dt.date(2012, 4, 1), dt.date(2013, 4, 1))
        sizes = _wire_sizes(path)
        publisher = Publisher(
            PublisherSettings(**settings.model_dump(include=set(PublisherSettings.model_fields)))
        )
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


def bench_hub(settings: WorkerSettings, events: int) -> dict[str, float]:
    """The whole chain on one worker over a backlog of simulated agency events.

    Events (with the simulated year's noise) are published first; the worker then starts
    and the clock runs from its first ready moment until every topic it consumes is drained.
    """
    from mash.demo import wait_until_drained, wait_until_ready, worker_process
    from producers.publisher import subject_key
    from producers.simulation import simulate
    from schemas.contracts import AGENCY_CONTRACTS
    from schemas.framing import encode as frame

    tag = uuid.uuid4().hex[:8]
    settings = settings.model_copy(
        update={"topic_prefix": f"bench-{tag}", "app_id": f"bench-{tag}"}
    )
    with console.status("Generating the stream…"):
        sim = simulate("havering-2012", seed=11)
        everything: list[Any] = [e for kind in sim.events.values() for e in kind]
        stream = sorted(everything, key=lambda e: e.reported_at)[:events]
    by_type = {c.model.EVENT_TYPE: c for c in AGENCY_CONTRACTS}
    publisher = Publisher(
        PublisherSettings(**settings.model_dump(include=set(PublisherSettings.model_fields)))
    )
    try:
        with console.status(f"Publishing {len(stream):,} events…"):
            for e in stream:
                contract = by_type[e.event_type]
                topic = settings.topic(contract.topic)
                publisher.producer.send(topic, key=subject_key(e), value=frame(contract, e))
            publisher.producer.flush(timeout=120)
    finally:
        publisher.close()
    env = {**settings_env(settings), "MASH_LOG_LEVEL": "WARNING"}
    with tempfile.TemporaryDirectory() as tmp, worker_process(env, Path(tmp) / "w.log") as w:
        wait_until_ready(settings, w)
        started = time.perf_counter()
        wait_until_drained(settings, len(stream), w)
        seconds = time.perf_counter() - started
        peak_mb = _peak_rss_mb(w.pid)
    figures = {
        "events": len(stream),
        "seconds": seconds,
        "events_per_s": len(stream) / seconds,
        "peak_rss_mb": peak_mb,
    }
    console.print(
        f"{len(stream):,} events through validate, dedupe, link, episodes, audit and "
        f"the sinks in {seconds:.1f}s: [bold]{figures['events_per_s']:,.0f} events/s"
        f"[/bold] on one worker; worker peak memory {peak_mb:,.0f} MB"
    )
    return figures


def settings_env(settings: PublisherSettings | WorkerSettings) -> dict[str, str]:
    """The environment that gives a child process these settings."""
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("MASH_")}
    for name, value in settings.model_dump().items():
        if value is not None:
            secret = getattr(value, "get_secret_value", None)
            env[f"MASH_{name.upper()}"] = str(secret() if secret else value)
    return env


def _peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")
