"""The board's figures from facts: the havering-2012 year gives every published figure, and
each indicator counts what its definition says (late, corrected and repeated facts included)."""

from __future__ import annotations

import datetime as dt
from functools import cache

from schemas.common import Envelope
from simulation.year import simulate
from sinks.board import INDICATORS, Figure, compute, financial_year, quarter_ends
from sinks.facts import Fact, fact_of
from tests.published import check

AS_OF = dt.date(2013, 3, 31)


@cache
def _year_facts() -> tuple[Fact, ...]:
    """One fact per agency record (what the facts table holds after de-duplication)."""
    sim = simulate("havering-2012", seed=2012)
    facts: dict[str, Fact] = {}
    for events in sim.events.values():
        for event in events:
            fact = fact_of(event)
            facts.setdefault(fact.record_key, fact)
    return tuple(facts.values())


@cache
def _figures() -> dict[tuple[str, str, str], Figure]:
    return {f.key: f for f in compute(_year_facts(), AS_OF)}


def value(indicator: str, period: str, dimension: str = "") -> float:
    return _figures()[(indicator, period, dimension)].value


def test_every_published_figure_comes_out() -> None:
    check({k: f.value for k, f in _figures().items()})


def test_mash_flow_figures_exist_and_add_up() -> None:
    sources = sum(f.value for k, f in _figures().items() if k[0] == "contacts_by_source")
    rag = sum(f.value for k, f in _figures().items() if k[0] == "contacts_by_rag")
    assert sources == rag > 1000
    conversion = _figures()[("contact_conversion", "2012-13", "")]
    assert conversion.denominator == sources and 0 < conversion.value < 100


def test_every_figure_names_a_defined_indicator() -> None:
    assert {f.indicator for f in _figures().values()} <= INDICATORS.keys()
    assert all(i.counts and i.period for i in INDICATORS.values())


def _fact(n: int, event_type: str, day: dt.date, **data: object) -> Fact:
    return Fact(
        f"cs:R{n}",
        f"e{n}",
        event_type,
        "CHILDRENS_SERVICES",
        day,
        dt.datetime(2013, 1, 1, tzinfo=dt.UTC),
        "d",
        data,
    )


def test_re_referrals_and_repeat_plans_follow_the_person() -> None:
    facts = [
        _fact(
            1,
            "childrens_services.referral",
            dt.date(2012, 1, 10),
            referral_id="a",
            contact_id=None,
            referral_source="RS6",
        ),
        _fact(
            2,
            "childrens_services.referral",
            dt.date(2012, 11, 5),
            referral_id="b",
            contact_id=None,
            referral_source="RS6",
        ),
        _fact(
            3,
            "childrens_services.referral",
            dt.date(2012, 12, 5),
            referral_id="c",
            contact_id=None,
            referral_source="RS6",
        ),
        _fact(
            4,
            "childrens_services.cp_plan_started",
            dt.date(2010, 1, 1),
            plan_id="p",
            category="NEG",
            start_date="2010-01-01",
            unborn=False,
        ),
        _fact(
            5,
            "childrens_services.cp_plan_started",
            dt.date(2012, 6, 1),
            plan_id="q",
            category="NEG",
            start_date="2012-06-01",
            unborn=False,
        ),
    ]
    persons = {"e1": "A", "e2": "A", "e3": "B", "e4": "C", "e5": "C"}
    figures = {f.key: f for f in compute(facts, AS_OF, persons)}
    again = figures[("re_referrals", "2012-13", "")]
    assert (again.numerator, again.denominator) == (1, 2)  # A again within 12 months; B is new
    repeat = figures[("repeat_cp_plans", "2012-13", "")]
    assert (repeat.numerator, repeat.denominator) == (1, 1)


def test_a_later_fact_moves_a_plan_between_cells() -> None:
    plan = _fact(
        1,
        "childrens_services.cp_plan_started",
        dt.date(2013, 1, 2),
        plan_id="p",
        category="NEG",
        start_date="2013-01-02",
        unborn=False,
    )
    before = {f.key: f.value for f in compute([plan], AS_OF)}
    corrected = Fact(
        **{
            **{s: getattr(plan, s) for s in Fact.__slots__},
            "data": {**plan.data, "category": "EMO"},
        }
    )
    after = {f.key: f.value for f in compute([corrected], AS_OF)}
    assert (
        before[("cp_open", "2013-03-31", "NEG|0-6")] == 1
        and after[("cp_open", "2013-03-31", "NEG|0-6")] == 0
    )
    assert after[("cp_open", "2013-03-31", "EMO|0-6")] == 1


def test_periods() -> None:
    year = financial_year(dt.date(2012, 11, 15))
    assert (year.start, year.label) == (dt.date(2012, 4, 1), "2012-13")
    assert [q for q, _ in quarter_ends(year)] == ["Q1", "Q2", "to date"]
    assert year.year_before().end == dt.date(2011, 11, 15)


def _event(kind: str) -> Envelope:
    return simulate("havering-2012", seed=2012).events[kind][0]


def test_facts_hold_no_names() -> None:
    for kind in (
        "police.notification",
        "childrens_services.cp_plan_started",
        "community_safety.marac_case",
    ):
        event = _event(kind)
        text = fact_of(event).data_json()
        names = [getattr(event, "subject", None)]
        for child in filter(None, names):
            assert child.given_name not in text and child.family_name not in text
