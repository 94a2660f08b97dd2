"""`mash demo`: the main job end to end on embedded defaults, with progress throughout."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path

from mash.console import console, contact_table, progress
from mash.errors import MashError
from mash.kafka import consumer_lag, group_is_stable
from mash.settings import BrokerSettings, PublisherSettings, WorkerSettings
from schemas.contracts import AGENCY_CONTRACTS

__all__ = [
    "local_broker",
    "run_demo",
    "wait_until_drained",
    "wait_until_ready",
    "worker_process",
]


def run_demo(settings: WorkerSettings, count: int) -> None:
    """Start what is missing, publish a sample, wait for the hub, print the report, tidy up."""
    from producers.publisher import Publisher
    from producers.samples import write_sample
    from sinks.store import Store

    started = time.monotonic()
    with ExitStack() as stack:
        if settings.uses_local_broker:
            stack.enter_context(local_broker(BrokerSettings()))
        worker = stack.enter_context(
            worker_process(os.environ, settings.home / "logs" / "worker.log")
        )
        console.print(f"Hub worker ready in {wait_until_ready(settings, worker):.1f}s")
        sample = write_sample(
            "police",
            settings.home / "samples" / "police.csv",
            count,
            2012,
            dt.date(2012, 4, 1),
            dt.date(2013, 4, 1),
            invalid=max(1, count // 200),
            duplicates=max(1, count // 100),
        )
        publisher = Publisher(PublisherSettings())
        try:
            with progress() as bar:
                task = bar.add_task("Publishing police export", total=sample.rows)
                report = publisher.publish_file(
                    "police", sample.path, lambda n: bar.advance(task, n)
                )
        finally:
            publisher.close()
        console.print(
            f"Published {report.published}; rejected {len(report.rejected)} bad rows "
            f"(dead-lettered; details in {report.rejects_file})"
        )
        wait_until_drained(settings, report.published, worker)
    store = Store(settings.database)
    try:
        console.print(contact_table(store.contact_totals()))
    finally:
        store.close()
    console.print(f"Done in {time.monotonic() - started:.1f}s. Run `mash report` to see it again.")


@contextmanager
def local_broker(settings: BrokerSettings) -> Iterator[None]:
    from mash.broker import LocalBroker

    broker = LocalBroker(settings)
    with console.status("Starting the local Apache Kafka broker (first run fetches it)…"):
        started = broker.start()
    console.print(
        f"Kafka {settings.kafka_version} on {broker.bootstrap}"
        + ("" if started else " (already running; left running)")
    )
    try:
        yield
    finally:
        if started:
            with console.status("Stopping Kafka…"):
                broker.stop()


@contextmanager
def worker_process(env: Mapping[str, str], log_file: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A `mash worker` in a child process configured by ``env``, stopped on exit."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    env = {**env, "MASH_LOG_FORMAT": "json"}
    with log_file.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mash.cli", "worker"],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
        )
    try:
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_until_ready(
    settings: WorkerSettings, worker: subprocess.Popen[bytes], timeout_s: float = 120.0
) -> float:
    """Wait until the worker's consumer group is stable; return the seconds it took."""
    started = time.monotonic()
    with console.status("Starting the hub worker…"):
        while not group_is_stable(settings, settings.app_id):
            if worker.poll() is not None:
                raise MashError(f"the worker exited with status {worker.returncode}; see its log")
            if time.monotonic() - started > timeout_s:
                raise MashError(f"the worker was not ready after {timeout_s:.0f}s; see its log")
            time.sleep(0.1)
    return time.monotonic() - started


def wait_until_drained(
    settings: WorkerSettings,
    total: int,
    worker: subprocess.Popen[bytes] | None = None,
    timeout_s: float = 900.0,
) -> None:
    """Wait until the worker has committed past every record of every topic it consumes.

    The bar counts the agency events taken in; the wait goes on until linkage, episodes and
    the sinks are done too (no fixed sleep anywhere).
    """
    from streams.app import consumed_topics

    every = consumed_topics(settings)
    inputs = [settings.topic(c.topic) for c in AGENCY_CONTRACTS]
    deadline = time.monotonic() + timeout_s
    with progress() as bar:
        task = bar.add_task("Hub processing", total=total)
        while True:
            taken = max(0, total - consumer_lag(settings, settings.app_id, inputs))
            bar.update(task, completed=taken)
            lag = consumer_lag(settings, settings.app_id, every)
            if lag == 0:
                return
            if worker is not None and worker.poll() is not None:
                raise MashError(
                    f"the worker exited with status {worker.returncode} "
                    f"with {lag} records left; see its log"
                )
            if time.monotonic() > deadline:
                raise MashError(
                    f"the worker still had {lag} records to process after "
                    f"{timeout_s:.0f}s; see its log"
                )
            time.sleep(0.2)
