"""Terminal output shared by the commands: rich tables and progress, on stderr or stdout."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from rich.console import Console, RenderableType
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:  # annotations only: a command that prints no figures need not import the sinks
    from sinks.linkage_quality import LinkageQuality
    from sinks.report import BoardReport, BoardTable

__all__ = ["board_tables", "console", "err_console", "linkage_tables", "progress"]

console = Console()
err_console = Console(stderr=True)  # what a command says about its output, beside it


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


def board_tables(
    report: BoardReport, definitions: bool = False, width: int | None = None
) -> list[RenderableType]:
    """The board report for a terminal of ``width`` columns (the console's by default): a
    table too wide for it is shown as its rows, each a line of its name and a line of its
    figures; definitions as captions when asked for; the "c" legend and what is not
    computed at the end."""
    shown: list[RenderableType] = []
    for board in report.tables:
        wide = _natural_width(board) > (width or console.width)
        shown.append(_as_rows(board, definitions) if wide else _as_table(board, definitions))
    if report.corrections:
        fixes = Table(title="Corrections to the published 2012-13 report")
        for name in ("Figure", "Published", "From the events"):
            fixes.add_column(name)
        for row in report.corrections:
            fixes.add_row(*row)
        shown.append(fixes)
    shown.append(_legend(report, definitions))
    return shown


def _caption(board: BoardTable, definitions: bool) -> str | None:
    if not definitions:
        return None
    return "; ".join(
        f"{d.title}: {d.counts}" + (f" / {d.denominator}" if d.denominator else "")
        for d in board.definitions
    )


def _cell(value: str) -> str:
    return f"[{_RAG_STYLE[value]}]{value}[/]" if value in _RAG_STYLE else escape(value)


def _as_table(board: BoardTable, definitions: bool) -> Table:
    table = Table(title=board.title, caption=_caption(board, definitions), caption_justify="left")
    for n, name in enumerate(board.header):
        table.add_column(name, justify="left" if n == 0 else "right")
    for n, row in enumerate(board.rows):
        total = n >= len(board.rows) - board.totals
        table.add_row(*map(_cell, row), style="bold" if total else None)
    return table


def _as_rows(board: BoardTable, definitions: bool) -> Table:
    """One indicator (row) to a line of its name and a line of its figures."""
    table = Table(
        title=board.title,
        caption=_caption(board, definitions),
        caption_justify="left",
        show_header=False,
        expand=True,
    )
    table.add_column(board.header[0])
    for row in board.rows:
        figures = "  ".join(
            f"[dim]{escape(h)}[/] {_cell(v)}"
            for h, v in zip(board.header[1:], row[1:], strict=True)
        )
        table.add_row(f"[bold]{escape(row[0])}[/]\n  {figures}")
    return table


def _natural_width(board: BoardTable) -> int:
    """Columns the table needs with no cell wrapped (borders and padding included)."""
    widths = [
        max([len(h), *(len(row[n]) for row in board.rows)]) for n, h in enumerate(board.header)
    ]
    return sum(widths) + 3 * len(widths) + 1


def _legend(report: BoardReport, definitions: bool) -> Text:
    low, high = report.threshold
    lines = [
        f"c: a count from {low} to {high}, or a cell that would give one away, is hidden "
        "(`mash report --analyst` shows every count)"
        if report.suppressed
        else "Analysts' view: no counts are hidden.",
        "Not computed from the events (no feed):",
        *(f"  - {m}" for m in report.not_from_events),
    ]
    if not definitions:
        lines.append("Definitions of every figure: `mash report --definitions`")
    return Text("\n".join(lines))


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
