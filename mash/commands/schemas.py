"""`mash schemas`: the agency contracts, one line per export kind, a kind's columns, an empty
export with the right header, compatibility checks and standalone schema files."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated

import typer

from mash.cli_support import Format, print_rows
from mash.commands.settings import load_settings
from mash.console import console
from plumbing.errors import EXIT_REJECTED, UsageError
from plumbing.settings import PublisherSettings

__all__ = ["schemas_app"]

schemas_app = typer.Typer(help="The agency contracts (Avro schemas).", no_args_is_help=True)


@schemas_app.command("list")
def schemas_list(
    kind: Annotated[
        str | None, typer.Option(metavar="KIND", help="Only this kind: its CSV columns")
    ] = None,
    form: Annotated[Format, typer.Option("--format", help="table or csv")] = Format.TABLE,
) -> None:
    """Every export kind, one line each (kind, topic, schema version, columns); with --kind,
    that kind's CSV columns, one a line."""
    from schemas.adapters import ADAPTERS, adapter_for

    if kind is not None:
        adapter = adapter_for(kind)
        rows = [
            [g.column, g.cell, "yes" if g.required else "no", " ".join(g.codes)]
            for g in adapter.column_guide
        ]
        title = f"{adapter.name} on topic {adapter.contract.topic} (blank: absent)"
        print_rows(form, ["column", "cell", "required", "codes"], rows, title)
        return
    rows = [
        [name, f"v{a.contract.latest.version}", str(len(a.csv_columns)), a.contract.topic]
        for name, a in ADAPTERS.items()
    ]
    header = ["kind", "schema", "columns", "topic"]
    if form is Format.TABLE:  # the topic is the kind's, pluralised: the CSV and --kind say it
        header, rows = header[:3], [row[:3] for row in rows]
    print_rows(form, header, rows, "Export kinds (--kind KIND for the columns)", right={"columns"})


@schemas_app.command("template")
def schemas_template(
    kind: Annotated[str, typer.Argument(help="The export kind, e.g. police")],
    file: Annotated[Path, typer.Argument(help="The CSV to write (not overwritten)")],
) -> None:
    """Write an empty CSV export of KIND: the header `mash publish` expects, no rows."""
    from schemas.adapters import adapter_for

    adapter = adapter_for(kind)
    if file.suffix.lower() != ".csv":
        raise UsageError(f"{file}: a template is a .csv file")
    try:
        with file.open("x", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerow(adapter.csv_columns)
    except FileExistsError:
        raise UsageError(f"{file} exists: name a new file") from None
    console.print(
        f"wrote the header of {adapter.name} ({len(adapter.csv_columns)} columns) to {file}",
        soft_wrap=True,  # a path is copied whole, never broken over lines
    )


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
    raise typer.Exit(EXIT_REJECTED if problems else 0)


@schemas_app.command("export")
def schemas_export(
    directory: Annotated[Path, typer.Argument(help="where to write the schema files")],
) -> None:
    """Write one self-contained .avsc per topic and version, its fingerprint, and index.json."""
    from schemas.standalone import export_schemas

    exported = export_schemas(directory, load_settings(PublisherSettings))
    for entry in exported:
        console.print(f"{entry.topic}  v{entry.version}  {entry.file}  {entry.fingerprint}")
    console.print(f"{len(exported)} schemas and index.json in {directory}")
