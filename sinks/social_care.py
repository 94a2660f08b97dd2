"""The board's figures for children's social care: child protection plans and looked-after
children (NI62, NI63, adoption)."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass

from schemas.event_types import EventType
from sinks.facts import Fact
from sinks.figures import FactIndex, Figures
from sinks.indicators import CP_CATEGORIES, DURATION_BANDS
from sinks.periods import Period, count_by_month, months_between, quarter_ends

__all__ = ["child_protection", "looked_after"]

ADOPTION_OR_SGO = frozenset({"E11", "E12", "E45", "E46", "E47", "E48"})
ADOPTION_ORDER = frozenset({"E11", "E12"})
PLACED_FOR_ADOPTION = frozenset({"A3", "A4", "A5", "A6"})


def _band(plan: Fact, as_of: dt.date) -> str:
    if plan.data["unborn"]:
        return "unborn"
    months = months_between(plan.day("start_date") or as_of, as_of)
    for limit, band in ((6, "0-6"), (12, "7-12"), (18, "13-18"), (21, "19-21")):
        if months <= limit:
            return band
    return "22+"


def child_protection(known: FactIndex, year: Period, out: Figures) -> None:
    """Plans open by category and duration, new plans, repeat plans."""
    ended = {f.data["plan_id"]: f.day("end_date") for f in known.of(EventType.CP_PLAN_ENDED)}
    started = known.of(EventType.CP_PLAN_STARTED)
    open_plans = [
        p
        for p in started
        if (p.day("start_date") or year.end) <= year.end
        and not ((end := ended.get(p.data["plan_id"])) and end <= year.end)
    ]
    cells = Counter({f"{c}|{b}": 0 for c in CP_CATEGORIES for b in DURATION_BANDS})
    cells.update(f"{p.data['category']}|{_band(p, year.end)}" for p in open_plans)
    out.count("cp_open", year.end.isoformat(), cells)
    for period in (year, year.year_before()):
        new = Counter(dict.fromkeys(CP_CATEGORIES, 0))
        new.update(p.data["category"] for p in started if p.day("start_date") in period)
        out.count("cp_new", period.label, new)
        days = (p.day("start_date") for p in started)
        out.count("cp_new_by_month", period.label, count_by_month(period, days))
    # repeat plans: a new plan for a child with an earlier plan
    plans_of: dict[str, list[dt.date]] = defaultdict(list)
    for p in started:
        if (person := known.person.get(p.event_id)) and (day := p.day("start_date")):
            plans_of[person].append(day)
    new_plans = [p for p in started if p.day("start_date") in year]
    repeats = sum(
        1
        for p in new_plans
        if (day := p.day("start_date"))
        and any(d < day for d in plans_of.get(known.person.get(p.event_id, ""), []))
    )
    out.rate("repeat_cp_plans", year.label, "", repeats, len(new_plans))


@dataclass
class _Care:
    start: dt.date
    born: dt.date | None
    placements: list[tuple[dt.date, str]]
    end: dt.date | None = None
    reason: str | None = None


def _care_periods(known: FactIndex) -> list[_Care]:
    periods: dict[str, _Care] = {}
    for f in known.of(EventType.LAC_EPISODE_STARTED):
        start = f.day("start_date") or f.occurred_on
        care = periods.setdefault(f.data["period_id"], _Care(start, None, []))
        care.start, care.born = start, f.day("date_of_birth")
        care.placements.append((start, f.data["placement_type"]))
    for f in known.of(EventType.LAC_PLACEMENT_CHANGED):
        care = periods.setdefault(f.data["period_id"], _Care(f.occurred_on, None, []))
        care.placements.append((f.day("change_date") or f.occurred_on, f.data["placement_type"]))
    for f in known.of(EventType.LAC_EPISODE_ENDED):
        care = periods.setdefault(f.data["period_id"], _Care(f.occurred_on, None, []))
        care.end, care.reason = f.day("end_date"), f.data["reason_ceased"]
    return list(periods.values())


def looked_after(known: FactIndex, year: Period, out: Figures) -> None:
    """NI62, NI63 and adoption at each quarter end; adoption orders; children awaiting one."""
    periods = _care_periods(known)

    for period in (year, year.year_before()):
        _quarterly(periods, period, out)
    orders = sum(c.reason in ADOPTION_ORDER for c in periods if c.end in year)
    in_care = _in_care(periods, year.end)
    out.count("lac_adoption_orders", year.label, {"": orders})
    awaiting = sum(max(c.placements)[1] in PLACED_FOR_ADOPTION for c in in_care if c.placements)
    out.count("lac_awaiting_adoption", year.end.isoformat(), {"": awaiting})


def _in_care(periods: list[_Care], day: dt.date) -> list[_Care]:
    return [p for p in periods if p.start <= day and not (p.end and p.end <= day)]


def _quarterly(periods: list[_Care], year: Period, out: Figures) -> None:
    """NI62, NI63 and adoption at each quarter end of ``year`` (this year or the one before)."""
    for quarter, day in quarter_ends(year):
        label = f"{year.label} {quarter}"
        now = _in_care(periods, day)
        moves = 0
        for care in now:
            days = sorted(d for d, _ in care.placements if d <= day)
            before = [d for d in days if d <= year.start]
            counted = [d for d in days if d >= year.start or (before and d == before[-1])]
            moves += len(counted) >= 3
        out.rate("lac_moves", label, "", moves, len(now))
        long_stay = [
            c
            for c in now
            if c.born
            and months_between(c.born, day) < 16 * 12
            and months_between(c.start, day) >= 30
        ]
        settled = sum(
            months_between(max(d for d, _ in c.placements if d <= day), day) >= 24
            for c in long_stay
        )
        out.rate("lac_stability", label, "", settled, len(long_stay))
        ceased = [c for c in periods if c.end and year.start <= c.end <= day]
        adopted = sum(c.reason in ADOPTION_OR_SGO for c in ceased)
        out.rate("lac_adoption", label, "", adopted, len(ceased))
