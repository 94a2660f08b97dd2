"""The board report's building blocks: tables, charts, and the layout that fills them.

``Layout`` reads the stored figures and lays out tables with disclosure control applied
(``sinks.disclosure``) where the board must not see a count.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sinks.board import INDICATORS, Figure, Good, Indicator
from sinks.disclosure import SHOWN_AS, suppress
from sinks.report_tiles import Tile

__all__ = ["BoardTable", "Chart", "Key", "Layout", "number", "percent"]

Key = tuple[str, str, str]
"""A figure's key: indicator, period, dimension."""


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
    """A series to draw: bars by month or quarter, with a target line where there is one, and
    the same span of the year before beside them where it is known."""

    key: str
    title: str
    labels: tuple[str, ...]
    values: tuple[float | None, ...]
    """None where the value is suppressed."""
    unit: str = ""
    target: float | None = None
    good: Good | None = None
    before: tuple[float | None, ...] = ()
    """The year before, label by label (empty: not shown)."""
    years: tuple[str, str] = ("", "")
    """(this year, the year before) as the legend names them."""


@dataclass
class Layout:
    """The figures by key and the disclosure policy; the tables and charts laid out so far."""

    figures: Mapping[Key, Figure]
    hide: bool
    low: int
    high: int
    tables: list[BoardTable] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    hidden: set[Key] = field(default_factory=set)
    """Figures laid out as "c" (disclosure control)."""
    shown_keys: set[Key] = field(default_factory=set)
    """Figures laid out as counts, through disclosure control."""
    tiles: list[Tile] = field(default_factory=list)
    """The summary tiles, one per indicator with a target."""

    def value(self, indicator: str, period: str, dimension: str = "") -> float:
        figure = self.figures.get((indicator, period, dimension))
        return figure.value if figure else 0.0

    def count(self, indicator: str, period: str, dimension: str = "") -> int:
        return int(self.value(indicator, period, dimension))

    def dimensions(self, indicator: str, period: str) -> list[str]:
        return sorted(d for (i, p, d) in self.figures if i == indicator and p == period)

    def grid(
        self,
        keys: Sequence[Sequence[Key]],
        *,
        row_totals: bool = True,
        column_totals: bool = True,
        protect: bool = True,
    ) -> list[list[str]]:
        """The counts of the figures ``keys``, with their totals, as shown (suppressed where the
        board must not see them); notes which figures were hidden and which shown."""
        cells = [[self.count(*k) for k in row] for row in keys]
        shown = suppress(
            cells,
            low=self.low,
            high=self.high if self.hide and protect else self.low - 1,
            row_totals=row_totals,
            column_totals=column_totals,
        )
        for i, row in enumerate(keys):
            for j, key in enumerate(row):
                (self.hidden if shown.shown(i, j) is None else self.shown_keys).add(key)
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
