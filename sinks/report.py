"""The board report: the annual report's tables and charts laid out from the stored figures.

One layout (``build_report``) feeds every view: the terminal (rich), the dashboard and the
HTML export, and the CSV export (one row per figure, numbers as numbers). The board's view
applies disclosure control (``sinks.disclosure``); the analysts' view (``hide=False``) shows
every count. The sections are laid out by ``sinks.report_sections``, on the building blocks of
``sinks.report_layout``; ``sinks.report_corrections`` says what the published 2012-13 report
got wrong.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass

from sinks.board import INDICATORS, Figure, financial_year
from sinks.provenance import Provenance
from sinks.report_corrections import corrections
from sinks.report_layout import BoardTable, Chart, Key, Layout
from sinks.report_sections import lay_out
from sinks.report_tiles import Tile

__all__ = [
    "CSV_COLUMNS",
    "BoardReport",
    "BoardTable",
    "Chart",
    "Provenance",
    "Tile",
    "build_report",
    "report_csv",
]

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
    tiles: tuple[Tile, ...] = ()
    provenance: Provenance | None = None
    """When and from what the figures were computed (None: not recorded)."""
    figures: tuple[Figure, ...] = ()
    hidden: frozenset[Key] = frozenset()
    """Figures the board's view shows as "c"."""
    shown: frozenset[Key] = frozenset()
    """Counts the board's view shows, having passed disclosure control."""


def build_report(
    figures: Sequence[Figure],
    as_of: dt.date,
    *,
    hide: bool = True,
    low: int = 1,
    high: int = 5,
    provenance: Provenance | None = None,
) -> BoardReport:
    """The report for ``as_of`` from its figures; ``hide``: apply disclosure control;
    ``provenance``: when and from what they were computed."""
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
        tiles=tuple(layout.tiles),
        provenance=provenance,
        figures=tuple(figures),
        hidden=frozenset(layout.hidden),
        shown=frozenset(layout.shown_keys),
    )


CSV_COLUMNS = (
    "indicator_id",
    "indicator",
    "period",
    "dimension",
    "value",
    "unit",
    "numerator",
    "denominator",
    "suppressed",
    "reporting_date",
    "computed_at",
    "events",
    "events_reported_to",
)
"""The CSV's header: one row per figure, numbers as numbers."""


def _withheld(report: BoardReport, figure: Figure) -> bool:
    """Whether the board's view withholds the figure's count (or a rate's small parts)."""
    if not report.suppressed or not INDICATORS[figure.indicator].suppress:
        return False
    if figure.denominator is not None:  # a rate: its value is shown, its parts unless small
        low, high = report.threshold
        return any(low <= n <= high for n in (figure.numerator or 0, figure.denominator))
    return figure.key not in report.shown or figure.key in report.hidden


def _csv_row(report: BoardReport, figure: Figure) -> list[object]:
    withheld = _withheld(report, figure)
    rate = figure.denominator is not None
    value = "" if withheld and not rate else f"{figure.value:g}"
    parts = ("", "") if withheld or not rate else (figure.numerator, figure.denominator)
    known = report.provenance
    return [
        figure.indicator,
        INDICATORS[figure.indicator].title,
        figure.period,
        figure.dimension,
        value,
        "percent" if rate else "count",
        *parts,
        str(withheld).lower(),
        report.as_of.isoformat(),
        known.computed_at.astimezone(dt.UTC).isoformat(timespec="seconds") if known else "",
        known.events if known else "",
        known.latest_event.astimezone(dt.UTC).isoformat(timespec="seconds")
        if known and known.latest_event
        else "",
    ]


def report_csv(report: BoardReport) -> str:
    """One row per figure: indicator id, period, dimension, the numeric value (a count, or a
    percentage with its numerator and denominator), whether disclosure control withheld it,
    and when and from what the figures were computed."""
    order = {key: n for n, key in enumerate(INDICATORS)}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for figure in sorted(
        report.figures, key=lambda f: (order.get(f.indicator, len(order)), f.period, f.dimension)
    ):
        if figure.indicator in INDICATORS:
            writer.writerow(_csv_row(report, figure))
    return out.getvalue()
