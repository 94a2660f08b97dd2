"""A live index shares equal values as a restored one does: a record's names, postcode and
dates are one object with every other record's equal ones, and a child's record id is its
event's id string (about 210 bytes a record less at 100,000 police notifications)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest

from simulation.synthetic import police_notifications
from streams import comparison
from streams.comparison import Level, PersonRecord
from streams.hub import HubState


def _text(*parts: str) -> str:
    return "".join(parts)  # made at run time: not a constant the compiler shares


def test_equal_names_postcodes_and_dates_are_one_object() -> None:
    one, two = (
        PersonRecord.of(
            f"r{n}",
            given_name=_text("Ol", "ivia"),
            family_name=_text("Green-", "O'Brien"),
            date_of_birth=dt.date(2015, 3, n + 1).replace(day=4),
            expected_delivery_date=None,
            sex="FEMALE",
            postcode=_text("RM3 ", "4QW"),
            mother=(_text("Ja", "ne"), _text("Green"), dt.date(1990, 1, n + 1).replace(day=9)),
        )
        for n in range(2)
    )
    assert one.given_name == "olivia" and one.family_name == "green obrien"
    assert one.given_name is two.given_name and one.family_name is two.family_name
    assert one.postcode == "RM34QW" and one.postcode is two.postcode
    assert one.date_of_birth is two.date_of_birth
    assert one.mother is not None and two.mother is not None
    assert all(a is b for a, b in zip(one.mother, two.mother, strict=True))


def test_a_childs_record_id_is_its_events_id_string_and_equal_values_are_shared() -> None:
    state = HubState()
    state.process(list(police_notifications(400, 5, dt.date(2012, 4, 1), dt.date(2013, 4, 1))), "t")
    by_name: dict[str, set[int]] = defaultdict(set)
    for rid, record in state.linker.records.items():
        assert state.summaries[rid].event_id is rid is record.record_id
        by_name[record.family_name].add(id(record.family_name))
    assert len(by_name) < len(state.linker.records)  # some names recur
    assert all(len(objects) == 1 for objects in by_name.values())


def test_equal_weights_are_one_float_even_past_the_comparisons_remembered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a link keeps its comparison's weight: past the comparisons the scorer remembers, each
    # comparison is made again, and its weight must still be the one float of its value
    monkeypatch.setattr(comparison, "_COMPARISONS", {})
    weights = [float(n) / 7 for n in (3, 4, 5, 6, 7)]
    key = (*(x for w in weights for x in (Level.EXACT, w)), None)
    one = comparison._comparison(key)  # type: ignore[arg-type]
    comparison._COMPARISONS.clear()  # as if past the bound: made again, its sum a new float
    two = comparison._comparison(key)  # type: ignore[arg-type]
    assert one is not two and one.weight == two.weight and one.weight is two.weight
