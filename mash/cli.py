"""The `mash` command: broker, publish, worker, report, demo."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, get_args

import typer

if TYPE_CHECKING:
    from sinks.board import Figure
    from sinks.store import Store

from mash.commands.audit import audit_app
from mash.commands.bench import bench_app
from mash.commands.broker import broker_app
from mash.commands.credentials import credentials_app
from mash.commands.db import db_app
from mash.commands.settings import load_settings as _settings
from mash.commands.users import users_app
from mash.console import board_tables, console
from plumbing.errors import MashError
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
app.add_typer(broker_app, name="broker")
app.add_typer(bench_app, name="bench")
app.add_typer(db_app, name="db")
app.add_typer(credentials_app, name="credentials")
app.add_typer(users_app, name="users")
linkage_app = typer.Typer(help="The master person index.", no_args_is_help=True)
app.add_typer(linkage_app, name="linkage")


class LabelledSet(StrEnum):
    """The labelled sets ``mash linkage evaluate`` can measure on."""

    HUB = "hub"
    FEBRL = "febrl"


@linkage_app.command("evaluate")
def linkage_evaluate(
    seed: Annotated[int, typer.Option(help="Seed of the labelled set")] = 7,
    households: Annotated[
        int, typer.Option(help="Size of the set: households (hub) or children (febrl)")
    ] = 1500,
    labelled: Annotated[
        LabelledSet,
        typer.Option(
            "--set",
            help="hub: the project's own set; febrl: an independent one from the "
            "literature's corruption models",
        ),
    ] = LabelledSet.HUB,
) -> None:
    """Pairwise precision and recall of linkage on a generated labelled set (with twins)."""
    from mash.evaluate import evaluate_linkage

    with console.status("Linking the labelled set…"):
        result = evaluate_linkage(seed, households, labelled.value)
    q = result.quality
    console.print(
        f"{q.records:,} records of {result.persons_true:,} children "
        f"({result.persons_found:,} persons found), {result.records_per_s:,.0f} "
        f"records/s\npairwise precision [bold]{q.precision:.4f}[/bold], recall "
        f"[bold]{q.recall:.4f}[/bold] ({q.correct_pairs:,} of {q.predicted_pairs:,} "
        f"predicted pairs correct, {q.true_pairs:,} true pairs)"
    )


app.add_typer(audit_app, name="audit")


schemas_app = typer.Typer(help="The agency contracts (Avro schemas).", no_args_is_help=True)
app.add_typer(schemas_app, name="schemas")


@schemas_app.command("list")
def schemas_list() -> None:
    """Every export kind: its topic, schema versions and CSV columns (JSON cells marked)."""
    from rich.table import Table

    from schemas.adapters import ADAPTERS

    table = Table(title="Export kinds (`mash publish KIND FILE`)")
    for column in ("kind", "topic", "schema", "CSV columns ({} = a JSON cell)"):
        table.add_column(column, overflow="fold")
    for kind, adapter in ADAPTERS.items():
        contract = adapter.contract
        columns = [f"{{{c}}}" if c in adapter.json_columns else c for c in adapter.csv_columns]
        table.add_row(
            kind,
            contract.topic,
            f"{contract.fullname} v{contract.latest.version}",
            ", ".join(columns),
        )
    console.print(table)


@schemas_app.command("check")
def schemas_check() -> None:
    """Check every schema version can read all earlier ones (BACKWARD_TRANSITIVE)."""
    from schemas.contracts import CONTRACTS
    from schemas.evolution import check_contracts

    problems = check_contracts()
    for contract in CONTRACTS:
        versions = ", ".join(f"v{v.version}" for v in contract.versions)
        bad = any(p.fullname == contract.fullname for p in problems)
        console.print(
            f"{'[red]✗[/red]' if bad else '[green]✓[/green]'} {contract.fullname} "
            f"({versions}) on {contract.topic}"
        )
    for problem in problems:
        console.print(f"[red]incompatible:[/red] {problem}")
    raise typer.Exit(1 if problems else 0)


@schemas_app.command("export")
def schemas_export(
    directory: Annotated[Path, typer.Argument(help="where to write the schema files")],
) -> None:
    """Write one self-contained .avsc per topic and version, its fingerprint, and index.json."""
    from schemas.standalone import export_schemas

    exported = export_schemas(directory, _settings(PublisherSettings))
    for entry in exported:
        console.print(f"{entry.topic}  v{entry.version}  {entry.file}  {entry.fingerprint}")
    console.print(f"{len(exported)} schemas and index.json in {directory}")


@app.command()
def publish(
    agency: Annotated[str, typer.Argument(help="The publishing agency, e.g. police")],
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or JSONL export")],
) -> None:
    """Publish an agency export; exit 1 if any row was rejected (see the rejects file)."""
    from mash.publishing import publish_files
    from schemas.exports import count_rows

    settings = _settings(PublisherSettings)
    (report,) = publish_files(settings, {file: count_rows(file)}, f"Publishing {file.name}", agency)
    for rejection in report.rejected:
        console.print(f"[red]line {rejection.line}[/red]: {rejection.reason}")
    console.print(
        f"{report.published} published, {len(report.rejected)} rejected "
        f"({report.rows_per_s:,.0f} rows/s)"
        + (f"; rejects in {report.rejects_file}" if report.rejects_file else "")
    )
    raise typer.Exit(1 if report.rejected else 0)


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
    run_worker(settings)


export_app = typer.Typer(help="Exports for analysis outside the hub.", no_args_is_help=True)
app.add_typer(export_app, name="export")


@export_app.command("links")
def export_links(
    out: Annotated[Path, typer.Option(help="JSON lines file (default: standard output)")] = Path(
        "-"
    ),
) -> None:
    """One JSON line per linked record: event id, person id, episode id, match weight."""
    import json
    import sys

    from sinks.store import Store

    store = Store(_settings(SinkSettings).database)
    try:
        rows = (json.dumps(row) + "\n" for row in store.links_export())
        if str(out) == "-":
            sys.stdout.writelines(rows)
        else:
            with out.open("w") as handle:
                handle.writelines(rows)
    finally:
        store.close()


@app.command()
def report(
    as_of: Annotated[
        dt.datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Reporting date (default: the stored figures')"),
    ] = None,
    analyst: Annotated[bool, typer.Option(help="Show every count (no suppression)")] = False,
    html: Annotated[Path | None, typer.Option(help="Also write the report as HTML")] = None,
    csv: Annotated[Path | None, typer.Option(help="Also write every cell as CSV")] = None,
) -> None:
    """Print the board report (and export it): every figure, computed from the events."""
    from sinks.provenance import figures_provenance, provenance_of
    from sinks.report import build_report, report_csv
    from sinks.report_html import report_page
    from sinks.store import Store

    settings = _settings(SinkSettings)
    store = Store(settings.database)
    try:
        fresh = as_of is not None or store.figures()[0] is None
        now = dt.datetime.now(dt.UTC)
        board = _board(store, settings, as_of.date() if as_of else None)
        shown = build_report(
            board[1],
            board[0],
            hide=not analyst,
            low=settings.suppress_low,
            high=settings.suppress_high,
            provenance=provenance_of(store.facts(), now) if fresh else figures_provenance(store),
        )
    finally:
        store.close()
    for table in board_tables(shown):
        console.print(table)
    page = report_page(shown, csv_href=csv.name if csv else None) if html else ""
    for path, text in ((html, page), (csv, report_csv(shown))):
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            console.print(f"wrote {path}")


def _board(
    store: Store, settings: SinkSettings, as_of: dt.date | None
) -> tuple[dt.date, list[Figure]]:
    """The stored figures, or figures computed afresh for another reporting date."""
    from sinks.metrics import board_figures

    stored_as_of, stored = store.figures()
    if as_of is None and stored_as_of is not None:
        return stored_as_of, stored
    day = as_of or settings.as_of
    return day, board_figures(store, day)


@app.command()
def dashboard() -> None:
    """Serve the board's dashboard (live figures from the database) until interrupted."""
    import uvicorn

    from sinks.dashboard import create_dashboard

    settings = _settings(DashboardSettings)
    console.print(f"Dashboard on http://{settings.dashboard_host}:{settings.dashboard_port}/")
    uvicorn.run(
        create_dashboard(settings),
        host=settings.dashboard_host,
        port=settings.dashboard_port,
        log_level="warning",
    )


@app.command("console")
def console_command() -> None:
    """Serve the analysts' console (sign-in, roles, access log) until interrupted."""
    from mash.console_server import serve_console

    serve_console(_settings(ConsoleSettings))


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

    settings = _settings(PublisherSettings)
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

    run_demo(_settings(WorkerSettings), preset, seed, serve)


def main() -> None:
    """Entry point: run the CLI, turning expected errors into one clear line and exit 2.

    Files are private before anything is written (the broker, the worker's sinks and RocksDB
    inherit the mask)."""
    private_umask()
    try:
        app()
    except MashError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
