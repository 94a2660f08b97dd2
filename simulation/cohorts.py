"""The board's calibrated cohorts: child protection plans, early help (CAFs), child deaths
reviewed, LADO allegations and MARAC cases, each made in the numbers the board published."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from schemas.childrens_services import (
    CafCompleted,
    CafNeed,
    ChildDeathReviewed,
    ChildProtectionPlanEnded,
    ChildProtectionPlanStarted,
    DeathType,
)
from schemas.codes import CpCategory
from schemas.common import Agency
from schemas.community_safety import MaracCase
from schemas.lado import LadoAllegation
from simulation.builder import YearBuilder
from simulation.havering import (
    CAF_NEEDS_MET,
    CAF_SETTINGS,
    CDOP_PANELS,
    CP_OPEN_AT_YEAR_END,
    FY_END,
    FY_START,
    LADO_SECTORS,
    MARAC,
    NEW_CP_PLANS,
    PRIOR_FY_START,
)

__all__ = ["cafs", "child_deaths", "cp_plans", "lado", "marac"]

# Start dates that put a plan open on 31 March 2013 squarely inside its duration band.
_BAND_STARTS = {
    "unborn": (dt.date(2013, 1, 5), dt.date(2013, 3, 20)),
    "0-6": (dt.date(2012, 10, 5), dt.date(2013, 3, 25)),
    "7-12": (dt.date(2012, 4, 5), dt.date(2012, 8, 25)),
    "13-18": (dt.date(2011, 10, 5), dt.date(2012, 2, 25)),
    "19-21": (dt.date(2011, 7, 5), dt.date(2011, 8, 25)),
    "22+": (dt.date(2011, 4, 5), dt.date(2011, 5, 25)),
}


def cp_plans(b: YearBuilder) -> None:
    """Plans open at the year end in every category and duration band, and new plans in both
    years by category (those still open counted among them)."""
    open_by_year: dict[str, dict[CpCategory, int]] = {
        "2012-13": defaultdict(int),
        "2011-12": defaultdict(int),
    }
    for category, bands in CP_OPEN_AT_YEAR_END.items():
        for band, count in bands.items():
            for _ in range(count):
                start = b.day_between(*_BAND_STARTS[band])
                _plan(b, category, start, None, unborn=band == "unborn")
                open_by_year["2012-13" if start >= FY_START else "2011-12"][category] += 1
    for year, targets in NEW_CP_PLANS.items():
        first = FY_START if year == "2012-13" else PRIOR_FY_START
        for category, total in targets.items():
            for _ in range(total - open_by_year[year][category]):
                start = b.day_between(first, first + dt.timedelta(days=300))
                end = b.day_between(
                    start + dt.timedelta(days=30),
                    min(FY_END - dt.timedelta(days=2), start + dt.timedelta(days=400)),
                )
                _plan(b, category, start, end, unborn=False)


def _plan(
    b: YearBuilder, category: CpCategory, start: dt.date, end: dt.date | None, unborn: bool
) -> None:
    if unborn:
        home = b.rng.randrange(len(b.pop.households))
        person = b.pop.unborn(home, FY_END + dt.timedelta(days=b.rng.randrange(20, 90)))
    else:
        person = b.child(min_age_days=(FY_START - start).days + 30)
    plan_id = b.ref("CPP")
    b.child_event(
        ChildProtectionPlanStarted,
        Agency.CHILDRENS_SERVICES,
        person,
        start,
        plan_id,
        plan_id=plan_id,
        category=category,
        start_date=start,
    )
    if end is not None:
        b.child_event(
            ChildProtectionPlanEnded,
            Agency.CHILDRENS_SERVICES,
            person,
            end,
            f"{plan_id}-END",
            plan_id=plan_id,
            end_date=end,
        )


# ---- early help, child deaths, LADO, MARAC ------------------------------------------------


def cafs(b: YearBuilder) -> None:
    """CAFs completed by setting, most for behaviour and development, 68% with needs met."""
    settings = [s for s, n in CAF_SETTINGS.items() for _ in range(n)]
    needs = [CafNeed.BEHAVIOURAL_DEVELOPMENT] * 61 + [
        b.rng.choice(list(CafNeed)[1:]) for _ in range(len(settings) - 61)
    ]
    met = [True] * CAF_NEEDS_MET + [False] * (len(settings) - CAF_NEEDS_MET)
    b.rng.shuffle(met)
    for setting, need, needs_met in zip(settings, needs, met, strict=True):
        caf = b.ref("CAF")
        b.child_event(
            CafCompleted,
            Agency.CHILDRENS_SERVICES,
            b.child(),
            b.day_between(FY_START, FY_END - dt.timedelta(days=1)),
            caf,
            caf_id=caf,
            setting=setting,
            primary_need=need,
            needs_met=needs_met,
        )


def child_deaths(b: YearBuilder) -> None:
    """Deaths reviewed, expected and unexpected, across the year's three CDOP panels."""
    kinds = [DeathType.EXPECTED] * 11 + [DeathType.UNEXPECTED] * 7
    for n, kind in enumerate(kinds):
        panel = CDOP_PANELS[n % len(CDOP_PANELS)]
        ref = b.ref("CDOP")
        b.child_event(
            ChildDeathReviewed,
            Agency.CHILDRENS_SERVICES,
            b.child(),
            panel,
            ref,
            cdop_ref=ref,
            death_type=kind,
            panel_date=panel,
            co_sleeping=False,
        )


def lado(b: YearBuilder) -> None:
    """Allegations against people working with children, by the sector they work in."""
    for sector, count in LADO_SECTORS.items():
        for _ in range(count):
            ref = b.ref("LADO")
            b.child_event(
                LadoAllegation,
                Agency.LADO,
                b.child(),
                b.day_between(FY_START, FY_END - dt.timedelta(days=1)),
                ref,
                allegation_ref=ref,
                sector=sector,
            )


def marac(b: YearBuilder) -> None:
    """MARAC cases heard in 2012 with the children (a few unborn) of each household."""
    sizes = [2] * (MARAC["children"] + MARAC["unborn"] - MARAC["cases"])
    sizes += [1] * (MARAC["cases"] - len(sizes))
    meetings = [dt.date(2012, month, 10 + b.rng.randrange(10)) for month in range(1, 13)]
    for n, size in enumerate(sizes):
        home = b.pop.households[b.rng.randrange(len(b.pop.households))]
        meeting = meetings[n % 12]
        kids = [
            b.pop.as_recorded(c, Agency.COMMUNITY_SAFETY, meeting)
            for c in home.children
            if c.date_of_birth and c.date_of_birth < meeting
        ][:size]
        while len(kids) < size:
            kids.append(b.pop.as_recorded(b.child(), Agency.COMMUNITY_SAFETY, meeting))
        if n < MARAC["unborn"]:
            due = meeting + dt.timedelta(days=60)
            kids[-1] = b.pop.as_recorded(
                b.pop.unborn(home.number, due), Agency.COMMUNITY_SAFETY, meeting
            )
        ref = b.ref("MARAC")
        env = b.envelope(Agency.COMMUNITY_SAFETY, meeting, ref)
        b.sim.add(
            MaracCase.model_validate(
                {
                    **env,
                    "event_type": MaracCase.EVENT_TYPE,
                    "marac_case_ref": ref,
                    "meeting_date": meeting,
                    "repeat_case": b.rng.random() < 0.25,
                    "children": tuple(kids),
                }
            )
        )
