"""Benchmarks that print figures (never timed tests): `mash bench publish`."""

from __future__ import annotations

import datetime as dt
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from mash.access import set_up
from mash.console import console, progress
from plumbing.kafka import credentials, kafka_python_config
from plumbing.processes import sinks_of
from plumbing.settings import PublisherSettings, WorkerSettings
from producers.publisher import Publisher
from schemas.adapters import adapter_for
from schemas.common import ValidationClock
from schemas.exports import read_export
from schemas.framing import encode
from simulation.samples import write_sample

__all__ = ["bench_hub", "bench_latency", "bench_publish", "settings_env"]


def bench_publish(settings: PublisherSettings, rows: int) -> dict[str, float]:
    """Publish a ``rows``-row police CSV to fresh topics; print rows/s and event sizes."""
    settings = settings.model_copy(update={"topic_prefix": f"bench-{uuid.uuid4().hex[:8]}"})
    set_up(WorkerSettings(**settings.model_dump(include=set(WorkerSettings.model_fields))))
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


def _stream(source: str, events: int, children: int | None = None) -> list[Any]:
    """The benchmark's events: the simulated year's mix, or police notifications of a large
    population (one child per three events), in the order they were reported."""
    from simulation.synthetic import police_notifications
    from simulation.year import simulate

    if source == "police":
        start = dt.date(2012, 4, 1)
        return list(
            police_notifications(events, 11, start, dt.date(2013, 4, 1), children_count=children)
        )
    sim = simulate("havering-2012", seed=11)
    everything: list[Any] = [e for kind in sim.events.values() for e in kind]
    return sorted(everything, key=lambda e: e.reported_at)[:events]


def _send(settings: WorkerSettings, stream: list[Any], pace_s: float = 0.0) -> dict[str, float]:
    """Publish the stream keyed by child (paced at ``pace_s`` a event); return send times."""
    from producers.publisher import subject_key
    from schemas.contracts import AGENCY_CONTRACTS
    from schemas.framing import encode as frame

    by_type = {c.model.EVENT_TYPE: c for c in AGENCY_CONTRACTS}
    publisher = Publisher(
        PublisherSettings(**settings.model_dump(include=set(PublisherSettings.model_fields)))
    )
    sent: dict[str, float] = {}
    try:
        started = time.perf_counter()
        for n, e in enumerate(stream):
            if pace_s:
                time.sleep(max(0.0, started + n * pace_s - time.perf_counter()))
            contract = by_type[e.event_type]
            sent[str(e.event_id)] = time.perf_counter()
            publisher.producer_for(contract.topic).send(
                settings.topic(contract.topic),
                key=subject_key(e, publisher.key_secret),
                value=frame(contract, e),
            )
            if pace_s:
                publisher.flush()
        publisher.flush(timeout=120)
    finally:
        publisher.close()
    return sent


def _isolated(settings: WorkerSettings) -> WorkerSettings:
    """Settings of fresh topics, group and web port and, on the embedded default, a database
    of its own (``$MASH_HOME/bench/bench-<tag>.db``), so a benchmark disturbs nothing and
    nothing disturbs it: before 2026-12-07 its sinks wrote into the hub's own SQLite
    database, among its facts and under its stored figures (a run after a million-event one
    recomputed no figures while it drained: the stored ones' gap was 11 minutes). A
    configured database (``MASH_DATABASE_URL``) is used as configured, and said so."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    tag = f"bench-{uuid.uuid4().hex[:8]}"
    update: dict[str, Any] = {"topic_prefix": tag, "app_id": tag, "web_port": port}
    if settings.database_url is None:
        database = settings.home / "bench" / f"{tag}.db"
        update["database_url"] = SecretStr(f"sqlite:///{database}")
        console.print(f"the benchmark's database: {database}")
    else:
        console.print("the benchmark's database: the configured one (MASH_DATABASE_URL)")
    return settings.model_copy(update=update)


def _log(settings: WorkerSettings) -> Path:
    """Where the benchmark's worker logs (kept, to read after a failure)."""
    return settings.home / "logs" / f"{settings.app_id}.log"


