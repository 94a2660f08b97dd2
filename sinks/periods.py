"""The board's periods: the financial year (1 April) to the reporting date, its quarters and
months, and the same span of the year before."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "Period",
    "count_by_month",
    "financial_year",
    "minus_year",
    "months_between",
    "months_of",
    "quarter_ends",
]


@dataclass(frozen=True)
class Period:
    """A span of days, both ends included, with the board's label for it."""

    start: dt.date
    end: dt.date
    label: str

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.start <= day <= self.end

    def year_before(self) -> Period:
        start, end = minus_year(self.start), minus_year(self.end)
        return Period(start, end, _fy_label(start))


def minus_year(day: dt.date) -> dt.date:
    """The same day a year before (28 February for 29 February)."""
    return day.replace(year=day.year - 1, day=min(day.day, 28) if day.month == 2 else day.day)


def _fy_label(start: dt.date) -> str:
    return f"{start.year}-{(start.year + 1) % 100:02d}"


def financial_year(as_of: dt.date) -> Period:
    """The financial year to ``as_of`` (1 April to the reporting date)."""
    start = dt.date(as_of.year if as_of.month >= 4 else as_of.year - 1, 4, 1)
    return Period(start, as_of, _fy_label(start))


def quarter_ends(year: Period) -> list[tuple[str, dt.date]]:
    """(label, day) of each quarter end of the year up to its end, and the end if between."""
    ends = []
    for n, (month, day) in enumerate(((6, 30), (9, 30), (12, 31), (3, 31)), start=1):
        when = dt.date(year.start.year + (month < 4), month, day)
        if when <= year.end:
            ends.append((f"Q{n}", when))
    if not ends or ends[-1][1] != year.end:
        ends.append(("to date", year.end))
    return ends


def months_between(start: dt.date, end: dt.date) -> int:
    """Whole months from ``start`` to ``end``."""
    return (end.year - start.year) * 12 + end.month - start.month - (end.day < start.day)


def months_of(year: Period) -> list[str]:
    """The months of a period as YYYY-MM, in order."""
    months, day = [], year.start.replace(day=1)
    while day <= year.end:
        months.append(f"{day:%Y-%m}")
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return months


def count_by_month(year: Period, days: Iterable[dt.date | None]) -> Counter[str]:
    """How many of ``days`` fall in each month of ``year`` (every month listed, zero or not)."""
    counts = Counter(dict.fromkeys(months_of(year), 0))
    counts.update(f"{d:%Y-%m}" for d in days if d in year)
    return counts
