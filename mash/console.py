"""Terminal output shared by the commands: rich tables and progress, on stderr or stdout."""

from __future__ import annotations

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

from sinks.report import BoardReport

__all__ = ["board_tables", "console", "progress"]

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


_RAG_STYLE = {"RED": "bold red", "GREEN": "bold green", "AMBER": "bold yellow"}


def board_tables(report: BoardReport) -> list[Table]:
    """The board report's tables for the terminal, definitions as captions."""
    tables = []
    for board in report.tables:
        table = Table(
            title=board.title,
            caption="; ".join(
                f"{d.title}: {d.counts}" + (f" / {d.denominator}" if d.denominator else "")
                for d in board.definitions
            ),
            caption_justify="left",
        )
        for n, name in enumerate(board.header):
            table.add_column(name, justify="left" if n == 0 else "right")
        for n, row in enumerate(board.rows):
            total = n >= len(board.rows) - board.totals
            cells = [f"[{_RAG_STYLE[v]}]{v}[/]" if v in _RAG_STYLE else v for v in row]
            table.add_row(*cells, style="bold" if total else None)
        tables.append(table)
    if report.corrections:
        fixes = Table(title="Corrections to the published 2012-13 report")
        for name in ("Figure", "Published", "From the events"):
            fixes.add_column(name)
        for row in report.corrections:
            fixes.add_row(*row)
        tables.append(fixes)
    return tables
