"""Disclosure control: small counts hidden, and no hidden cell recoverable from the totals.

The attacker here is independent of the implementation: numpy's floating-point rank over the
published equations (the implementation uses exact rational elimination), plus the plain
"one unknown in a line" subtraction a reader would do by hand.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sinks.disclosure import Suppressed, suppress

small_heavy = st.one_of(st.integers(0, 7), st.integers(0, 60))
tables = st.integers(1, 5).flatmap(
    lambda columns: st.lists(
        st.lists(small_heavy, min_size=columns, max_size=columns), min_size=1, max_size=5
    )
)


def _equations(result: Suppressed) -> list[list[tuple[int, int]]]:
    rows, columns = len(result.values) - 1, len(result.values[0]) - 1
    lines = []
    if result.row_totals:
        last = rows + 1 if result.column_totals else rows
        lines += [[(i, j) for j in range(columns + 1)] for i in range(last)]
    if result.column_totals:
        last = columns + 1 if result.row_totals else columns
        lines += [[(i, j) for i in range(rows + 1)] for j in range(last)]
    return lines


def _recoverable_by_rank(result: Suppressed) -> set[tuple[int, int]]:
    unknown = sorted(result.hidden)
    if not unknown:
        return set()
    index = {c: n for n, c in enumerate(unknown)}
    rows = []
    for *parts, total in _equations(result):
        row = np.zeros(len(unknown))
        for c in parts:
            if c in index:
                row[index[c]] += 1
        if total in index:
            row[index[total]] -= 1
        rows.append(row)
    a = np.array(rows)
    base = np.linalg.matrix_rank(a)
    return {
        c
        for c, n in index.items()
        if np.linalg.matrix_rank(np.vstack([a, np.eye(len(unknown))[n]])) == base
    }


def _recoverable_by_subtraction(result: Suppressed) -> set[tuple[int, int]]:
    known = {
        (i, j)
        for i, row in enumerate(result.values)
        for j, _ in enumerate(row)
        if (i, j) not in result.hidden
    }
    found: set[tuple[int, int]] = set()
    changed = True
    while changed:
        changed = False
        for line in _equations(result):
            missing = [c for c in line if c not in known]
            if len(missing) == 1:
                known.add(missing[0])
                found.add(missing[0])
                changed = True
    return found & result.hidden


@settings(max_examples=300, deadline=None)
@given(tables)
def test_every_small_count_is_hidden(cells: list[list[int]]) -> None:
    result = suppress(cells)
    for i, row in enumerate(result.values):
        for j, value in enumerate(row):
            if 1 <= value <= 5:
                assert (i, j) in result.hidden


@settings(max_examples=300, deadline=None)
@given(tables)
def test_no_hidden_cell_can_be_worked_out_from_the_totals(cells: list[list[int]]) -> None:
    result = suppress(cells)
    assert not _recoverable_by_subtraction(result)
    assert not _recoverable_by_rank(result)


@settings(max_examples=200, deadline=None)
@given(tables)
def test_a_single_row_without_column_totals_is_protected_too(cells: list[list[int]]) -> None:
    result = suppress(cells[:1], column_totals=False)
    assert not _recoverable_by_rank(result)


@settings(max_examples=200, deadline=None)
@given(tables)
def test_shown_values_are_the_true_values(cells: list[list[int]]) -> None:
    result = suppress(cells)
    for i, row in enumerate(cells):
        for j, value in enumerate(row):
            assert result.shown(i, j) in (None, value)


def test_the_threshold_is_configurable_and_a_lone_small_cell_takes_a_partner() -> None:
    result = suppress([[3, 40, 50], [20, 30, 60]])
    assert (0, 0) in result.hidden
    assert len([c for c in result.hidden if c[0] == 0]) >= 2  # row 0: 3 and a partner
    assert len([c for c in result.hidden if c[1] == 0]) >= 2  # column 0: 3 and a partner
    assert not suppress([[3, 40]], low=1, high=2).hidden
    assert suppress([[0, 40], [10, 9]]).hidden == frozenset()
