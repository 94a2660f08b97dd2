"""Terminal output shared by the commands: rich tables and progress, on stderr or stdout."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from sinks.store import ContactPivot, ContactTotal

__all__ = ["console", "contact_table", "progress"]

console = Console()


def progress() -> Progress:
    """A progress display for long work (hidden when output is not a terminal)."""
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=False,
    )


def contact_table(totals: Sequence[ContactTotal]) -> Table:
    """Contacts by month reported (rows) and source agency (columns), with totals."""
    pivot = ContactPivot.of(totals)
    table = Table(title="Contacts by month reported and source agency")
    table.add_column("Month")
    for agency in pivot.agencies:
        table.add_column(agency.replace("_", " ").title(), justify="right")
    table.add_column("Total", justify="right", style="bold")
    for month, values in pivot.rows:
        table.add_row(month, *map(str, values))
    table.add_row("Total", *map(str, pivot.totals), style="bold")
    return table
