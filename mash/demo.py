"""`mash demo`: the main job end to end on embedded defaults, with progress throughout."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING

from mash.access import set_up
from mash.console import board_tables, console, progress
from mash.demo_summary import repeats_line, snapshot
from plumbing.errors import MashError
from plumbing.kafka import LagWatch, group_is_stable
from plumbing.settings import (
    BrokerSettings,
    ConsoleSettings,
    DashboardSettings,
    PublisherSettings,
    WorkerSettings,
)
from schemas.contracts import AGENCY_CONTRACTS
from sinks.board import Figure
from sinks.worker import sink_group, sink_topics

if TYPE_CHECKING:
    from producers.publisher import PublishReport

__all__ = [
    "local_broker",
    "run_demo",
    "wait_for_figures",
    "wait_until_drained",
    "wait_until_ready",
    "worker_process",
]


PRESET_REPORTING_DATES = {"havering-2012": dt.date(2013, 3, 31)}


def run_demo(settings: WorkerSettings, preset: str, seed: int, serve: bool) -> None:
    """The whole story: broker, worker, every agency publishing a calibrated year, the hub
    linking and joining, the board's figures, the report printed and the dashboard served."""
    from simulation.year import simulate, write_simulation

    started = time.monotonic()
    # a plain `kill` tidies up as Ctrl-C does: the worker and the broker are stopped
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    as_of = settings.reporting_date or PRESET_REPORTING_DATES.get(preset) or settings.as_of
    env = {**os.environ, "MASH_REPORTING_DATE": as_of.isoformat()}
    with ExitStack() as stack:
        if settings.uses_local_broker:
            stack.enter_context(local_broker(BrokerSettings()))
        set_up(settings)  # topics and ACLs, as admin; the worker and agencies use their own
        admin = settings.as_principal("admin")  # watches the groups' lag
        logs = settings.home / "logs"
        worker = stack.enter_context(worker_process(env, logs / "worker.log"))
        console.print(f"Hub worker ready in {wait_until_ready(admin, worker):.1f}s")
        console.print(
            f"Logs (rotated at {settings.log_max_bytes:,} bytes): {logs}/", soft_wrap=True
        )
        before = snapshot(settings)
        with console.status(f"Generating the {preset} year (seed {seed})…"):
            files = write_simulation(simulate(preset, seed), settings.home / "simulate" / preset)
        total = sum(files.values())
        console.print(f"{total:,} agency events in {len(files)} exports")
        published = _publish_all(files)
        wait_until_drained(admin, published, worker)
        figures = wait_for_figures(settings, as_of, worker)
        report = _print_report(settings, figures, as_of)
        if (repeats := repeats_line(before, snapshot(settings))) is not None:
            console.print(repeats)
        console.print(
            f"{published:,} events to the board report in {time.monotonic() - started:.1f}s; "
            f"exported {report[0]} and {report[1]}"
        )
        console_settings = _console_users()
        if serve:
            _serve(settings, console_settings)


def _console_users() -> ConsoleSettings:
    """One console user per role, new passwords printed once (and kept 0600); the URL."""
    from mash.demo_users import create_demo_users, demo_users_path

    settings = ConsoleSettings()
    made = create_demo_users(settings, dt.datetime.now(dt.UTC))
    for name, password in made.items():
        console.print(f"Console user {name}: {password}")
    where = demo_users_path(settings)
    console.print(
        f"Console users' passwords {'kept' if made else 'were kept'} in {where} (0600); console on "
        f"http://{settings.console_bind}:{settings.console_port}/"
    )
    return settings


def _publish_all(files: Mapping[Path, int]) -> int:
    from mash.publishing import publish_files

    def say_rejected(report: PublishReport) -> None:
        if report.rejected:
            console.print(
                f"{report.path.stem}: {len(report.rejected)} rejected "
                f"(dead-lettered; details in {report.rejects_file})"
            )

    reports = publish_files(PublisherSettings(), files, "Agencies publishing", None, say_rejected)
    return sum(report.published for report in reports)


def wait_for_figures(
    settings: WorkerSettings,
    as_of: dt.date,
    worker: subprocess.Popen[bytes] | None = None,
    timeout_s: float = 120.0,
) -> list[Figure]:
    """Wait until the worker's stored figures are those of everything it has stored."""
    from sinks.metrics import board_figures
    from sinks.store import Store

    store = Store(settings.database)
    deadline = time.monotonic() + timeout_s
    try:
        with console.status("Computing the board's figures…"):
            while True:
                stored_as_of, stored = store.figures()
                want = board_figures(store, as_of)
                if stored_as_of == as_of and sorted(stored, key=_key) == sorted(want, key=_key):
                    return stored
                if worker is not None and worker.poll() is not None:
                    raise MashError(f"the worker exited with status {worker.returncode}")
                if time.monotonic() > deadline:
                    raise MashError(f"the figures were not current after {timeout_s:.0f}s")
                time.sleep(0.5)
    finally:
        store.close()


