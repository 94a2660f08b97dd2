"""The board report corrects the published 2012-13 report only where it shows the same figures:
at that report's reporting date (31 March 2013), and as the board's tables show them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pytest

from sinks.board import Figure
from sinks.disclosure import SHOWN_AS
from sinks.report import build_report

PUBLISHED = dt.date(2013, 3, 31)
"""The reporting date of the published 2012-13 annual report."""


def _figures(
    at: dt.date,
    year: str,
    unborn: Mapping[str, int],
    cafs: Mapping[str, int],
    offences_change: float,
) -> list[Figure]:
    """Plans open at ``at`` (some unborn), the year's CAFs and its change in DV offences."""
    day = at.isoformat()
    plans = {f"{category}|unborn": n for category, n in unborn.items()}
    plans |= {"EMO|0-6": 40, "NEG|7-12": 30, "PHY|13-18": 12}
    return [
        *(Figure("cp_open", day, cell, float(n)) for cell, n in plans.items()),
        *(Figure("caf_completed", year, where, float(n)) for where, n in cafs.items()),
        Figure("dv_change", year, "offences", offences_change),
    ]


CAFS = {"CHILDRENS_CENTRE": 98, "SCHOOL": 71, "HEALTH": 7, "OTHER": 9}


@pytest.mark.parametrize(
    ("as_of", "year"),
    [
        (dt.date(2012, 12, 31), "2012-13"),
        (dt.date(2012, 6, 30), "2012-13"),
        (dt.date(2013, 3, 30), "2012-13"),
        (dt.date(2013, 6, 30), "2013-14"),
        (dt.date(2014, 3, 31), "2013-14"),
    ],
)
@pytest.mark.parametrize("hide", [True, False])
def test_a_report_for_another_date_claims_no_correction(
    as_of: dt.date, year: str, hide: bool
) -> None:
    figures = _figures(as_of, year, {"PHY": 7, "EMO": 6}, CAFS, -0.5)
    report = build_report(figures, as_of, hide=hide)
    assert report.year == year
    assert report.corrections == ()


def test_the_published_date_states_each_correction_with_the_hubs_figure() -> None:
    unborn = {"PHY": 7, "EMO": 6}
    figures = _figures(PUBLISHED, "2012-13", unborn, CAFS, 3.6)
    report = build_report(figures, PUBLISHED, hide=False)
    plans, offences, cafs = report.corrections
    assert "31 March 2013" in plans[0]
    assert plans[1:] == (
        "2 (totals 122, 100.9%)",
        f"{sum(unborn.values())} (the cells add up to it)",
    )
    assert "2011-12 to 2012-13" in offences[0]
    assert offences[1:] == ("+4.3%", "+3.6%")
    total = sum(CAFS.values())  # 1 April 2012 to 31 March 2013: twelve months
    assert cafs[1:] == ("an average of twelve", f"{total / 12:.1f} ({total} in 12 months)")


def test_a_correction_does_not_disclose_a_count_the_boards_table_hides() -> None:
    figures = _figures(PUBLISHED, "2012-13", {"PHY": 1}, CAFS, 3.6)
    board, analysts = (build_report(figures, PUBLISHED, hide=hide) for hide in (True, False))
    table = next(t for t in board.tables if t.key == "cp_open")
    totals = next(row for row in table.rows if row[0] == "Total children")
    assert totals[table.header.index("Unborn")] == SHOWN_AS  # 1 is a small count
    assert board.corrections[0][2] == f"{SHOWN_AS} (the cells add up to it)"
    assert analysts.corrections[0][2] == "1 (the cells add up to it)"
