"""Looked-after children: the year's cohorts of leavers, joiners, movers and long stays,
timed so the quarterly indicators (NI62 moves, NI63 stability, adoptions) come out as published."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from schemas.childrens_services import (
    LookedAfterEpisodeEnded,
    LookedAfterEpisodeStarted,
    PlacementChanged,
)
from schemas.codes import PlacementType, ReasonCeased, ReasonNewEpisode
from schemas.common import Agency
from simulation.builder import YearBuilder
from simulation.havering import (
    FY_END,
    FY_START,
    LAC_ADOPTED_OR_SGO,
    LAC_JOINERS,
    LAC_LEAVERS,
    LAC_MOVERS,
    LAC_START,
    QUARTER_ENDS,
)
from simulation.population import Person

__all__ = ["looked_after"]

ADOPTION = (ReasonCeased.E11, ReasonCeased.E12)
SGO = (ReasonCeased.E45, ReasonCeased.E46, ReasonCeased.E47, ReasonCeased.E48)


@dataclass
class _Care:
    person: Person
    period_start: dt.date
    placements: list[dt.date]
    """Start date of each placement in the period (the first is the period start)."""
    end: dt.date | None = None
    reason: ReasonCeased | None = None
    placement_type: PlacementType = PlacementType.U1


def looked_after(b: YearBuilder) -> None:
    """Every period of care of the year's looked-after children, cohort by cohort."""
    cohorts = [*_long_stay(b), *_movers(b), *_leavers(b), *_joiners(b)]
    others = LAC_START - sum(LAC_LEAVERS) - 44 - 3 - 2 - sum(LAC_MOVERS)
    for n in range(others):
        start = b.day_between(dt.date(2011, 6, 1), dt.date(2012, 3, 25))
        kind = PlacementType.A5 if n < 12 else PlacementType.U1  # 12 placed for adoption
        cohorts.append(_Care(_lac_child(b, 10), start, [start], placement_type=kind))
    for care in cohorts:
        _care_events(b, care)


def _lac_child(b: YearBuilder, max_age: int, born: tuple[dt.date, dt.date] | None = None) -> Person:
    low, high = born or (FY_END - dt.timedelta(days=365 * max_age), dt.date(2010, 1, 1))
    home = b.rng.randrange(len(b.pop.households))
    return b.pop.child_born(home, b.day_between(low, high), f"L{b.ref('LACP')[-5:]}")


def _long_stay(b: YearBuilder) -> Iterator[_Care]:
    """The NI63 cohort: looked after 2.5+ years, under 16; placements timed to the figures."""
    windows = (
        [(dt.date(2008, 1, 5), dt.date(2010, 5, 31))] * 24
        + [(dt.date(2010, 7, 5), dt.date(2010, 9, 25))] * 4
        + [(dt.date(2011, 1, 5), dt.date(2011, 3, 25))] * 2
        + [(dt.date(2011, 4, 5), dt.date(2012, 3, 25))] * 14
    )
    for n, window in enumerate(windows):
        start = b.day_between(dt.date(2008, 1, 5), dt.date(2009, 11, 30))
        placement = max(start, b.day_between(*window))
        placements = [start] if placement == start else [start, placement]
        if n == 0:  # leaves the numerator in Q3
            placements.append(dt.date(2012, 10, 15))
        yield _Care(
            _lac_child(b, 14, (dt.date(1998, 4, 1), dt.date(2003, 12, 31))), start, placements
        )
    for _ in range(3):  # turn 16 during Q3
        start = b.day_between(dt.date(2008, 1, 5), dt.date(2009, 11, 30))
        yield _Care(
            _lac_child(b, 16, (dt.date(1996, 10, 5), dt.date(1996, 12, 20))), start, [start]
        )
    for _ in range(2):  # reach 2.5 years of care in Q4, placement moved in May 2012
        start = b.day_between(dt.date(2010, 7, 5), dt.date(2010, 9, 25))
        yield _Care(_lac_child(b, 12), start, [start, dt.date(2012, 5, 15)])


def _movers(b: YearBuilder) -> Iterator[_Care]:
    """NI62: children reaching a third placement of the year in each quarter."""
    quarter_start = FY_START
    for quarter_end, count in zip(QUARTER_ENDS, LAC_MOVERS, strict=True):
        for _ in range(count):
            start = b.day_between(dt.date(2011, 1, 10), dt.date(2012, 1, 31))
            first = b.day_between(
                FY_START + dt.timedelta(days=5), quarter_start + dt.timedelta(days=20)
            )
            second = b.day_between(
                max(first, quarter_start) + dt.timedelta(days=10),
                quarter_end - dt.timedelta(days=5),
            )
            yield _Care(_lac_child(b, 15), start, [start, first, second])
        quarter_start = quarter_end + dt.timedelta(days=1)


def _leavers(b: YearBuilder) -> Iterator[_Care]:
    quarter_start = FY_START
    reasons = [*ADOPTION * 4, *SGO[:2]]  # 8 adoption orders, 2 special guardianship orders
    b.rng.shuffle(reasons)
    others = [ReasonCeased.E4A, ReasonCeased.E8, ReasonCeased.E13, ReasonCeased.E41]
    for quarter_end, count, adopted in zip(
        QUARTER_ENDS, LAC_LEAVERS, LAC_ADOPTED_OR_SGO, strict=True
    ):
        for n in range(count):
            start = b.day_between(dt.date(2011, 1, 10), dt.date(2012, 3, 20))
            end = b.day_between(
                quarter_start + dt.timedelta(days=2), quarter_end - dt.timedelta(days=2)
            )
            reason = reasons.pop() if n < adopted else b.rng.choice(others)
            kind = PlacementType.A5 if reason in ADOPTION else PlacementType.U1
            yield _Care(_lac_child(b, 15), start, [start], end, reason, kind)
        quarter_start = quarter_end + dt.timedelta(days=1)


def _joiners(b: YearBuilder) -> Iterator[_Care]:
    quarter_start = FY_START
    for quarter_end, count in zip(QUARTER_ENDS, LAC_JOINERS, strict=True):
        for _ in range(count):
            start = b.day_between(
                quarter_start + dt.timedelta(days=2), quarter_end - dt.timedelta(days=2)
            )
            yield _Care(_lac_child(b, 15), start, [start])
        quarter_start = quarter_end + dt.timedelta(days=1)


def _care_events(b: YearBuilder, care: _Care) -> None:
    period = b.ref("LACPERIOD")
    cs = Agency.CHILDRENS_SERVICES
    episode = b.ref("EP")
    b.child_event(
        LookedAfterEpisodeStarted,
        cs,
        care.person,
        care.period_start,
        episode,
        episode_id=episode,
        period_id=period,
        reason_new_episode=ReasonNewEpisode.S,
        placement_type=care.placement_type if len(care.placements) == 1 else PlacementType.U1,
        start_date=care.period_start,
    )
    for n, moved in enumerate(care.placements[1:], start=1):
        episode = b.ref("EP")
        kind = care.placement_type if n == len(care.placements) - 1 else PlacementType.U4
        b.child_event(
            PlacementChanged,
            cs,
            care.person,
            moved,
            episode,
            episode_id=episode,
            period_id=period,
            reason_new_episode=ReasonNewEpisode.P,
            placement_type=kind,
            change_date=moved,
        )
    if care.end and care.reason:
        b.child_event(
            LookedAfterEpisodeEnded,
            cs,
            care.person,
            care.end,
            f"{period}-END",
            period_id=period,
            reason_ceased=care.reason,
            end_date=care.end,
        )