RESTARTS = {
    "stop": "a clean stop",
    "kill": "a kill -9",
    "fresh": "a clean stop, on a new store",
}
"""How ``bench_hub --restart`` ends the first worker and starts the second: SIGTERM (a clean
stop, which saves the linkage index), SIGKILL (the index as last saved, the rest of the
table its tail), or SIGTERM and a second worker with an empty data directory (as a new
owner of the partitions, or after a lost disk: every changelog read, the index rebuilt)."""


def bench_hub(
    settings: WorkerSettings,
    events: int,
    source: str = "year",
    children: int | None = None,
    restart: str | None = None,
    restarts: int = 1,
    between: int = 0,
) -> dict[str, float]:
    """The whole chain on one worker over a backlog of agency events.

    Events (with their noise) are published first; the worker then starts and the clock runs
    from its first ready moment until every topic it consumes is drained. With ``restart``
    (one of ``RESTARTS``), the drained worker is then ended so and a new one started on its
    store, and one new event, sent as it starts, is timed until its episode is out; that
    ``restarts`` times, a worker before each after the first taking ``between`` new police
    notifications (``_busy_then_ended``): one restart's time is one sample of a spread.
    """
    from mash.demo import wait_until_drained, wait_until_ready, worker_process

    if restart is not None and restart not in RESTARTS:
        raise ValueError(f"--restart must be one of {', '.join(RESTARTS)}, not {restart!r}")
    if restarts < 1 or between < 0:
        raise ValueError(f"--restarts must be 1 or more ({restarts}), --between 0 or more")
    settings = _isolated(settings)
    set_up(settings)
    with console.status("Generating the stream…"):
        stream = _stream(source, events, children)
    with console.status(f"Publishing {len(stream):,} events…"):
        _send(settings, stream)
    events = len(stream)
    del stream  # not held while the worker is measured (4.6 GB at a million events)
    env = {**settings_env(settings), "MASH_LOG_LEVEL": "INFO", "MASH_LOG_FORMAT": "json"}
    admin = settings.as_principal("admin")  # watches the groups' lag
    with worker_process(env, _log(settings)) as w:
        wait_until_ready(admin, w)
        started = time.perf_counter()
        wait_until_drained(admin, events, w, timeout_s=max(900.0, events / 100))
        seconds = time.perf_counter() - started
        peak_mb = _peak_rss_mb(w.pid)
        # the sinks only: a forked index save or snapshot check is the streams' child too
        sinks_mb = sum(_peak_rss_mb(child) for child in sinks_of(w.pid))
        stop_s = _end(w, restart) if restart is not None else 0.0
    persons = _persons(_log(settings))
    # their forked children, apart: a child's peak counts the pages it shares with its parent
    saves_mb = _logged_peak(
        _log(settings), "linkage.snapshot_saved", "linkage.snapshot_saved_at_stop"
    )
    refresh_mb = _logged_peak(_log(settings), "metrics.refresh_ended")
    figures = {
        "events": events,
        "seconds": seconds,
        "events_per_s": events / seconds,
        "peak_rss_mb": peak_mb,
        "sinks_peak_rss_mb": sinks_mb,
        "saves_peak_rss_mb": saves_mb,
        "refresh_peak_rss_mb": refresh_mb,
    }
    console.print(
        f"{events:,} events ({source}) through validate, dedupe, link, episodes, audit "
        f"and the sinks in {seconds:.1f}s: [bold]{figures['events_per_s']:,.0f} events/s"
        f"[/bold] on one worker; peak memory: streams {peak_mb:,.0f} MB"
        + (f" with {persons:,} persons in the index" if persons else "")
        + f", sinks {sinks_mb:,.0f} MB; their forked children (each counting what it shares"
        f" with its parent): the index saves {_mb(saves_mb)}, the figures'"
        f" recomputations {_mb(refresh_mb)}"
    )
    if restart is not None:
        console.print(f"the worker ended ({RESTARTS[restart]}) {stop_s:.1f}s after its signal")
        figures |= {"stop_s": stop_s} | _restart_timed(settings, env, restart, persons)
        figures |= _restarted_again(settings, env, restart, restarts - 1, between, figures)
    return figures


