"""Terminal output shared by the commands: rich tables and progress, on stderr or stdout."""

from __future__ import annotations

import datetime as dt

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

from sinks.linkage_quality import LinkageQuality
from sinks.report import BoardReport

__all__ = ["board_tables", "console", "linkage_tables", "progress"]

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


def linkage_tables(quality: LinkageQuality, now: dt.datetime | None = None) -> list[Table]:
    """The MASH manager's linkage figures (counts only) for the terminal; the oldest item's
    age at ``now`` (default: when the figures were computed)."""
    waited = quality.oldest_waiting(now)
    summary = Table(
        title=f"Linkage quality at {quality.at:%Y-%m-%d %H:%M} UTC",
        caption=f"{quality.records:,} records in {quality.persons:,} persons",
        caption_justify="left",
    )
    summary.add_column("Review queue")
    summary.add_column("", justify="right")
    summary.add_row("Possible matches waiting", f"{quality.queue.size:,}")
    summary.add_row(
        "Oldest waiting", "-" if waited is None else f"{waited.total_seconds() / 3600:.1f} h"
    )
    daily = Table(title="Merges and splits per day (UTC)")
    for name in ("Day", "Merges", "Splits"):
        daily.add_column(name, justify="left" if name == "Day" else "right")
    for day, (merges, splits) in quality.daily.items():
        daily.add_row(day, f"{merges:,}", f"{splits:,}")
    sizes = Table(title="Records per person")
    sizes.add_column("Records")
    sizes.add_column("Persons", justify="right")
    for band, n in quality.per_person.items():
        sizes.add_row(band, f"{n:,}")
    linked = sum(quality.linked_by.values())
    methods = Table(title="How records joined their person")
    for name in ("Linked by", "Records", "Share"):
        methods.add_column(name, justify="left" if name == "Linked by" else "right")
    for method, n in quality.linked_by.items():
        methods.add_row(method, f"{n:,}", f"{100 * n / linked:.1f}%" if linked else "-")
    return [summary, daily, sizes, methods]
