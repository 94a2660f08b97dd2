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

from sinks.store import ContactTotal

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
    months = sorted({t.month for t in totals})
    agencies = sorted({t.agency for t in totals})
    cell = {(t.agency, t.month): t.contacts for t in totals}
    table = Table(title="Contacts by month reported and source agency")
    table.add_column("Month")
    for agency in agencies:
        table.add_column(agency.replace("_", " ").title(), justify="right")
    table.add_column("Total", justify="right", style="bold")
    for month in months:
        row = [cell.get((a, month), 0) for a in agencies]
        table.add_row(month, *map(str, row), str(sum(row)))
    agency_totals = [sum(cell.get((a, m), 0) for m in months) for a in agencies]
    table.add_row("Total", *map(str, agency_totals), str(sum(agency_totals)), style="bold")
    return table
