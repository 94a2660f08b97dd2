"""The board's figures from facts: the havering-2012 year gives every published figure, and
each indicator counts what its definition says (late, corrected and repeated facts included)."""

from __future__ import annotations

import datetime as dt
from functools import cache

from schemas.common import Envelope
from schemas.event_types import EventType
from schemas.hub import EpisodeEvent, EpisodeSnapshot
from simulation.year import Simulation, simulate
from sinks.board import INDICATORS, Figure, compute, financial_year, quarter_ends
from sinks.facts import Fact, fact_of
from sinks.figures import EpisodeFlow
from tests.published import check

AS_OF = dt.date(2013, 3, 31)


@cache
def _year() -> Simulation:
    """The havering-2012 year, simulated once for every test here."""
    return simulate("havering-2012", seed=2012)


@cache
def _year_facts() -> tuple[Fact, ...]:
    """One fact per agency record (what the facts table holds after de-duplication)."""
    facts: dict[str, Fact] = {}
    for events in _year().events.values():
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


def _names(event: Envelope) -> list[str]:
    """Every given and family name the event carries: its subject, the children of a MARAC
    case, and related persons."""
    people = [
        getattr(event, "subject", None),
        *getattr(event, "children", ()),
        *getattr(event, "related_persons", ()),
    ]
    return [n for p in people if p is not None for n in (p.given_name, p.family_name)]


def test_facts_hold_no_names() -> None:
    for kind in (
        "police.notification",
        "childrens_services.cp_plan_started",
        "community_safety.marac_case",
    ):
        for event in _year().events[kind]:
            assert isinstance(event, Envelope)
            names = _names(event)
            assert names, f"{kind} {event.event_id} names no one, so the check would be empty"
            text = fact_of(event).data_json()
            assert not [n for n in names if n in text], (kind, event.event_id)


def _episode(n: int, *events: tuple[EventType, str]) -> EpisodeSnapshot:
    opened = dt.datetime(2012, 6, 4, 9, 0, tzinfo=dt.UTC)
    return EpisodeSnapshot(
        episode_id=f"E{n}",
        person_id=f"P{n}",
        opened_at=opened,
        events=tuple(
            EpisodeEvent(
                event_id=f"e{n}.{i}",
                event_type=kind,
                agency=agency,
                agency_record_id=f"R{n}.{i}",
                occurred_at=opened + dt.timedelta(hours=i),
            )
            for i, (kind, agency) in enumerate(events)
        ),
        agencies=(),
    )


def test_merged_notifications_count_the_partners_notifications_not_the_contact() -> None:
    contact = (EventType.CONTACT, "CHILDRENS_SERVICES")
    episodes = [
        _episode(
            1,
            (EventType.POLICE_NOTIFICATION, "POLICE"),
            (EventType.HEALTH_NOTIFICATION, "HEALTH"),
            contact,
        ),
        _episode(2, (EventType.POLICE_NOTIFICATION, "POLICE"), contact),
        _episode(3, contact),  # no notification: not in the denominator
    ]
    figures = {f.key: f for f in compute([], AS_OF, episodes=[EpisodeFlow.of(e) for e in episodes])}
    merged = figures[("merged_notifications", "2012-13", "")]
    assert (merged.numerator, merged.denominator) == (1, 3)
    assert figures[("merged_notifications", "2012-13", "multi-agency episodes")].value == 1
