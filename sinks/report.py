"""The board report: the annual report's tables and charts laid out from the stored figures.

One layout (``build_report``) feeds every view: the terminal (rich), the dashboard and the
HTML export, and the CSV export. The board's view applies disclosure control
(``sinks.disclosure``); the analysts' view (``hide=False``) shows every count. The
sections are laid out by ``sinks.report_sections``, on the building blocks of
``sinks.report_layout``; ``sinks.report_corrections`` says what the published 2012-13 report
got wrong.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass

from sinks.board import Figure, financial_year
from sinks.report_corrections import corrections
from sinks.report_layout import BoardTable, Chart, Layout
from sinks.report_sections import lay_out

__all__ = ["BoardReport", "BoardTable", "Chart", "build_report", "report_csv"]

NOT_FROM_EVENTS = (
    "Sanctioned detection rate for domestic abuse (no police outcome feed)",
    "Anti-social behaviour cards, contracts and ASBOs (no community safety ASB feed)",
    "Domestic violence advocacy sessions and support groups (no service feed)",
    "Children placed with foster carers on placement orders (legal status is not in the "
    "looked-after feed)",
)


@dataclass(frozen=True)
class BoardReport:
    """Everything the board sees for one reporting date."""

    as_of: dt.date
    year: str
    tables: tuple[BoardTable, ...]
    charts: tuple[Chart, ...]
    corrections: tuple[tuple[str, str, str], ...]
    """(figure, as published in 2012-13, as this report shows it); empty unless the report is
    for the published reporting date (31 March 2013)."""
    not_from_events: tuple[str, ...] = NOT_FROM_EVENTS
    suppressed: bool = True
    threshold: tuple[int, int] = (1, 5)


def build_report(
    figures: Sequence[Figure],
    as_of: dt.date,
    *,
    hide: bool = True,
    low: int = 1,
    high: int = 5,
) -> BoardReport:
    """The report for ``as_of`` from its figures; ``hide``: apply disclosure control."""
    layout = Layout({f.key: f for f in figures}, hide, low, high)
    lay_out(layout, as_of)
    return BoardReport(
        as_of,
        financial_year(as_of).label,
        tuple(layout.tables),
        tuple(layout.charts),
        corrections(layout, as_of),
        suppressed=hide,
        threshold=(low, high),
    )


def report_csv(report: BoardReport) -> str:
    """Every table cell as a row: table, row, column, value as shown."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["reporting_date", "table", "row", "column", "value"])
    for table in report.tables:
        for row in table.rows:
            for column, value in zip(table.header[1:], row[1:], strict=False):
                writer.writerow([report.as_of.isoformat(), table.title, row[0], column, value])
    for table in report.tables:
        for d in table.definitions:
            text = f"counts {d.counts}" + (f"; out of {d.denominator}" if d.denominator else "")
            writer.writerow([report.as_of.isoformat(), "Definitions", d.title, d.period, text])
    for what, published, ours in report.corrections:
        writer.writerow(
            [
                report.as_of.isoformat(),
                "Corrections to the published 2012-13 report",
                what,
                published,
                ours,
            ]
        )
    return out.getvalue()
