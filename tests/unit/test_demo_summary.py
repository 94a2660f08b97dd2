"""A repeat `mash demo` says how many events the hub recognised as repeats and whether any
figure changed (the store's figures before and after, its audit's deduplicated decisions)."""

from __future__ import annotations

import datetime as dt

from mash.demo_summary import Snapshot, repeats_line
from sinks.figures import Figure

DAY = dt.date(2013, 3, 31)
FIGURES = frozenset(
    {Figure("referrals", "2012-13", "all", 1372.0), Figure("re_referrals", "2012-13", "all", 21.3)}
)


def test_a_repeat_run_that_changed_nothing_says_so() -> None:
    before = Snapshot(DAY, FIGURES, deduplicated=0)
    after = Snapshot(DAY, FIGURES, deduplicated=9_842)
    assert repeats_line(before, after) == "9,842 events recognised as repeats; no figure changed"


def test_a_changed_figure_is_counted_once() -> None:
    changed = (FIGURES - {Figure("re_referrals", "2012-13", "all", 21.3)}) | {
        Figure("re_referrals", "2012-13", "all", 21.4)
    }
    line = repeats_line(Snapshot(DAY, FIGURES, 10), Snapshot(DAY, frozenset(changed), 15))
    assert line == "5 events recognised as repeats; 1 figure changed"


def test_a_first_run_says_nothing_of_repeats() -> None:
    assert repeats_line(Snapshot(None, frozenset(), 0), Snapshot(DAY, FIGURES, 0)) is None
    first = repeats_line(Snapshot(None, frozenset(), 0), Snapshot(DAY, FIGURES, 3))
    assert first is not None and "none stored for it before" in first
