"""The store's upserts are idempotent (SQLite here; PostgreSQL in the integration tests)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from schemas.metrics import ContactCount
from sinks.store import ContactTotal, Store


def _count(month: str, partition: int, n: int) -> ContactCount:
    return ContactCount(agency="POLICE", month=month, partition=partition, contacts=n)


def test_upserts_keep_the_latest_absolute_count_and_replays_change_nothing(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'hub.db'}")
    batch = [_count("2012-04", 0, 3), _count("2012-04", 1, 2), _count("2012-05", 0, 1)]
    store.upsert_contact_counts(batch)
    store.upsert_contact_counts([_count("2012-04", 0, 5)])
    expected = [ContactTotal("POLICE", "2012-04", 7), ContactTotal("POLICE", "2012-05", 1)]
    assert store.contact_totals() == expected
    store.upsert_contact_counts([_count("2012-04", 0, 5), *batch[1:]])  # a replay
    assert store.contact_totals() == expected
    store.close()


def test_the_highest_count_of_a_cell_wins_within_a_batch_and_across_batches(
    tmp_path: Path,
) -> None:
    store = Store(f"sqlite:///{tmp_path / 'hub.db'}")
    store.upsert_contact_counts([_count("2012-04", 0, 1), _count("2012-04", 0, 3)])
    store.upsert_contact_counts([_count("2012-04", 0, 2)])  # late: counts only grow
    assert store.contact_totals() == [ContactTotal("POLICE", "2012-04", 3)]


def test_figures_are_upserted_by_key_and_ones_no_longer_computed_go(tmp_path: Path) -> None:
    from sinks.board import Figure

    store = Store(f"sqlite:///{tmp_path / 'hub.db'}")
    day = dt.date(2013, 3, 31)
    store.replace_figures(
        [Figure("cp_new", "2012-13", "NEG", 57.0), Figure("x", "p", "", 1.0)], day
    )
    store.replace_figures([Figure("cp_new", "2012-13", "NEG", 58.0)], day)
    store.replace_figures([Figure("cp_new", "2012-13", "NEG", 58.0)], day)  # again: no change
    assert store.figures() == (day, [Figure("cp_new", "2012-13", "NEG", 58.0)])
