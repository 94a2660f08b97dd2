"""The havering-2012 year: its events, counted, give every figure the board published.

Counting here is deliberately plain (the hub's own metrics come later): duplicates are removed
by event id and re-submissions by the agency's record id, then each figure is counted as
``board-figures.md`` defines it. Published figures are written out below, not read from the
generator, so the generator is checked against the report itself.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from functools import cache
from typing import Any

import pytest
from pydantic import BaseModel

from schemas.police import IncidentType
from simulation.synthetic import police_notifications
from simulation.year import Simulation, simulate

FY = (dt.date(2012, 4, 1), dt.date(2013, 3, 31))
PRIOR_FY = (dt.date(2011, 4, 1), dt.date(2012, 3, 31))
QUARTER_ENDS = (dt.date(2012, 6, 30), dt.date(2012, 9, 30), dt.date(2012, 12, 31), FY[1])


@cache
def _sim() -> Simulation:
    return simulate("havering-2012", seed=2012)


def _distinct(kind: str) -> list[Any]:
    """One event per agency record: re-sends and re-submissions dropped."""
    seen: set[tuple[str, str]] = set()
    out = []
    for record in _sim().events[kind]:
        key = (record.source_agency, record.agency_record_id)
        if key not in seen:
            seen.add(key)
            out.append(record)
    return out


def _in(day: dt.date, period: tuple[dt.date, dt.date]) -> bool:
    return period[0] <= day <= period[1]


def _months(start: dt.date, end: dt.date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month - (end.day < start.day)


def _band(plan: Any) -> str:
    if plan.subject.date_of_birth is None:
        return "unborn"
    m = _months(plan.start_date, FY[1])
    return (
        "0-6"
        if m <= 6
        else "7-12"
        if m <= 12
        else "13-18"
        if m <= 18
        else "19-21"
        if m <= 21
        else "22+"
    )


def test_noise_is_present() -> None:
    noise = _sim().noise
    assert noise["re-sends"] > 100 and noise["re-submissions"] > 100
    assert noise["late"] > 100 and noise["out-of-order"] > 100
    police = _distinct("police.notification")
    with_nhs = sum(p.subject.nhs_number is not None for p in police)
    assert with_nhs / len(police) < 0.2  # police mostly without NHS numbers
    assert all(
        p.subject.nhs_number is None or p.subject.nhs_number.startswith("999") for p in police
    )


def test_children_on_a_plan_at_31_march_2013_by_category_and_duration() -> None:
    ended = {
        e.plan_id for e in _distinct("childrens_services.cp_plan_ended") if e.end_date <= FY[1]
    }
    open_plans = [
        p
        for p in _distinct("childrens_services.cp_plan_started")
        if p.start_date <= FY[1] and p.plan_id not in ended
    ]
    table = Counter((p.category.value, _band(p)) for p in open_plans)
    assert {k: v for k, v in table.items()} == {
        ("EMO", "0-6"): 27,
        ("EMO", "7-12"): 28,
        ("EMO", "13-18"): 5,
        ("EMO", "19-21"): 3,
        ("EMO", "22+"): 1,
        ("NEG", "0-6"): 22,
        ("NEG", "7-12"): 14,
        ("NEG", "13-18"): 4,
        ("NEG", "19-21"): 4,
        ("NEG", "22+"): 1,
        ("PHY", "unborn"): 1,
        ("PHY", "0-6"): 4,
        ("PHY", "7-12"): 3,
        ("PHY", "13-18"): 2,
        ("SAB", "7-12"): 2,
    }
    assert len(open_plans) == 121  # the published total; Unborn is 1, not the printed 2


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        (FY, {"EMO": 60, "NEG": 57, "PHY": 23, "SAB": 4}),
        (PRIOR_FY, {"EMO": 34, "NEG": 57, "PHY": 18, "SAB": 11}),
    ],
)
def test_new_plans_and_their_category_mix(
    period: tuple[dt.date, dt.date], expected: dict[str, int]
) -> None:
    new = Counter(
        p.category.value
        for p in _distinct("childrens_services.cp_plan_started")
        if _in(p.start_date, period)
    )
    assert dict(new) == expected


def _periods() -> dict[str, dict[str, Any]]:
    periods: dict[str, dict[str, Any]] = defaultdict(lambda: {"placements": []})
    for e in _distinct("childrens_services.lac_episode_started"):
        periods[e.period_id] |= {"start": e.start_date, "dob": e.subject.date_of_birth}
        periods[e.period_id]["placements"].append(e.start_date)
    for e in _distinct("childrens_services.lac_placement_changed"):
        periods[e.period_id]["placements"].append(e.change_date)
    for e in _distinct("childrens_services.lac_episode_ended"):
        periods[e.period_id] |= {"end": e.end_date, "reason": e.reason_ceased.value}
    return periods


def _lac_indicators(q_end: dt.date) -> tuple[float, float, float]:
    looked_after = [
        p
        for p in _periods().values()
        if p["start"] <= q_end and not (p.get("end") and p["end"] <= q_end)
    ]
    moves = sum(
        1
        for p in looked_after
        if len(
            [
                d
                for d in sorted(p["placements"])
                if d <= q_end and (d >= FY[0] or d == max(x for x in p["placements"] if x <= FY[0]))
            ]
        )
        >= 3
    )
    long_stay = [
        p
        for p in looked_after
        if _months(p["dob"], q_end) < 16 * 12 and _months(p["start"], q_end) >= 30
    ]
    settled = sum(
        1 for p in long_stay if _months(max(d for d in p["placements"] if d <= q_end), q_end) >= 24
    )
    ceased = [p for p in _periods().values() if p.get("end") and _in(p["end"], (FY[0], q_end))]
    adopted = sum(p["reason"] in {"E11", "E12", "E45", "E46", "E47", "E48"} for p in ceased)
    return (
        round(100 * moves / len(looked_after), 1),
        round(100 * settled / len(long_stay), 1),
        round(100 * adopted / len(ceased), 1),
    )


@pytest.mark.parametrize(
    ("quarter", "expected"),
    [
        (0, (4.7, 57.4, 3.4)),
        (1, (7.9, 66.0, 5.8)),
        (2, (12.0, 61.4, 9.4)),
        (3, (14.1, 63.0, 11.2)),
    ],
)
def test_looked_after_children_indicators_year_to_date(
    quarter: int, expected: tuple[float, ...]
) -> None:
    assert _lac_indicators(QUARTER_ENDS[quarter]) == expected


def test_adoption_orders_in_the_year() -> None:
    ended = _distinct("childrens_services.lac_episode_ended")
    assert sum(e.reason_ceased.value in {"E11", "E12"} and _in(e.end_date, FY) for e in ended) == 8


def test_cafs() -> None:
    cafs = [
        c for c in _distinct("childrens_services.caf_completed") if _in(c.occurred_at.date(), FY)
    ]
    assert len(cafs) == 181
    assert Counter(c.setting.value for c in cafs) == {
        "CHILDRENS_CENTRE": 98,
        "SCHOOL": 71,
        "HEALTH": 5,
        "OTHER": 7,
    }
    assert round(100 * sum(bool(c.needs_met) for c in cafs) / len(cafs)) == 68
    assert Counter(c.primary_need for c in cafs).most_common(1)[0][0] == "BEHAVIOURAL_DEVELOPMENT"


def test_child_deaths_reviewed() -> None:
    deaths = _distinct("childrens_services.child_death_reviewed")
    assert Counter(d.death_type.value for d in deaths) == {"EXPECTED": 11, "UNEXPECTED": 7}
    assert len({d.panel_date for d in deaths}) == 3
    assert not any(d.co_sleeping for d in deaths)


def test_lado_referrals_mostly_from_education() -> None:
    lado = [a for a in _distinct("lado.allegation") if _in(a.occurred_at.date(), FY)]
    assert len(lado) == 102
    education = sum(a.sector.value in {"EDUCATION", "EARLY_YEARS"} for a in lado)
    assert education > len(lado) / 2


def _dv(period: tuple[dt.date, dt.date]) -> tuple[int, int]:
    police = [p for p in _distinct("police.notification") if _in(p.occurred_at.date(), period)]
    offences = sum(p.incident_type.value == "DOMESTIC_ABUSE_OFFENCE" for p in police)
    incidents = offences + sum(p.incident_type.value == "DOMESTIC_ABUSE_INCIDENT" for p in police)
    return offences, incidents


def test_domestic_abuse_and_the_year_on_year_change() -> None:
    (off, inc), (off0, inc0) = _dv(FY), _dv(PRIOR_FY)
    assert (off, inc, off0, inc0) == (1283, 2939, 1239, 2856)
    assert round(100 * (off - off0) / off0, 1) == 3.6  # the report printed +4.3%
    assert round(100 * (inc - inc0) / inc0, 1) == 2.9


def test_marac_cases_in_2012() -> None:
    cases = [c for c in _distinct("community_safety.marac_case") if c.meeting_date.year == 2012]
    assert len(cases) == 153
    children = [k for c in cases for k in c.children]
    assert sum(k.date_of_birth is not None for k in children) == 209
    assert sum(k.date_of_birth is None for k in children) == 4


def test_the_same_incident_is_notified_by_several_agencies() -> None:
    assert len(_distinct("health.notification")) > 300
    assert len(_distinct("education.concern")) > 300


def _as_models(kind: str) -> list[BaseModel]:
    return _sim().events[kind]


def test_the_year_is_the_same_for_the_same_seed() -> None:
    again = simulate("havering-2012", seed=2012)
    assert {k: len(v) for k, v in again.events.items()} == {
        k: len(v) for k, v in _sim().events.items()
    }
    assert again.events["police.notification"][:50] == _as_models("police.notification")[:50]


def _police_envelope(record: Any) -> tuple[Any, ...]:
    return (
        record.source_system,
        record.tenant,
        record.isa_id,
        record.purpose,
        record.lawful_basis,
        record.special_category_condition,
        record.reporter_role,
    )


def test_the_year_and_the_plain_generator_follow_the_same_police_rules() -> None:
    year = _distinct("police.notification")
    plain = list(police_notifications(3000, 3, *FY))
    for records in (year, plain):
        assert {_police_envelope(r) for r in records} == {_police_envelope(plain[0])}
        assert all(re.fullmatch(r"MER-\d\d-\d{7}", r.agency_record_id) for r in records)
        assert all(r.merlin_ref == r.agency_record_id for r in records)
        assert all(re.fullmatch(r"MPS-RM-0[1-8]", r.reporter_team_id) for r in records)
        assert {r.incident_type.value for r in records} == {t.value for t in IncidentType}
        offences = [r for r in records if r.incident_type.value.endswith("OFFENCE")]
        assert all(r.cris_ref is not None for r in offences)
        assert not any(
            r.cris_ref for r in records if r.incident_type.value == "DOMESTIC_ABUSE_INCIDENT"
        )
        assert all(re.fullmatch(r"CRIS-\d{7}", r.cris_ref) for r in records if r.cris_ref)
        assert all(
            r.subject.nhs_number is None or r.subject.nhs_number.startswith("999") for r in records
        )
        standard = sum(r.risk_level.value == "STANDARD" for r in records) / len(records)
        assert 0.65 < standard < 0.75  # weights 70:22:8
        assert min(r.reported_at - r.occurred_at for r in records) >= dt.timedelta(hours=1)
    assert max(r.reported_at - r.occurred_at for r in plain) <= dt.timedelta(hours=36)