def _restarted_again(
    settings: WorkerSettings,
    env: dict[str, str],
    how: str,
    times: int,
    between: int,
    first: dict[str, float],
) -> dict[str, float]:
    """``times`` more restarts on the store, each after ``_busy_then_ended``; the spread of
    the first new event's seconds over all of them, the ``first`` restart's included
    (nothing if there are no more)."""
    if times < 1:
        return {}
    seen = [first["restart_first_event_s"]]
    for _ in range(times):
        _busy_then_ended(settings, env, how, between)
        seen.append(_restart_timed(settings, env, how, 0)["restart_first_event_s"])
    spread = {
        "restarts": float(len(seen)),
        "restart_first_event_min_s": min(seen),
        "restart_first_event_median_s": statistics.median(seen),
        "restart_first_event_max_s": max(seen),
    }
    console.print(
        f"[bold]{len(seen)} restarts after {RESTARTS[how]}[/bold]"
        + (f", {between:,} new events drained before each after the first" if between else "")
        + ": first new event in an episode "
        + " / ".join(f"{s:.1f}" for s in seen)
        + f"s (median {spread['restart_first_event_median_s']:.1f}s, "
        f"max {spread['restart_first_event_max_s']:.1f}s)"
    )
    return spread


def _busy_then_ended(settings: WorkerSettings, env: dict[str, str], how: str, between: int) -> None:
    """Before a restart after the first: a worker on the store takes ``between`` new police
    notifications (new children, of a seed of their own), drained, and is ended as ``how``
    says, right after the drain (the worst moment for a kill: the last save may lag)."""
    from mash.demo import wait_until_drained, wait_until_ready, worker_process
    from simulation.synthetic import police_notifications

    n = _restarts(settings) + 1  # the restart it comes before
    start = dt.date(2013, 4, 1)
    stream = list(police_notifications(between, 200 + n, start, start + dt.timedelta(days=61)))
    log = _log(settings).with_name(f"{settings.app_id}-busy-{n}.log")
    admin = settings.as_principal("admin")
    with worker_process(env, log) as w:
        wait_until_ready(admin, w)
        if stream:
            _send(settings, stream)
            wait_until_drained(admin, len(stream), w, timeout_s=max(900.0, between / 100))
        _end(w, how)


def _end(worker: Any, how: str) -> float:
    """End the worker as ``how`` says: SIGTERM, waited for as long as a clean stop may take
    (its index save included), or SIGKILL (its sinks, its children, see their parent go).
    Returns the seconds from the signal until it was gone (a stop holds the partitions)."""
    import signal

    started = time.perf_counter()
    worker.send_signal(signal.SIGKILL if how == "kill" else signal.SIGTERM)
    worker.wait(timeout=300)
    return time.perf_counter() - started