def _key(figure: Figure) -> tuple[str, str, str]:
    return figure.key


def _print_report(
    settings: WorkerSettings, figures: list[Figure], as_of: dt.date
) -> tuple[Path, Path]:
    from sinks.report import build_report, report_csv
    from sinks.report_html import report_page
    from sinks.store import Store

    store = Store(settings.database)
    try:
        provenance = store.figures_provenance()
    finally:
        store.close()
    report = build_report(
        figures,
        as_of,
        low=settings.suppress_low,
        high=settings.suppress_high,
        provenance=provenance,
    )
    for table in board_tables(report):
        console.print(table)
    html = settings.home / "reports" / f"board-report-{as_of}.html"
    csv = html.with_suffix(".csv")
    html.parent.mkdir(parents=True, exist_ok=True)
    html.write_text(report_page(report, csv_href=csv.name))
    csv.write_text(report_csv(report))
    return html, csv


def _serve(settings: WorkerSettings, console_settings: ConsoleSettings) -> None:
    import threading

    import uvicorn

    from mash.console_server import serve_console
    from sinks.dashboard import create_dashboard

    threading.Thread(target=serve_console, args=(console_settings,), daemon=True).start()
    dashboard = DashboardSettings()
    console.print(
        f"Dashboard on http://{dashboard.dashboard_host}:{dashboard.dashboard_port}/ "
        "(live; Ctrl-C to stop)"
    )
    with suppress(KeyboardInterrupt):  # Ctrl-C ends the demo; the stack tidies up
        uvicorn.run(
            create_dashboard(dashboard),
            host=dashboard.dashboard_host,
            port=dashboard.dashboard_port,
            log_level="warning",
        )


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
    """A `mash worker` in a child process configured by ``env``, stopped on exit; it logs to
    ``log_file`` (rotated; its sinks beside it), and anything it prints (a crash's
    traceback) goes to ``<log_file>.out``, this run's only."""
    log_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    env = {**env, "MASH_LOG_FORMAT": "json", "MASH_LOG_FILE": str(log_file)}
    # the log names ids, never children; private all the same, whatever the caller's umask
    out_file = log_file.with_name(log_file.name + ".out")
    fd = os.open(out_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(fd, "ab") as out:
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
    """Wait until the worker's consumer group is stable; return the seconds it took (watched
    as admin, who may describe every group)."""
    settings = settings.as_principal("admin")
    started = time.monotonic()
    with console.status("Starting the hub worker…"):
        while not all(
            group_is_stable(settings, g) for g in (settings.app_id, sink_group(settings))
        ):
            if worker.poll() is not None:
                raise MashError(f"the worker exited with status {worker.returncode}; see its log")
            if time.monotonic() - started > timeout_s:
                raise MashError(f"the worker was not ready after {timeout_s:.0f}s; see its log")
            time.sleep(0.1)
    return time.monotonic() - started


def _where_left(watch: LagWatch, groups: dict[str, list[str]], most: int = 6) -> str:
    """Which consumer group has records left on which partitions, briefly (offsets only)."""
    left = [
        f"{group} {topic}[{partition}]: {lag}"
        for group, topics in groups.items()
        for (topic, partition), lag in watch.partition_lags(group, topics).items()
    ]
    more = f" and {len(left) - most} more" if len(left) > most else ""
    return ", ".join(left[:most]) + more


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

    settings = settings.as_principal("admin")  # who may read every group's offsets
    groups = {
        settings.app_id: consumed_topics(settings),
        sink_group(settings): sink_topics(settings),
    }
    inputs = [settings.topic(c.topic) for c in AGENCY_CONTRACTS]
    deadline = time.monotonic() + timeout_s
    with progress() as bar, LagWatch(settings) as watch:
        task = bar.add_task("Hub processing", total=total)
        while True:
            taken = max(0, total - watch.lag(settings.app_id, inputs))
            bar.update(task, completed=taken)
            lag = sum(watch.lag(g, topics) for g, topics in groups.items())
            if lag == 0:
                return
            if worker is not None and worker.poll() is not None:
                raise MashError(
                    f"the worker exited with status {worker.returncode} with {lag} records "
                    f"left ({_where_left(watch, groups)}); see its log"
                )
            if time.monotonic() > deadline:
                raise MashError(
                    f"the worker still had {lag} records to process after "
                    f"{timeout_s:.0f}s ({_where_left(watch, groups)}); see its log"
                )
            time.sleep(0.2)
