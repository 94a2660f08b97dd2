"""`mash broker`: the local Apache Kafka broker (no Docker needed)."""

from __future__ import annotations

import typer

from mash.commands.settings import load_settings
from mash.console import console
from plumbing.settings import BrokerSettings, WorkerSettings

__all__ = ["broker_app"]

broker_app = typer.Typer(
    help="The local Apache Kafka broker (no Docker needed).", no_args_is_help=True
)


@broker_app.command("fetch")
def broker_fetch() -> None:
    """Resolve Apache Kafka's jars with Maven into the cache (start does this too)."""
    from mash.broker import resolve_kafka

    settings = load_settings(BrokerSettings)
    with console.status(f"Resolving Apache Kafka {settings.kafka_version} with Maven…"):
        lib = resolve_kafka(settings)
    console.print(f"Kafka {settings.kafka_version}: {lib}")


@broker_app.command("start")
def broker_start() -> None:
    """Resolve Kafka with Maven (first time), format storage (first time), start, wait."""
    from mash.broker import LocalBroker

    broker = LocalBroker(load_settings(BrokerSettings, log_to="broker"))
    with console.status("Starting Apache Kafka…"):
        started = broker.start()
    status = broker.status()
    word = "started" if started else "already running"
    console.print(f"Kafka {status.kafka_version} {word} on {status.bootstrap} (pid {status.pid})")
    _set_up(log_to="broker")


@broker_app.command("setup")
def broker_setup() -> None:
    """As admin: create the hub's topics and every principal's ACLs for MASH_TOPIC_PREFIX and
    MASH_APP_ID (idempotent; `start` does it for the current ones)."""
    _set_up()


def _set_up(log_to: str | None = None) -> None:
    from mash.access import set_up

    settings = load_settings(WorkerSettings, log_to=log_to)
    count = set_up(settings)
    console.print(
        f"Topics of {settings.topic_prefix!r} and {count} ACLs for app {settings.app_id!r} in place"
    )


@broker_app.command("status")
def broker_status() -> None:
    """Say whether the local broker runs, and name its data directory and log file."""
    from mash.broker import LocalBroker

    s = LocalBroker(load_settings(BrokerSettings)).status()
    state = f"running (pid {s.pid})" if s.running else "stopped"
    console.print(
        f"Kafka {s.kafka_version} on {s.bootstrap}: {state}\n"
        f"  data: {s.data_dir}\n  log:  {s.log_file}"
    )
    raise typer.Exit(0 if s.running else 3)


@broker_app.command("stop")
def broker_stop() -> None:
    """Stop the local broker and every process it started."""
    from mash.broker import LocalBroker

    stopped = LocalBroker(load_settings(BrokerSettings)).stop()
    console.print("Kafka stopped" if stopped else "Kafka was not running")
