"""The `mash` command: broker, publish, worker, report, demo."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, get_args

import typer

if TYPE_CHECKING:
    from sinks.board import Figure
    from sinks.figures import Provenance
    from sinks.store import Store

from mash.cli_support import FLAGS, readable, run
from mash.commands.audit import audit_app
from mash.commands.bench import bench_app
from mash.commands.broker import broker_app
from mash.commands.credentials import credentials_app
from mash.commands.db import db_app
from mash.commands.deadletter import deadletter_app
from mash.commands.linkage import linkage_app
from mash.commands.review import review_app
from mash.commands.schemas import schemas_app
from mash.commands.settings import load_settings as _settings
from mash.commands.users import users_app
from mash.console import board_tables, console, err_console, linkage_tables
from plumbing.errors import EXIT_REJECTED, NoFigures, UsageError
from plumbing.files import private_umask
from plumbing.settings import (
    ConsoleSettings,
    DashboardSettings,
    PublisherSettings,
    SinkSettings,
    WorkerSettings,
)

__all__ = ["main"]

app = typer.Typer(
    help="MASH Hub: multi-agency safeguarding events, linked and counted.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _version(shown: bool) -> None:
    if shown:
        from importlib.metadata import version

        console.print(f"mash {version('mash-hub')}")
        raise typer.Exit


@app.callback()
def _options(
    debug: Annotated[bool, typer.Option("--debug", help="Show the traceback of an error")] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version"),
    ] = False,
) -> None:
    """MASH Hub: multi-agency safeguarding events, linked and counted.

    Exit status: 0 done, 1 rows rejected or a check failed, 2 usage, 3 cannot connect or
    configuration, 4 nothing to show yet, 5 other failure (README: Exit codes)."""
    FLAGS.debug = debug


app.add_typer(broker_app, name="broker")
app.add_typer(bench_app, name="bench")
app.add_typer(db_app, name="db")
app.add_typer(deadletter_app, name="deadletter")
app.add_typer(credentials_app, name="credentials")
app.add_typer(users_app, name="users")
app.add_typer(review_app, name="review")
app.add_typer(linkage_app, name="linkage")
app.add_typer(audit_app, name="audit")
app.add_typer(schemas_app, name="schemas")


@app.command()
def publish(
    agency: Annotated[str, typer.Argument(help="The publishing agency, e.g. police")],
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or JSONL export")],
) -> None:
    """Publish an agency export; exit 1 if any row was rejected (see the rejects file)."""
    from mash.publishing import print_report, publish_files
    from schemas.exports import count_rows

    settings = _settings(PublisherSettings, log_to="publish")
    (report,) = publish_files(settings, {file: count_rows(file)}, f"Publishing {file.name}", agency)
    print_report(report)
    raise typer.Exit(EXIT_REJECTED if report.rejected else 0)


@app.command()
def worker(
    role: Annotated[
        str | None,
        typer.Option(help="all (default): streams and sinks; or streams, or sinks alone"),
    ] = None,
) -> None:
    """Run a hub worker until interrupted: the Faust streams and, beside them, the sinks."""
    from mash.supervisor import run_worker

    settings = _settings(WorkerSettings)
    if role is not None:
        roles = get_args(WorkerSettings.model_fields["role"].annotation)
        if role not in roles:
            raise typer.BadParameter(
                f"{role!r} is not one of {', '.join(roles)}", param_hint="--role"
            )
        settings = settings.model_copy(update={"role": role})
    if settings.log_file is not None:
        console.print(
            f"Worker log: {settings.log_file} (rotated at {settings.log_max_bytes:,} bytes)"
        )
    run_worker(settings)


export_app = typer.Typer(help="Exports for analysis outside the hub.", no_args_is_help=True)
app.add_typer(export_app, name="export")


@export_app.command("links")
def export_links(
    out: Annotated[Path, typer.Option(help="JSON lines file (default: standard output)")] = Path(
        "-"
    ),
) -> None:
    """One JSON line per record the hub has linked: event id, record id, person id, episode
    id, match weight (a record of a child of its own: its own id as person id, weight 0)."""
    import json
    import os
    import sys
    import tempfile

    from sinks.store import Store

    handle, part = sys.stdout, None
    if str(out) != "-":  # written beside it, then renamed: an old export is never half lost
        try:
            if out.is_dir():
                raise IsADirectoryError(21, "Is a directory")
            handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed below, then renamed)
                "w", dir=out.parent, prefix=f".{out.name}.", suffix=".part", delete=False
            )
        except OSError as exc:
            raise UsageError(
                f"{out}: cannot be written ({exc.strerror}); give --out a file in a folder "
                f"that exists and you may write to"
            ) from None
        part = Path(handle.name)
    written = 0
    try:
        store = Store(_settings(SinkSettings).database)
        try:
            for row in store.links_export():
                handle.write(json.dumps(row) + "\n")
                written += 1
        finally:
            store.close()
        if part is not None:
            handle.close()
            os.replace(part, out)
    finally:
        if part is not None:
            handle.close()
            part.unlink(missing_ok=True)
    where = "standard output" if part is None else str(out)
    if written:
        err_console.print(f"{written:,} links written to {where}", soft_wrap=True)
    else:
        err_console.print(
            f"no links stored yet (none written to {where}): the sinks store them once "
            "the hub has linked an event",
            soft_wrap=True,
        )


_REPORTABLE = (dt.date(1990, 1, 1), dt.date(2999, 12, 31))
"""Reporting dates a board report can be for (a year's window must fit in the calendar)."""


@app.command()
def report(
    as_of: Annotated[
        dt.datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Reporting date (default: the stored figures')"),
    ] = None,
    analyst: Annotated[bool, typer.Option(help="Show every count (no suppression)")] = False,
    definitions: Annotated[bool, typer.Option(help="Show each figure's definition")] = False,
    html: Annotated[Path | None, typer.Option(help="Also write the report as HTML")] = None,
    csv: Annotated[Path | None, typer.Option(help="Also write every cell as CSV")] = None,
) -> None:
    """Print the board report (and export it): every figure, computed from the events, and
    when and from how many; exit 4 if there are no figures yet."""
    if as_of is not None and not _REPORTABLE[0] <= as_of.date() <= _REPORTABLE[1]:
        raise typer.BadParameter(
            f"--as-of {as_of.date()} is outside {_REPORTABLE[0]} to {_REPORTABLE[1]}"
        )
    from sinks.linkage_quality import stored_linkage_quality
    from sinks.report import build_report, report_csv
    from sinks.report_html import report_page
    from sinks.store import Store

    settings = _settings(SinkSettings)
    store = Store(settings.database)
    try:
        day, figures, provenance = _board(store, settings, as_of.date() if as_of else None)
        quality = stored_linkage_quality(store)
    finally:
        store.close()
    low, high = settings.suppress_low, settings.suppress_high
    shown = build_report(figures, day, hide=not analyst, low=low, high=high, provenance=provenance)
    console.print(_provenance_line(day, provenance), highlight=False)
    linkage = [] if quality is None else linkage_tables(quality, dt.datetime.now(dt.UTC))
    for table in [*board_tables(shown, definitions), *linkage]:
        console.print(table)
    page = report_page(shown, csv_href=csv.name if csv else None) if html else ""
    for path, text in ((html, page), (csv, report_csv(shown))):
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            console.print(f"wrote {path}")


def _board(
    store: Store, settings: SinkSettings, as_of: dt.date | None
) -> tuple[dt.date, list[Figure], Provenance | None]:
    """The stored figures, or figures computed afresh for another reporting date;
    `NoFigures` if no event has reached the store."""
    from sinks.metrics import figures_from_events

    stored_as_of, stored = store.figures()
    if as_of is None and stored_as_of is not None:
        day, figures, provenance = stored_as_of, stored, store.figures_provenance()
    else:
        day = as_of or settings.as_of
        figures, provenance = figures_from_events(store, day)
    if provenance is not None and not provenance.events:
        raise NoFigures(
            "no figures yet: no event has reached the database — run `mash worker` and "
            "`mash publish`, or `mash demo`"
        )
    return day, figures, provenance


def _provenance_line(day: dt.date, provenance: Provenance | None) -> str:
    if provenance is None:
        return f"Reporting date {day:%d %B %Y}; when these figures were computed is not stored."
    latest = provenance.latest_event
    upto = f", reported up to {latest:%d %B %Y %H:%M} UTC" if latest else ""
    computed = f"{provenance.computed_at:%d %B %Y %H:%M}"
    return (
        f"Reporting date {day:%d %B %Y}. Figures computed {computed} UTC "
        f"from {provenance.events:,} events{upto}."
    )


Host = Annotated[str | None, typer.Option(help="Interface to listen on (default: the setting)")]
Port = Annotated[int | None, typer.Option(help="Port to listen on (default: the setting)")]


@app.command()
def dashboard(host: Host = None, port: Port = None) -> None:
    """Serve the board's dashboard (live figures from the database) until interrupted."""
    import uvicorn

    from plumbing.ports import require_free_port
    from sinks.dashboard import create_dashboard

    settings = _settings(DashboardSettings)
    host, port = host or settings.dashboard_host, port or settings.dashboard_port
    require_free_port(host, port, "MASH_DASHBOARD_PORT (or --port)")
    app_ = create_dashboard(settings)
    console.print(f"Dashboard on http://{host}:{port}/")
    uvicorn.run(app_, host=host, port=port, log_level="warning")


@app.command("console")
def console_command(host: Host = None, port: Port = None) -> None:
    """Serve the analysts' console (sign-in, roles, access log) until interrupted."""
    from mash.console_server import serve_console

    settings = _settings(ConsoleSettings)
    update = {"console_bind": host or settings.console_bind}
    serve_console(
        settings.model_copy(update=update | {"console_port": port or settings.console_port})
    )


@app.command()
def sample(
    agency: Annotated[str, typer.Argument(help="Agency whose export to write, e.g. police")],
    out: Annotated[Path, typer.Argument(help="Output file (.csv or .jsonl)")],
    count: Annotated[int, typer.Option(help="Rows to write")] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed")] = 2012,
) -> None:
    """Write a synthetic agency export (invented children, NHS test-range numbers)."""
    from simulation.samples import write_sample

    write_sample(agency, out, count, seed, start=dt.date(2012, 4, 1), end=dt.date(2013, 4, 1))
    console.print(f"wrote {count} rows to {out}")


@app.command()
def simulate(
    preset: Annotated[str, typer.Option(help="The calibrated year to generate")] = "havering-2012",
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same year)")] = 2012,
    out: Annotated[Path | None, typer.Option(help="Directory for the export files")] = None,
    publish: Annotated[bool, typer.Option(help="Also publish every file to Kafka")] = False,
) -> None:
    """Generate a calibrated synthetic year of every agency's exports (and publish them)."""
    from simulation.year import simulate as generate
    from simulation.year import write_simulation

    settings = _settings(PublisherSettings, log_to="simulate")
    directory = out or settings.home / "simulate" / preset
    with console.status(f"Generating {preset} (seed {seed})…"):
        files = write_simulation(generate(preset, seed), directory)
    console.print(f"wrote {sum(files.values()):,} events in {len(files)} files to {directory}")
    if publish:
        from mash.publishing import publish_files

        reports = publish_files(settings, files, "Publishing")
        rejected = sum(len(report.rejected) for report in reports)
        console.print(f"published {sum(r.published for r in reports):,}; rejected {rejected}")
        raise typer.Exit(1 if rejected else 0)


@app.command()
def demo(
    preset: Annotated[str, typer.Option(help="The calibrated year the agencies publish")] = (
        "havering-2012"
    ),
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same year)")] = 2012,
    serve: Annotated[
        bool, typer.Option(help="Serve the dashboard afterwards until interrupted")
    ] = True,
) -> None:
    """The whole job on embedded defaults: broker, hub, a year of every agency's events, the
    board report printed and exported, the dashboard served."""
    from mash.demo import run_demo

    run_demo(_settings(WorkerSettings, log_to="demo"), preset, seed, serve)


def main() -> None:
    """Entry point: run the CLI, an expected error one clear line and its exit status
    (`plumbing.errors.EXIT_CODES`).

    Files are private before anything is written (the broker, the worker's sinks and RocksDB
    inherit the mask)."""
    private_umask()
    raise SystemExit(run(readable(typer.main.get_group(app))))


if __name__ == "__main__":
    main()