def _restart_timed(
    settings: WorkerSettings, env: dict[str, str], how: str, persons: int
) -> dict[str, float]:
    """A new worker on the ended one's store, and one new event sent as it starts: seconds
    from its start until the worker is ready and until the event is in an episode on the
    analysts' topic; what the linkage restore logged (its seconds, from a snapshot or not)."""
    from mash.demo import worker_process
    from simulation.synthetic import police_notifications

    day = dt.date(2013, 3, 31)  # a new child (a seed of its own): nothing like it is indexed
    n = _restarts(settings) + 1  # a second restart on one store sends a new event too
    event = next(police_notifications(1, 98 + n, day, day + dt.timedelta(days=1), children_count=1))
    if how == "fresh":  # an empty store each time
        fresh = f"worker-{settings.app_id}-fresh" + (f"-{n}" if n > 1 else "")
        env = {**env, "MASH_DATA_DIR": str(settings.home / fresh)}
    log = _restart_log(settings, n)
    watch = _EpisodeWatch(settings, str(event.event_id))  # from the topic's end now
    try:
        with worker_process(env, log) as w:
            started, wall = time.perf_counter(), time.time()
            _send(settings, [event])
            seen = watch.until_seen(timeout_s=600, worker=w) - started
    finally:
        watch.close()
    restored = _logged(log, "linkage.restored")
    # Faust's own word that its tables are recovered and it reads (the group's view would
    # still show a killed worker as a member until its session runs out)
    ready = _logged(log, "[^---Recovery]: Worker ready", first=True).get("timestamp")
    ready_s = dt.datetime.fromisoformat(ready).timestamp() - wall if ready else float("nan")
    figures = {"restart_ready_s": ready_s, "restart_first_event_s": seen}
    figures |= {f"restore_{k}": float(restored.get(k) or 0) for k in ("seconds", "records")}
    figures["restore_from_snapshot"] = float(restored.get("snapshot") is not None)
    figures["restore_read_beside"] = float(bool(restored.get("read_beside")))
    figures["caught_up_entries"] = float(_logged_total(log, "store.caught_up", "entries"))
    console.print(
        f"restart after {RESTARTS[how]} with "
        f"{int(figures['restore_records']):,} records"
        + (f" ({persons:,} persons)" if persons else "")
        + " in the index: "
        f"worker ready after {ready_s:.1f}s, [bold]first new event in an episode "
        f"{seen:.1f}s[/bold] after the worker started; the linkage restore took "
        f"{figures['restore_seconds']:.2f}s "
        + ("from the index snapshot" if figures["restore_from_snapshot"] else "rebuilt in full")
        + (", the table read beside its load" if figures["restore_read_beside"] else "")
        + (
            f"; {int(figures['caught_up_entries']):,} changelog entries copied into the stores "
            "before the group"
            if figures["caught_up_entries"]
            else ""
        )
    )
    return figures


def _restarts(settings: WorkerSettings) -> int:
    """How many restarts the bench has timed on this store (each left its log)."""
    n = 0
    while _restart_log(settings, n + 1).exists():
        n += 1
    return n


def _restart_log(settings: WorkerSettings, n: int) -> Path:
    """The log of the store's ``n``th restart, ``<app>-restart-N.log``: what is read from it
    (ready, restored) is that worker's, not an earlier restart's."""
    return _log(settings).parent / f"{settings.app_id}-restart-{n}.log"


def _logged_total(log: Path, event: str, field: str) -> int:
    """The sum of ``field`` over the lines of the worker's JSON log that record ``event``."""
    return sum(int(line.get(field) or 0) for line in _logged_lines(log, event))


def _mb(peak: float) -> str:
    """A child's logged peak, or that none was logged."""
    return f"{peak:,.0f} MB" if peak else "none logged"


def _logged_peak(log: Path, *events: str) -> float:
    """The highest ``peak_mb`` logged with any of ``events`` (0 if none was), in the log and
    the backups its rotation kept."""
    kept = [log, *log.parent.glob(f"{log.name}.[0-9]*")]
    peaks = (
        float(line.get("peak_mb") or 0)
        for f in kept
        for event in events
        for line in _logged_lines(f, event)
    )
    return max(peaks, default=0.0)


def _logged(log: Path, event: str, first: bool = False) -> dict[str, Any]:
    """The last (or ``first``) line of the worker's JSON log that records ``event`` ({} if
    none)."""
    found: dict[str, Any] = {}
    for line in _logged_lines(log, event):
        found = line
        if first:
            break
    return found


def _logged_lines(log: Path, event: str) -> Iterator[dict[str, Any]]:
    """The lines of the worker's JSON log that record ``event``, decoded, in order."""
    import json

    for line in log.read_text().splitlines():
        if f'"{event}"' in line:
            yield json.loads(line)


