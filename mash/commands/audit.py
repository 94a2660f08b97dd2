"""`mash audit`: the tamper-evident audit log, exported from Kafka and verified."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mash.commands.settings import load_settings
from mash.console import console
from plumbing.settings import ConsoleSettings, SinkSettings, WorkerSettings

__all__ = ["audit_app"]

audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)


@audit_app.command("export")
def audit_export(
    out: Annotated[Path, typer.Argument(help="Directory for one <chain>.jsonl per chain")],
) -> None:
    """Export every audit chain from Kafka, sealed with the head its worker recorded."""
    from plumbing.keys import audit_key
    from sinks.audit import export_audit

    # an operator's command: it reads the audit topic and the heads changelog as admin
    settings = load_settings(WorkerSettings).as_principal("admin")
    files = export_audit(settings, settings.app_id, audit_key(settings), out)
    for path, count in files.items():
        console.print(f"{path}: {count} records")


@audit_app.command("verify")
def audit_verify(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Audit log (JSONL)")],
) -> None:
    """Check an audit log's chain and seal; name the first bad line and exit 1 if tampered."""
    from plumbing.keys import audit_key
    from schemas.audit import verify

    verdict = verify(file.read_bytes().splitlines(), audit_key(load_settings(SinkSettings)))
    if verdict.ok:
        console.print(f"[green]ok[/green]: {verdict.records} records, chain and seal intact")
        return
    console.print(f"[red]tampered[/red] at line {verdict.position}: {verdict.reason}")
    raise typer.Exit(1)


@audit_app.command("access")
def audit_access(
    person: Annotated[str | None, typer.Option(help="Only views of this person's data")] = None,
    export: Annotated[
        Path | None, typer.Option(help="Also write the console chain, sealed, for `verify`")
    ] = None,
) -> None:
    """The console's access log: who viewed which child's data, when, and why (latest first)."""
    from console.access_log import AccessLog
    from plumbing.keys import audit_key
    from sinks.store import Store

    settings = load_settings(ConsoleSettings)
    log = AccessLog(Store(settings.database), audit_key(settings))
    for a in log.accesses(person):
        typer.echo(  # plain tab-separated lines (for grep), never wrapped
            f"{a.seq}\t{a.at}\t{a.user}\t{a.role}\t{a.page}\t{a.person_id or ''}\t"
            f"purpose: {a.purpose}\tshown: {a.shown}"
        )
    if export is not None:
        count = log.export(export)
        console.print(f"{export}: {count} records (check it with `mash audit verify`)")
