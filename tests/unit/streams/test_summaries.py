"""The summaries mapping: a snapshot's rows made when asked for, the same answers as a dict."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from streams.episodes import EventSummary
from streams.summaries import FIELDS, Summaries, encoded

T0 = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)


def _summary(n: int, **changed: Any) -> EventSummary:
    made = EventSummary(
        f"r{n}",
        "contact" if n % 3 == 0 else "notification",
        "police" if n % 2 else "health",
        f"A{n}",
        T0 + dt.timedelta(minutes=n, microseconds=n % 2),
        contact_id=None if n % 4 else f"c{n}",
        rag_rating="red" if n % 3 == 0 else None,
        digest=f"d{n % 5}",
        tenant="t",
    )
    return dataclasses.replace(made, **changed)


def _rows(count: int) -> dict[str, EventSummary]:
    rows = {f"r{n}": _summary(n) for n in range(count)}
    rows["r1"] = _summary(1, event_id="e-marac")  # a MARAC child's event id is not its record's
    return rows


def _loaded(rows: dict[str, EventSummary]) -> Summaries:
    ids = list(rows)
    return Summaries(ids, encoded(ids, list(rows.values())))


def test_a_snapshots_rows_read_as_the_summaries_they_were() -> None:
    rows = _rows(12)
    loaded = _loaded(rows)
    assert len(loaded) == 12 and list(loaded) == list(rows)
    assert "r3" in loaded and "r99" not in loaded
    assert dict(loaded) == rows
    assert loaded["r1"].event_id == "e-marac"
    assert loaded["r4"] is loaded["r4"]  # made once
    assert loaded.get("r99") is None
    with pytest.raises(KeyError):
        loaded["r99"]


def test_what_is_set_after_counts_as_a_dict_would_count_it() -> None:
    rows = _rows(10)
    loaded = _loaded(rows)
    expected = dict(rows)
    for rid, summary in [
        ("r20", _summary(20)),
        ("r2", _summary(2, rag_rating="amber", event_type="contact")),  # a row set again
        ("r21", _summary(21, occurred_at=T0 + dt.timedelta(days=3))),
        ("r20", _summary(20, digest="d-new")),  # a set one set again: keeps its place
    ]:
        loaded[rid] = summary
        expected[rid] = summary
    assert list(loaded) == list(expected) and len(loaded) == len(expected)
    assert dict(loaded) == expected
    for name in FIELDS:
        if name != "occurred_at":
            assert loaded.column(name) == [getattr(s, name) for s in expected.values()], name
    assert loaded.latest() == T0 + dt.timedelta(days=3)


def test_a_row_set_again_counts_by_its_new_time() -> None:
    rows = _rows(6)
    latest = max(s.occurred_at for s in rows.values())
    loaded = _loaded(rows)
    assert loaded.latest() == latest
    last = next(r for r, s in rows.items() if s.occurred_at == latest)
    loaded[last] = _summary(0, event_id=last)  # earlier than the row held
    assert loaded.latest() == max(s.occurred_at for r, s in rows.items() if r != last)
    for rid in rows:  # every row set again, to the first time
        loaded[rid] = _summary(0, event_id=rid)
    assert loaded.latest() == T0


def test_times_of_several_offsets_are_compared_as_times() -> None:
    later_in_text = dt.datetime(2026, 3, 1, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    later = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)  # 8:00 UTC is earlier
    rows = {"a": _summary(1, event_id="a", occurred_at=later_in_text)}
    rows["b"] = _summary(2, event_id="b", occurred_at=later)
    assert _loaded(rows).latest() == later
    assert Summaries().latest() is None


def test_a_save_writes_the_rows_it_holds_and_what_was_set() -> None:
    rows = _rows(8)
    loaded = _loaded(rows)
    loaded["r3"] = _summary(3, decision="nfa")
    loaded["r30"] = _summary(30)
    expected = {**rows, "r3": _summary(3, decision="nfa"), "r30": _summary(30)}
    in_order = list(loaded)
    assert loaded.columns_for(in_order) == encoded(in_order, [expected[r] for r in in_order])
    shuffled = in_order[::-1]
    assert loaded.columns_for(shuffled) == encoded(shuffled, [expected[r] for r in shuffled])


def test_a_save_in_order_makes_no_summary(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = _rows(8)
    loaded = _loaded(rows)
    made: list[int] = []
    real = Summaries._row
    monkeypatch.setattr(Summaries, "_row", lambda self, row: made.append(row) or real(self, row))
    loaded.columns_for(list(rows))
    assert made == []
    loaded.columns_for(list(rows)[::-1])
    assert sorted(made) == list(range(8))


def test_columns_that_do_not_match_the_records_are_refused() -> None:
    rows = _rows(3)
    columns = encoded(list(rows), list(rows.values()))
    with pytest.raises(ValueError, match="one value a record"):
        Summaries(["r0", "r1"], columns)
    with pytest.raises(ValueError, match="one value a record"):
        Summaries(list(rows), columns[:-1])
    with pytest.raises(ValueError, match="times are read by latest"):
        Summaries().column("occurred_at")


def test_once_half_the_rows_were_asked_for_the_rest_are_made() -> None:
    rows = _rows(10)
    loaded = _loaded(rows)
    loaded["r20"] = _summary(20)
    expected = {**rows, "r20": _summary(20)}
    for rid in ["r9", "r3", "r5", "r0", "r7"]:  # half: still columns
        assert loaded[rid] == expected[rid]
    assert "5 not made" in repr(loaded)
    assert loaded["r1"] == expected["r1"]  # past half: all made
    assert "0 not made" in repr(loaded)
    assert list(loaded) == list(expected) and dict(loaded) == expected
    loaded["r21"] = _summary(21)
    loaded["r2"] = _summary(2, decision="nfa")
    expected |= {"r21": _summary(21), "r2": _summary(2, decision="nfa")}
    assert list(loaded) == list(expected) and dict(loaded) == expected
    assert loaded.column("decision") == [s.decision for s in expected.values()]
    assert loaded.latest() == max(s.occurred_at for s in expected.values())


def test_summaries_set_one_by_one_read_as_a_dict() -> None:
    summaries, expected = Summaries(), {}
    for n in (3, 1, 2, 1):
        summaries[f"r{n}"] = expected[f"r{n}"] = _summary(n, event_id=f"r{n}")
    assert list(summaries) == list(expected) and len(summaries) == 3
    assert summaries.column("event_id") == ["r3", "r1", "r2"]
    assert summaries.latest() == max(s.occurred_at for s in expected.values())
    ids = list(expected)
    assert summaries.columns_for(ids) == encoded(ids, list(expected.values()))


def test_a_record_of_two_rows_is_refused() -> None:
    rows = _rows(2)
    columns = encoded(["r0", "r0"], list(rows.values()))
    with pytest.raises(ValueError, match="two rows"):
        Summaries(["r0", "r0"], columns)
    with pytest.raises(ValueError, match="one value a record"):
        Summaries([], columns)
