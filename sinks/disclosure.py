"""Disclosure control for the board's tables: small counts hidden, and nothing hidden that
the totals would give away.

Primary suppression hides every count from ``low`` to ``high`` (1-5 by default; zero is
shown: a true zero discloses nothing about a child). Secondary suppression then hides more
cells until no hidden cell can be worked out from the published totals: a table with its
margins is a system of linear equations (each row and each column adds up to its total), and
a hidden cell is safe only when those equations, with every shown value filled in, leave it
undetermined. That is checked exactly (rational arithmetic), not by a rule of thumb, so
patterns where each line holds two hidden cells but the lines together pin one down are
caught too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

__all__ = ["SHOWN_AS", "Suppressed", "determined", "suppress"]

SHOWN_AS = "c"
"""What a hidden count reads as (the ONS convention: 'confidential')."""

Cell = tuple[int, int]


@dataclass(frozen=True)
class Suppressed:
    """A table with its margins, and which of its cells are hidden.

    ``values`` is (rows + 1) x (columns + 1): the last column holds row totals, the last row
    column totals (when the table shows them), the corner the grand total.
    """

    values: tuple[tuple[int, ...], ...]
    hidden: frozenset[Cell]
    row_totals: bool
    column_totals: bool

    def shown(self, row: int, column: int) -> int | None:
        """The value as published, or None where it is hidden."""
        return None if (row, column) in self.hidden else self.values[row][column]


def _with_margins(cells: Sequence[Sequence[int]]) -> list[list[int]]:
    columns = len(cells[0]) if cells else 0
    table = [[*row, sum(row)] for row in cells]
    table.append([sum(row[j] for row in table) for j in range(columns + 1)])
    return table


def _lines(rows: int, columns: int, row_totals: bool, column_totals: bool) -> list[list[Cell]]:
    """Each published equation as its cells; the total is the last cell of each line."""
    lines: list[list[Cell]] = []
    if row_totals:
        last = rows + 1 if column_totals else rows
        lines += [[(i, j) for j in range(columns + 1)] for i in range(last)]
    if column_totals:
        last = columns + 1 if row_totals else columns
        lines += [[(i, j) for i in range(rows + 1)] for j in range(last)]
    return lines


def _rank(matrix: list[list[Fraction]]) -> int:
    rows = [row[:] for row in matrix]
    rank = 0
    width = len(rows[0]) if rows else 0
    for column in range(width):
        pivot = next((r for r in range(rank, len(rows)) if rows[r][column] != 0), None)
        if pivot is None:
            continue
        rows[rank], rows[pivot] = rows[pivot], rows[rank]
        for r in range(len(rows)):
            if r != rank and rows[r][column] != 0:
                factor = rows[r][column] / rows[rank][column]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[rank], strict=True)]
        rank += 1
    return rank


def determined(lines: Sequence[Sequence[Cell]], hidden: frozenset[Cell]) -> set[Cell]:
    """Hidden cells the equations pin down (a cell's unit vector lies in their row space)."""
    unknown = sorted(hidden)
    index = {cell: n for n, cell in enumerate(unknown)}
    matrix = []
    for line in lines:
        row = [Fraction(0)] * len(unknown)
        *parts, total = line
        for cell in parts:
            if cell in index:
                row[index[cell]] += 1
        if total in index:
            row[index[total]] -= 1
        if any(row):
            matrix.append(row)
    if not matrix:
        return set()
    base = _rank(matrix)
    found = set()
    for cell, n in index.items():
        unit = [Fraction(int(k == n)) for k in range(len(unknown))]
        if _rank([*matrix, unit]) == base:
            found.add(cell)
    return found


def suppress(
    cells: Sequence[Sequence[int]],
    *,
    low: int = 1,
    high: int = 5,
    row_totals: bool = True,
    column_totals: bool = True,
) -> Suppressed:
    """Hide small counts of ``cells`` (rows x columns) and what would give them away."""
    values = _with_margins(cells)
    rows, columns = len(cells), len(cells[0]) if cells else 0
    lines = _lines(rows, columns, row_totals, column_totals)
    published = {cell for line in lines for cell in line} | {
        (i, j) for i in range(rows) for j in range(columns)
    }
    hidden = {c for c in published if low <= values[c[0]][c[1]] <= high}
    while exposed := determined(lines, frozenset(hidden)):
        cell = min(exposed)
        near = [c for line in lines if cell in line for c in line if c not in hidden]
        # prefer a cell of a line through it; a body cell to a total; a non-zero to a zero;
        # then the smallest (everything hidden leaves nothing determined, so this ends)
        choices = near or [c for c in published if c not in hidden]
        hidden.add(
            min(
                choices,
                key=lambda c: (
                    c[0] == rows or c[1] == columns,
                    values[c[0]][c[1]] == 0,
                    values[c[0]][c[1]],
                    c,
                ),
            )
        )
    return Suppressed(
        tuple(tuple(row) for row in values), frozenset(hidden), row_totals, column_totals
    )
