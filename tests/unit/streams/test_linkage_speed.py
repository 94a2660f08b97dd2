"""The linkage hot path's shortcuts give the answers of the long way round."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from simulation.corruption import corrupted_records
from simulation.labelled import LabelledRecord, labelled_records
from streams.bound import Bound
from streams.comparison import PersonRecord, Scorer, compare, identity, two_issued_ids
from streams.linkage import Linker
from streams.model import default_model
from tests.unit.streams.people import girl


def _shared(a: PersonRecord, b: PersonRecord) -> set[str]:
    return set(a.blocking_keys()) & set(b.blocking_keys())


def test_a_nickname_with_another_initial_and_a_mistyped_day_shares_a_block() -> None:
    olivia = girl("a", "Olivia", "White", dt.date(2015, 3, 14), "LS1 4AP")
    liv = girl("b", "Liv", "White", dt.date(2015, 3, 17), "M1 1AA")
    bill = girl("c", "Bill", "White", dt.date(2015, 3, 24), "M1 1AA")
    william = girl("d", "William", "White", dt.date(2015, 3, 27), "LS1 4AP")
    assert _shared(olivia, liv)
    assert _shared(bill, william)


def test_a_typo_in_the_first_letter_shares_a_block_on_the_birth_date_or_at_one_home() -> None:
    aidan = girl("a", "Aidan", "White", dt.date(2015, 3, 14), "LS1 4AP")
    assert _shared(aidan, girl("b", "Sidan", "White", dt.date(2015, 3, 14), "M1 1AA"))
    assert _shared(aidan, girl("c", "Sidan", "White", dt.date(2015, 3, 17), "LS1 4AP"))


def test_unrelated_given_names_of_one_family_and_month_no_longer_share_a_block() -> None:
    a = girl("a", "Olivia", "White", dt.date(2015, 3, 14), "LS1 4AP")
    b = girl("b", "Harry", "White", dt.date(2015, 3, 27), "M1 1AA")
    assert not _shared(a, b)


def test_two_given_names_of_one_family_born_one_day_share_no_block() -> None:
    a = girl("a", "Olivia", "White", dt.date(2015, 3, 14), "LS1 4AP")
    assert not _shared(a, girl("b", "Harry", "White", dt.date(2015, 3, 14), "M1 1AA"))
    assert not _shared(a, girl("c", "Harry", "White", dt.date(2015, 3, 11), "M1 1AA"))


def test_a_record_without_a_given_name_meets_the_family_born_that_day_or_month_at_home() -> None:
    a = girl("a", "", "White", dt.date(2015, 3, 14), "LS1 4AP")
    for given in ("Olivia", "Harry", "Zara"):
        assert _shared(a, girl("b", given, "White", dt.date(2015, 3, 14), "M1 1AA"))
        assert _shared(a, girl("c", given, "White", dt.date(2015, 3, 17), "LS1 4AP"))


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (dt.date(2015, 1, 31), dt.date(2015, 2, 1)),
        (dt.date(2015, 2, 27), dt.date(2015, 3, 2)),
        (dt.date(2014, 12, 30), dt.date(2015, 1, 2)),
    ],
)
def test_near_birth_dates_either_side_of_a_month_end_share_a_block(
    first: dt.date, second: dt.date
) -> None:
    a = girl("a", "Oscar", "White", first, "LS1 4AP")
    b = girl("b", "Oscar", "White", second, "M1 1AA")
    assert _shared(a, b)


def test_a_mistyped_month_or_year_shares_a_block() -> None:
    a = girl("a", "Oscar", "White", dt.date(2015, 3, 14), "LS1 4AP")
    assert _shared(a, girl("b", "Oscar", "White", dt.date(2015, 8, 14), "M1 1AA"))
    assert _shared(a, girl("c", "Oscar", "White", dt.date(2016, 3, 14), "M1 1AA"))


def test_the_birth_year_alone_is_no_longer_a_block_with_the_names() -> None:
    a = girl("a", "Oscar", "White", dt.date(2015, 3, 14), "LS1 4AP")
    assert not _shared(a, girl("b", "Oscar", "White", dt.date(2015, 8, 27), "M1 1AA"))


def test_the_scorers_memory_is_bounded_and_forgetting_changes_no_answer() -> None:
    records = [
        PersonRecord.from_child(r.record_id, r.child, r.agency.value)
        for r in labelled_records(5, 40)
    ]
    model = default_model()
    scorer = Scorer(model, memory=16)
    for a in records[:60]:
        for b in records[:60]:
            assert scorer.compare(a, b, identity(a) + identity(b)) == compare(a, b, model)
            assert len(scorer) <= 32


@pytest.mark.parametrize("floor", [0.5, 8.0, 14.0])
def test_the_bound_rules_out_only_pairs_that_could_not_be_kept(floor: float) -> None:
    labelled = labelled_records(5, 40) + corrupted_records(5, 120)
    records = [PersonRecord.from_child(r.record_id, r.child, r.agency.value) for r in labelled]
    model = default_model()
    bound = Bound(model)
    ruled_out = 0
    for a in records:
        may_reach = bound.probe(a, floor)
        for b in records:
            if not may_reach(b):
                ruled_out += 1
                found = compare(a, b, model)
                assert not found.levels or found.weight < floor  # no levels: by rule
                # one agency's two ids are held apart by the scorer before the bound is asked
                assert not found.apart or two_issued_ids(a, b)
    assert ruled_out > len(records) ** 2 // 2  # most pairs need no names compared


def test_the_scorers_pass_keeps_what_compare_keeps() -> None:
    labelled = labelled_records(6, 40) + corrupted_records(6, 120)
    records = [PersonRecord.from_child(r.record_id, r.child, r.agency.value) for r in labelled]
    model = default_model()
    by_id = {r.record_id: r for r in records}
    for a in records[:80]:
        kept = Scorer(model).above(a, list(by_id), by_id, model.review)
        wanted = [
            (r.record_id, c)
            for r in records
            if (c := compare(a, r, model)).weight >= model.review or c.apart
        ]
        assert kept == wanted


_SETS: list[Callable[[], list[LabelledRecord]]] = [
    lambda: labelled_records(3, 300),
    lambda: corrupted_records(5, 600),
]


@pytest.mark.parametrize("make", _SETS)
def test_persons_and_moves_are_those_of_the_full_rebuild(
    make: Callable[[], list[LabelledRecord]], monkeypatch: pytest.MonkeyPatch
) -> None:
    records = [PersonRecord.from_child(r.record_id, r.child, r.agency.value) for r in make()]
    fast = Linker()
    quick = [fast.add(record) for record in records]
    monkeypatch.setattr(Linker, "_unconstrained", lambda self, ids: False)
    slow = Linker()
    full = [slow.add(record) for record in records]
    assert fast.person == slow.person
    assert [(o.person_id, o.merged, o.moved) for o in quick] == [
        (o.person_id, o.merged, o.moved) for o in full
    ]
    assert any(o.moved for o in full)  # the rebuild had persons to move
    assert len(set(fast.person.values())) < len(records)


def test_pairs_alike_field_by_field_share_one_comparison_with_its_levels_weights() -> None:
    model = default_model()
    born = dt.date(2015, 3, 14)
    first = compare(girl("a", "Oscar", "White", born), girl("b", "Oscar", "Whyte", born), model)
    second = compare(girl("c", "Oscar", "White", born), girl("d", "Oscar", "Whyte", born), model)
    other = compare(girl("e", "Oscar", "White", born), girl("f", "Oscar", "Green", born), model)
    assert first is second  # one object for the garbage collector, not one a pair
    assert first.weight == sum(w for _, _, w in first.levels)
    assert other is not first and other.levels[1][1] != first.levels[1][1]


def test_a_record_with_no_candidate_is_a_person_of_its_own_and_one_like_it_joins_it() -> None:
    linker = Linker()
    born = dt.date(2015, 3, 14)
    alone = linker.add(girl("a", "Oscar", "White", born))
    again = linker.add(girl("b", "Oscar", "White", born))
    assert (alone.person_id, alone.outcome.value, alone.weight) == ("a", "new_person", 0.0)
    assert alone.explanation == "no candidate above the link threshold"
    assert (again.person_id, again.outcome.value) == ("a", "linked")
