"""Where the published 2012-13 annual report's own arithmetic was wrong, and the hub's figure.

The published figures are a snapshot at 31 March 2013 and totals of the year 2012-13. A
report for any other reporting date shows other figures, so it corrects nothing; a report for
that date states each correction beside the hub's figure as the report shows it, so that a
correction never discloses a count the board's tables hide.
"""

from __future__ import annotations

import datetime as dt

from sinks.board import INDICATORS, financial_year, months_of
from sinks.disclosure import SHOWN_AS
from sinks.report_layout import Layout
from sinks.report_sections import BAND_NAMES

__all__ = ["PUBLISHED_AS_OF", "corrections"]

PUBLISHED_AS_OF = dt.date(2013, 3, 31)
"""The reporting date of the published annual report (the year 2012-13)."""


def corrections(layout: Layout, as_of: dt.date) -> tuple[tuple[str, str, str], ...]:
    """(figure, as published, as the hub shows it), for a report on the published date only.

    ``layout`` must already hold the report's tables: the hub's figures are read from them.
    """
    if as_of != PUBLISHED_AS_OF:
        return ()
    year = financial_year(as_of)
    unborn = layout.shown("cp_open", "Total children", BAND_NAMES["unborn"])
    offences = layout.shown("dv", INDICATORS["dv_offences"].title, "Change")
    cafs = layout.shown("caf", "Total", "CAFs")
    return (
        (
            f"Children on a plan at {as_of:%d %B %Y}: unborn",
            "2 (totals 122, 100.9%)",
            f"{unborn} (the cells add up to it)",
        ),
        (
            f"Change in domestic abuse offences, {year.year_before().label} to {year.label}",
            "+4.3%",
            offences,
        ),
        ("CAFs completed a month", "an average of twelve", _a_month(cafs, len(months_of(year)))),
    )


def _a_month(total: str, months: int) -> str:
    if total == SHOWN_AS:
        return SHOWN_AS
    return f"{int(total.replace(',', '')) / months:.1f} ({total} in {months} months)"
