"""`mash bench`: benchmarks that print figures, on the configured broker or the local one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from mash.commands.settings import load_settings
from plumbing.errors import UsageError
from plumbing.settings import BrokerSettings, PublisherSettings, WorkerSettings

__all__ = ["bench_app"]

bench_app = typer.Typer(help="Benchmarks that print figures.", no_args_is_help=True)


@bench_app.command("publish")
def bench_publish(
    rows: Annotated[int, typer.Option(help="Rows in the generated police export")] = 100_000,
) -> None:
    """Publish throughput (rows/s) and event size on the wire, on the configured broker."""
    from mash.bench import bench_publish as run

    settings = load_settings(PublisherSettings)
    with _broker_if_local(settings):
        run(settings, rows)


@bench_app.command("hub")
def bench_hub(
    events: Annotated[int, typer.Option(help="Events to send")] = 100_000,
    source: Annotated[
        str,
        typer.Option(
            help="year: the simulated year's mix (30,500 at most); police: "
            "notifications of a large population"
        ),
    ] = "police",
    children: Annotated[
        int | None, typer.Option(help="police: children in the population (default events/3)")
    ] = None,
    restart: Annotated[
        str | None,
        typer.Option(
            help="Then end the worker (stop: SIGTERM; kill: SIGKILL; fresh: SIGTERM, and the "
            "new worker on an empty store), start a new one and time one new event to its "
            "episode"
        ),
    ] = None,
    restarts: Annotated[
        int,
        typer.Option(
            help="With --restart: restart this many times on the store, and print the spread "
            "of the first new event's seconds"
        ),
    ] = 1,
    between: Annotated[
        int,
        typer.Option(
            help="With --restarts: before each restart after the first, a worker on the store "
            "drains this many new police notifications, then is ended as --restart says"
        ),
    ] = 0,
) -> None:
    """Whole-chain throughput and worker peak memory on one worker; with --restart, the
    time from a restarted worker's start to its first new event processed."""
    from mash.bench import RESTARTS
    from mash.bench import bench_hub as run

    if restart is not None and restart not in RESTARTS:
        raise UsageError(f"--restart {restart}: use one of {', '.join(RESTARTS)}")
    if restarts < 1 or between < 0:
        raise UsageError(f"--restarts {restarts} --between {between}: use 1 or more, 0 or more")
    if (restarts > 1 or between > 0) and restart is None:
        raise UsageError("--restarts and --between time restarts: give --restart too")
    if between > 0 and restarts < 2:
        raise UsageError("--between comes before a restart after the first: give --restarts 2+")
    settings = load_settings(WorkerSettings)
    with _broker_if_local(settings):
        run(settings, events, source, children, restart, restarts, between)


@bench_app.command("fuzz")
def bench_fuzz(
    inputs: Annotated[int, typer.Option(help="Generated inputs to decode")] = 1_000_000,
    seed: Annotated[int, typer.Option(help="Seed of the generator")] = 0,
) -> None:
    """Decoder fuzzing: time, inputs/s, and every exception other than the contract error
    (by type; the figure should be zero). Exits 1 if there was any."""
    from mash.console import console
    from mash.fuzz import fuzz

    result = fuzz(inputs, seed)
    console.print(
        f"{result.inputs:,} inputs in {result.seconds:.1f} s ({result.rate:,.0f} inputs/s): "
        f"{result.accepted:,} accepted, {result.refused:,} refused with the contract error, "
        f"{sum(result.unexpected.values())} other exceptions"
    )
    for name, count in result.unexpected.most_common():
        console.print(f"  {name}: {count} (first input, hex: {result.examples[name][:200]})")
    if result.unexpected:
        raise typer.Exit(1)


@bench_app.command("latency")
def bench_latency(
    rate: Annotated[float, typer.Option(help="Events per second, steady")] = 100.0,
    seconds: Annotated[float, typer.Option(help="How long to publish for")] = 60.0,
) -> None:
    """Publish-to-episode latency (median, p99) at a steady rate on one worker."""
    from mash.bench import bench_latency as run

    settings = load_settings(WorkerSettings)
    with _broker_if_local(settings):
        run(settings, rate, seconds)


@bench_app.command("console")
def bench_console(
    events: Annotated[int, typer.Option(help="Police notifications, one at a time")] = 100,
) -> None:
    """A police notification published until it is on the analyst's queue page (median, p99)."""
    from mash.bench_console import bench_console as run

    settings = load_settings(WorkerSettings)
    with _broker_if_local(settings):
        run(settings, events)


@bench_app.command("recovery")
def bench_recovery(
    records: Annotated[int, typer.Option(help="Records linked into the table")] = 100_000,
    copies: Annotated[
        int, typer.Option(help="Index the linked table this many times under new record ids")
    ] = 1,
    cache: Annotated[
        Path | None, typer.Option(help="Keep the linked batches here, reuse them next time")
    ] = None,
    broker: Annotated[
        bool,
        typer.Option(
            "--broker",
            help="Also time the table's changelog read back from a local broker (started and "
            "stopped for the run)",
        ),
    ] = False,
) -> None:
    """A linkage worker's restart: restore seconds, time to the first new event linked, and
    the restored state's bytes per record (in process, on the pure state); with --broker,
    the changelog read from a real broker too."""
    from mash.bench_recovery import bench_recovery as run

    run(records, copies=copies, cache=cache, broker=broker)


@contextmanager
def _broker_if_local(settings: PublisherSettings | WorkerSettings) -> Iterator[None]:
    """Start the local broker for the duration when no external Kafka is configured."""
    from mash.demo import local_broker

    if not settings.uses_local_broker:
        yield
        return
    with local_broker(BrokerSettings()):
        yield
