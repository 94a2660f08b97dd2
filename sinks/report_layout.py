"""The board report's building blocks: tables, charts, and the layout that fills them.

``Layout`` reads the stored figures and lays out tables with disclosure control applied
(``sinks.disclosure``) where the board must not see a count.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sinks.board import INDICATORS, Figure, Good, Indicator
from sinks.disclosure import SHOWN_AS, suppress

__all__ = ["BoardTable", "Chart", "Layout", "number", "percent"]


@dataclass(frozen=True)
class BoardTable:
    """One table of the report: a header, rows of shown values, and its definitions."""

    key: str
    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    definitions: tuple[Indicator, ...]
    totals: int = 0
    """How many of the last rows are totals."""


@dataclass(frozen=True)
class Chart:
    """A series to draw: bars by month or quarter, with a target line where there is one."""

    key: str
    title: str
    labels: tuple[str, ...]
    values: tuple[float | None, ...]
    """None where the value is suppressed."""
    unit: str = ""
    target: float | None = None
    good: Good | None = None


@dataclass
class Layout:
    """The figures by key and the disclosure policy; the tables and charts laid out so far."""

    figures: Mapping[tuple[str, str, str], Figure]
    hide: bool
    low: int
    high: int
    tables: list[BoardTable] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)

    def value(self, indicator: str, period: str, dimension: str = "") -> float:
        figure = self.figures.get((indicator, period, dimension))
        return figure.value if figure else 0.0

    def count(self, indicator: str, period: str, dimension: str = "") -> int:
        return int(self.value(indicator, period, dimension))

    def dimensions(self, indicator: str, period: str) -> list[str]:
        return sorted(d for (i, p, d) in self.figures if i == indicator and p == period)

    def grid(
        self,
        cells: Sequence[Sequence[int]],
        *,
        row_totals: bool = True,
        column_totals: bool = True,
        protect: bool = True,
    ) -> list[list[str]]:
        """Cells with their totals as shown (suppressed where the board must not see them)."""
        shown = suppress(
            cells,
            low=self.low,
            high=self.high if self.hide and protect else self.low - 1,
            row_totals=row_totals,
            column_totals=column_totals,
        )
        rows = len(cells) + (1 if column_totals else 0)
        columns = len(cells[0]) + (1 if row_totals else 0)
        return [[number(shown.shown(i, j)) for j in range(columns)] for i in range(rows)]

    def add(
        self,
        key: str,
        header: Sequence[str],
        rows: Sequence[Sequence[str]],
        totals: int,
        *ids: str,
        title: str = "",
    ) -> None:
        self.tables.append(
            BoardTable(
                key,
                title or INDICATORS[ids[0]].title,
                tuple(header),
                tuple(tuple(r) for r in rows),
                tuple(INDICATORS[i] for i in ids),
                totals,
            )
        )

    def shown(self, key: str, row: str, column: str) -> str:
        """A cell as a laid-out table shows it: by the table's key, row label and column."""
        table = next(t for t in self.tables if t.key == key)
        line = next(r for r in table.rows if r[0] == row)
        return line[table.header.index(column)]


def number(value: int | None) -> str:
    """A count as shown: with thousands separators, or the suppression mark."""
    return SHOWN_AS if value is None else f"{value:,}"


def percent(part: str, whole: str) -> str:
    """One shown count as a percentage of another (suppressed if either is)."""
    if SHOWN_AS in (part, whole):
        return SHOWN_AS
    p, w = int(part.replace(",", "")), int(whole.replace(",", ""))
    return f"{100 * p / w:.1f}%" if w else "-"