class _EpisodeWatch:
    """The analysts' episodes topic read (as admin) from its end at creation, until an
    episode snapshot holds one event."""

    def __init__(self, settings: WorkerSettings, event_id: str) -> None:
        from kafka import KafkaConsumer, TopicPartition

        from schemas.contracts import EPISODE
        from schemas.registry import codec_for

        self.event_id = event_id
        self.codec = codec_for(settings)
        admin = settings.as_principal("admin")
        self.consumer = KafkaConsumer(
            **kafka_python_config(credentials(admin)), enable_auto_commit=False
        )
        topic = settings.topic(EPISODE.topic)
        parts = [TopicPartition(topic, p) for p in self.consumer.partitions_for_topic(topic)]
        self.consumer.assign(parts)
        self.consumer.seek_to_end()
        for tp in parts:  # the end now, not when first polled
            self.consumer.position(tp)

    def until_seen(self, timeout_s: float, worker: Any) -> float:
        """perf_counter when the event was first seen in an episode snapshot."""
        from schemas.hub import EpisodeSnapshot

        deadline = time.perf_counter() + timeout_s
        while time.perf_counter() < deadline:
            for records in self.consumer.poll(timeout_ms=50).values():
                now = time.perf_counter()
                for record in records:
                    snapshot = self.codec.decode(record.value) if record.value else None
                    if isinstance(snapshot, EpisodeSnapshot) and any(
                        e.event_id == self.event_id for e in snapshot.events
                    ):
                        return now
            if worker.poll() is not None:
                raise RuntimeError(f"the restarted worker exited ({worker.returncode})")
        raise RuntimeError(f"the new event was in no episode after {timeout_s:.0f}s")

    def close(self) -> None:
        self.consumer.close()


def _persons(log: Path) -> int:
    """Persons in the index when the worker last reported them (its stop line)."""
    return int(_logged(log, "linkage.index").get("persons", 0))


def bench_latency(settings: WorkerSettings, rate: float, seconds: float) -> dict[str, float]:
    """Publish-to-episode latency at a steady rate: each event's send time to the first
    episode snapshot on the analysts' topic that holds it (median and p99)."""
    import threading

    from kafka import KafkaConsumer

    from mash.demo import wait_until_ready, worker_process
    from schemas.contracts import EPISODE
    from schemas.hub import EpisodeSnapshot
    from schemas.registry import codec_for

    settings = _isolated(settings)
    admin = settings.as_principal("admin")  # watches the groups and the analysts' topic
    stream = _stream("year", int(rate * seconds))
    seen: dict[str, float] = {}
    stop = threading.Event()

    def watch() -> None:
        codec = codec_for(settings)
        consumer = KafkaConsumer(
            settings.topic(EPISODE.topic),
            **kafka_python_config(credentials(admin)),
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        try:
            while not stop.is_set():
                for records in consumer.poll(timeout_ms=50).values():
                    now = time.perf_counter()
                    for record in records:
                        if not record.value:
                            continue
                        snapshot = codec.decode(record.value)
                        if isinstance(snapshot, EpisodeSnapshot):
                            for e in snapshot.events:
                                seen.setdefault(e.event_id, now)
        finally:
            consumer.close()

    env = settings_env(settings)
    set_up(settings)
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    with worker_process(env, _log(settings)) as w:
        wait_until_ready(admin, w)
        with console.status(f"Publishing {len(stream):,} events at {rate:g}/s…"):
            sent = _send(settings, stream, pace_s=1 / rate)
        deadline = time.perf_counter() + 30
        while time.perf_counter() < deadline and len(seen.keys() & sent.keys()) < len(sent):
            time.sleep(0.2)
    stop.set()
    watcher.join(timeout=5)
    delays = sorted(seen[k] - sent[k] for k in sent.keys() & seen.keys())
    if not delays:
        raise RuntimeError("no episode snapshot arrived")
    figures = {
        "events": len(stream),
        "in_episodes": len(delays),
        "median_s": statistics.median(delays),
        "p99_s": delays[min(len(delays) - 1, int(len(delays) * 0.99))],
    }
    console.print(
        f"{len(stream):,} events at {rate:g} events/s; {len(delays):,} reached an episode "
        f"snapshot: publish-to-episode latency median [bold]{figures['median_s'] * 1000:,.0f} "
        f"ms[/bold], p99 [bold]{figures['p99_s'] * 1000:,.0f} ms[/bold]"
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
