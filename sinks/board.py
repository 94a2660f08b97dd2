"""The board's figures, computed from facts for any reporting date.

Every indicator is defined once, here (``INDICATORS``): what it counts, over which period, and
for rates the numerator and denominator. ``compute`` turns the facts (one per agency record),
the persons the linkage found and the analysts' episodes into ``Figure`` rows keyed by
indicator, period and dimension, so the same facts always give the same figures, and a
late or corrected fact changes exactly the figures it belongs to.

Periods follow the board's year: the financial year (1 April to 31 March) up to the reporting
date, compared with the same span of the year before; MARAC counts the calendar year in which
the financial year starts, as the MARAC reports.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from schemas.hub import EpisodeSnapshot
from sinks.facts import Fact

__all__ = [
    "INDICATORS",
    "Figure",
    "Good",
    "Indicator",
    "Period",
    "compute",
    "financial_year",
    "months_of",
    "quarter_ends",
]

CP_CATEGORIES = ("EMO", "NEG", "PHY", "SAB")
DURATION_BANDS = ("unborn", "0-6", "7-12", "13-18", "19-21", "22+")
ADOPTION_OR_SGO = frozenset({"E11", "E12", "E45", "E46", "E47", "E48"})
ADOPTION_ORDER = frozenset({"E11", "E12"})
PLACED_FOR_ADOPTION = frozenset({"A3", "A4", "A5", "A6"})
NOTIFICATIONS = frozenset(
    {
        "police.notification",
        "health.notification",
        "education.concern",
        "probation.notification",
    }
)


class Good(StrEnum):
    """Which way an indicator should move."""

    HIGHER = "higher"
    LOWER = "lower"


@dataclass(frozen=True)
class Indicator:
    """An indicator's definition, shown with it wherever it is shown."""

    id: str
    title: str
    counts: str
    """What is counted (for a rate: the numerator)."""
    period: str
    denominator: str | None = None
    """For a rate: what it is out of."""
    good: Good | None = None
    target: float | None = None
    suppress: bool = True
    """Whether the board's view applies small-number suppression (counts of children)."""

    @property
    def is_rate(self) -> bool:
        return self.denominator is not None


_FY = "the financial year to the reporting date"
_PRIOR = "; compared with the same span of the year before"

INDICATORS: dict[str, Indicator] = {
    i.id: i
    for i in (
        Indicator(
            "cp_open",
            "Children subject of a child protection plan, by category and duration",
            "plans started on or before the reporting date and not ended by it, by the plan's "
            "category and its months open (unborn: the child was not born when it started)",
            "at the reporting date",
        ),
        Indicator(
            "cp_new",
            "New child protection plans, by category",
            "plans whose start date falls in the period, by category",
            _FY + _PRIOR,
        ),
        Indicator(
            "cp_new_by_month",
            "New child protection plans by month",
            "plans whose start date falls in the month",
            "each month of " + _FY,
        ),
        Indicator(
            "lac_moves",
            "Looked-after children with 3 or more placements in the year (NI62)",
            "children looked after at the quarter end with 3 or more placements counted from "
            "1 April (the placement they were in on 1 April counts as one)",
            "year to date, at each quarter end",
            denominator="children looked after at the quarter end",
            good=Good.LOWER,
            target=13.0,
        ),
        Indicator(
            "lac_stability",
            "Looked-after children in the same placement for 2 years or more (NI63)",
            "of the denominator, children whose current placement has lasted 2 years or more",
            "at each quarter end",
            denominator="children under 16 looked after at the quarter end for 2.5 years or more",
            good=Good.HIGHER,
            target=75.0,
        ),
        Indicator(
            "lac_adoption",
            "Children who ceased to be looked after through adoption or special guardianship",
            "of the denominator, those whose reason ceased is adoption (E11, E12) or a special "
            "guardianship order (E45-E48)",
            "year to date, at each quarter end",
            denominator="children who ceased to be looked after in the year to date",
            good=Good.HIGHER,
            target=11.0,
        ),
        Indicator(
            "lac_adoption_orders",
            "Adoption orders granted",
            "looked-after periods ended by an adoption order (E11, E12) in the period",
            _FY,
        ),
        Indicator(
            "lac_awaiting_adoption",
            "Children placed with prospective adopters awaiting an order",
            "children looked after at the reporting date whose placement is for adoption "
            "(placement types A3-A6)",
            "at the reporting date",
        ),
        Indicator(
            "caf_completed",
            "CAFs completed, by setting",
            "common assessments completed in the period, by where they were completed",
            _FY,
        ),
        Indicator(
            "caf_needs_met",
            "CAFs whose identified needs were met",
            "of the denominator, those recorded as having the needs met by the CAF actions",
            _FY,
            denominator="CAFs completed in the period",
            good=Good.HIGHER,
            suppress=False,
        ),
        Indicator(
            "caf_need",
            "CAFs by primary need identified",
            "common assessments completed in the period, by the primary need",
            _FY,
        ),
        Indicator(
            "cdop_reviewed",
            "Child deaths reviewed, expected and unexpected",
            "deaths reviewed by the child death overview panel in the period",
            _FY,
        ),
        Indicator(
            "cdop_panels",
            "Child death overview panel meetings",
            "distinct panel dates in the period",
            _FY,
            suppress=False,
        ),
        Indicator(
            "cdop_co_sleeping",
            "Child deaths linked to co-sleeping",
            "deaths reviewed in the period where co-sleeping was a factor",
            _FY,
        ),
        Indicator(
            "lado_referrals",
            "Referrals to the LADO, by sector",
            "allegations against people who work with children, received in the period",
            _FY,
        ),
        Indicator(
            "dv_offences",
            "Domestic abuse offences",
            "police notifications of a domestic abuse offence, by date of the incident",
            _FY + _PRIOR,
            suppress=False,
        ),
        Indicator(
            "dv_incidents",
            "Domestic abuse incidents (offences included)",
            "police notifications of a domestic abuse incident or offence",
            _FY + _PRIOR,
            suppress=False,
        ),
        Indicator(
            "dv_change",
            "Year-on-year change in domestic abuse",
            "this period's count less the same span of the year before",
            _FY + _PRIOR,
            denominator="the count for the same span of the year before",
            suppress=False,
        ),
        Indicator(
            "marac_cases",
            "MARAC cases, children and unborn children",
            "cases heard at MARAC in the calendar year, with the children (born and unborn) "
            "in them",
            "the calendar year in which the financial year starts",
        ),
        Indicator(
            "contacts_by_source",
            "Contacts to the MASH by source",
            "MASH contacts received in the period, by CIN census referral source",
            _FY,
        ),
        Indicator(
            "contacts_by_month",
            "Contacts to the MASH by month",
            "MASH contacts received in the month",
            "each month of " + _FY,
        ),
        Indicator(
            "contacts_by_rag",
            "Contacts by RAG rating",
            "MASH contacts received in the period, by the RAG rating given at screening",
            _FY,
        ),
        Indicator(
            "rag_timeliness",
            "MASH decisions made within the RAG timescale",
            "of the denominator, episodes decided by the time their RAG clock ran out",
            _FY,
            denominator="episodes with a rated contact, decided, opened in the period",
            good=Good.HIGHER,
            suppress=False,
        ),
        Indicator(
            "mash_outcomes",
            "MASH decisions by outcome",
            "MASH decisions made in the period, by outcome",
            _FY,
        ),
        Indicator(
            "contact_conversion",
            "Contacts converted to referrals",
            "referrals to children's social care received in the period",
            _FY,
            denominator="MASH contacts received in the period",
            suppress=False,
        ),
        Indicator(
            "re_referrals",
            "Re-referrals within 12 months",
            "of the denominator, referrals of a child referred in the 12 months before",
            _FY,
            denominator="referrals received in the period",
            good=Good.LOWER,
            suppress=False,
        ),
        Indicator(
            "repeat_cp_plans",
            "Repeat child protection plans",
            "of the denominator, plans for a child who had been on a plan before",
            _FY,
            denominator="new plans in the period",
            good=Good.LOWER,
            suppress=False,
        ),
        Indicator(
            "merged_notifications",
            "Multi-agency notifications merged into one episode",
            "notifications (police, health, education, probation) that joined an episode "
            "another notification had opened, in episodes opened in the period",
            _FY,
            denominator="notifications in episodes opened in the period",
            suppress=False,
        ),
    )
}


@dataclass(frozen=True, slots=True)
class Figure:
    """One value of one indicator, for one period and dimension."""

    indicator: str
    period: str
    dimension: str
    value: float
    numerator: int | None = None
    denominator: int | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.indicator, self.period, self.dimension)


@dataclass(frozen=True)
class Period:
    """A span of days, both ends included, with the board's label for it."""

    start: dt.date
    end: dt.date
    label: str

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.start <= day <= self.end

    def year_before(self) -> Period:
        start, end = _minus_year(self.start), _minus_year(self.end)
        return Period(start, end, _fy_label(start))


def _minus_year(day: dt.date) -> dt.date:
    return day.replace(year=day.year - 1, day=min(day.day, 28) if day.month == 2 else day.day)


def _fy_label(start: dt.date) -> str:
    return f"{start.year}-{(start.year + 1) % 100:02d}"


def financial_year(as_of: dt.date) -> Period:
    """The financial year to ``as_of`` (1 April to the reporting date)."""
    start = dt.date(as_of.year if as_of.month >= 4 else as_of.year - 1, 4, 1)
    return Period(start, as_of, _fy_label(start))


def quarter_ends(year: Period) -> list[tuple[str, dt.date]]:
    """(label, day) of each quarter end of the year up to its end, and the end if between."""
    ends = []
    for n, (month, day) in enumerate(((6, 30), (9, 30), (12, 31), (3, 31)), start=1):
        when = dt.date(year.start.year + (month < 4), month, day)
        if when <= year.end:
            ends.append((f"Q{n}", when))
    if not ends or ends[-1][1] != year.end:
        ends.append(("to date", year.end))
    return ends


def months_between(start: dt.date, end: dt.date) -> int:
    """Whole months from ``start`` to ``end``."""
    return (end.year - start.year) * 12 + end.month - start.month - (end.day < start.day)


def months_of(year: Period) -> list[str]:
    """The months of a period as YYYY-MM, in order."""
    months, day = [], year.start.replace(day=1)
    while day <= year.end:
        months.append(f"{day:%Y-%m}")
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return months


def _by_month(year: Period, days: Iterable[dt.date | None]) -> Counter[str]:
    counts = Counter(dict.fromkeys(months_of(year), 0))
    counts.update(f"{d:%Y-%m}" for d in days if d in year)
    return counts


def _percent(numerator: int, denominator: int) -> float:
    return round(100 * numerator / denominator, 1) if denominator else 0.0


@dataclass
class _Facts:
    """Facts by event type, and the persons of linked events."""

    by_type: dict[str, list[Fact]] = field(default_factory=lambda: defaultdict(list))
    person: Mapping[str, str] = field(default_factory=dict)

    def of(self, event_type: str) -> list[Fact]:
        return self.by_type.get(event_type, [])


@dataclass
class _Out:
    figures: list[Figure] = field(default_factory=list)

    def count(self, indicator: str, period: str, counts: Mapping[str, int]) -> None:
        self.figures += [Figure(indicator, period, d, float(n)) for d, n in counts.items()]

    def rate(self, indicator: str, period: str, dimension: str, num: int, den: int) -> None:
        self.figures.append(Figure(indicator, period, dimension, _percent(num, den), num, den))


def compute(
    facts: Iterable[Fact],
    as_of: dt.date,
    persons: Mapping[str, str] | None = None,
    episodes: Sequence[EpisodeSnapshot] = (),
) -> list[Figure]:
    """Every indicator's figures at ``as_of``. ``persons``: event id -> person id."""
    known = _Facts(person=persons or {})
    for fact in facts:
        known.by_type[fact.event_type].append(fact)
    year = financial_year(as_of)
    out = _Out()
    _child_protection(known, year, out)
    _looked_after(known, year, out)
    _early_help(known, year, out)
    _deaths_and_lado(known, year, out)
    _domestic_abuse(known, year, out)
    _mash_flow(known, year, episodes, out)
    return out.figures


def _band(plan: Fact, as_of: dt.date) -> str:
    if plan.data["unborn"]:
        return "unborn"
    months = months_between(plan.day("start_date") or as_of, as_of)
    for limit, band in ((6, "0-6"), (12, "7-12"), (18, "13-18"), (21, "19-21")):
        if months <= limit:
            return band
    return "22+"


def _child_protection(known: _Facts, year: Period, out: _Out) -> None:
    ended = {
        f.data["plan_id"]: f.day("end_date") for f in known.of("childrens_services.cp_plan_ended")
    }
    started = known.of("childrens_services.cp_plan_started")
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
    out.count(
        "cp_new_by_month", year.label, _by_month(year, (p.day("start_date") for p in started))
    )
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


def _care_periods(known: _Facts) -> list[_Care]:
    periods: dict[str, _Care] = {}
    for f in known.of("childrens_services.lac_episode_started"):
        start = f.day("start_date") or f.occurred_on
        care = periods.setdefault(f.data["period_id"], _Care(start, None, []))
        care.start, care.born = start, f.day("date_of_birth")
        care.placements.append((start, f.data["placement_type"]))
    for f in known.of("childrens_services.lac_placement_changed"):
        care = periods.setdefault(f.data["period_id"], _Care(f.occurred_on, None, []))
        care.placements.append((f.day("change_date") or f.occurred_on, f.data["placement_type"]))
    for f in known.of("childrens_services.lac_episode_ended"):
        care = periods.setdefault(f.data["period_id"], _Care(f.occurred_on, None, []))
        care.end, care.reason = f.day("end_date"), f.data["reason_ceased"]
    return list(periods.values())


def _looked_after(known: _Facts, year: Period, out: _Out) -> None:
    periods = _care_periods(known)

    def looked_after(day: dt.date) -> list[_Care]:
        return [p for p in periods if p.start <= day and not (p.end and p.end <= day)]

    for quarter, day in quarter_ends(year):
        label = f"{year.label} {quarter}"
        now = looked_after(day)
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
    orders = sum(c.reason in ADOPTION_ORDER for c in periods if c.end in year)
    out.count("lac_adoption_orders", year.label, {"": orders})
    awaiting = sum(
        max(c.placements)[1] in PLACED_FOR_ADOPTION for c in looked_after(year.end) if c.placements
    )
    out.count("lac_awaiting_adoption", year.end.isoformat(), {"": awaiting})


def _early_help(known: _Facts, year: Period, out: _Out) -> None:
    cafs = [f for f in known.of("childrens_services.caf_completed") if f.occurred_on in year]
    settings = Counter(dict.fromkeys(("CHILDRENS_CENTRE", "SCHOOL", "HEALTH", "OTHER"), 0))
    settings.update(f.data["setting"] for f in cafs)
    out.count("caf_completed", year.label, settings)
    out.rate(
        "caf_needs_met", year.label, "", sum(bool(f.data["needs_met"]) for f in cafs), len(cafs)
    )
    out.count("caf_need", year.label, Counter(f.data["primary_need"] for f in cafs))


def _deaths_and_lado(known: _Facts, year: Period, out: _Out) -> None:
    deaths = [
        f
        for f in known.of("childrens_services.child_death_reviewed")
        if f.day("panel_date") in year
    ]
    types = Counter(dict.fromkeys(("EXPECTED", "UNEXPECTED"), 0))
    types.update(f.data["death_type"] for f in deaths)
    out.count("cdop_reviewed", year.label, types)
    out.count("cdop_panels", year.label, {"": len({f.data["panel_date"] for f in deaths})})
    out.count(
        "cdop_co_sleeping", year.label, {"": sum(bool(f.data["co_sleeping"]) for f in deaths)}
    )
    lado = Counter(f.data["sector"] for f in known.of("lado.allegation") if f.occurred_on in year)
    out.count("lado_referrals", year.label, lado)
    meetings = [
        f
        for f in known.of("community_safety.marac_case")
        if (day := f.day("meeting_date")) and day.year == year.start.year
    ]
    out.count(
        "marac_cases",
        str(year.start.year),
        {
            "cases": len(meetings),
            "children": sum(f.data["children"] for f in meetings),
            "unborn": sum(f.data["unborn"] for f in meetings),
        },
    )


def _domestic_abuse(known: _Facts, year: Period, out: _Out) -> None:
    police = known.of("police.notification")
    counts: dict[str, list[int]] = {"dv_offences": [], "dv_incidents": []}
    for period in (year, year.year_before()):
        kinds = Counter(f.data["incident_type"] for f in police if f.occurred_on in period)
        offences = kinds["DOMESTIC_ABUSE_OFFENCE"]
        incidents = offences + kinds["DOMESTIC_ABUSE_INCIDENT"]
        out.count("dv_offences", period.label, {"": offences})
        out.count("dv_incidents", period.label, {"": incidents})
        counts["dv_offences"].append(offences)
        counts["dv_incidents"].append(incidents)
    for name, (now, before) in counts.items():
        out.rate("dv_change", year.label, name.removeprefix("dv_"), now - before, before)


def _mash_flow(known: _Facts, year: Period, episodes: Sequence[EpisodeSnapshot], out: _Out) -> None:
    contacts = [f for f in known.of("childrens_services.contact") if f.occurred_on in year]
    out.count(
        "contacts_by_source", year.label, Counter(f.data["referral_source"] for f in contacts)
    )
    out.count("contacts_by_month", year.label, _by_month(year, (f.occurred_on for f in contacts)))
    rag = Counter(dict.fromkeys(("RED", "AMBER", "GREEN"), 0))
    rag.update(f.data["rag_rating"] for f in contacts)
    out.count("contacts_by_rag", year.label, rag)
    decisions = [f for f in known.of("childrens_services.mash_decision") if f.occurred_on in year]
    out.count("mash_outcomes", year.label, Counter(f.data["decision"] for f in decisions))
    all_referrals = known.of("childrens_services.referral")
    referrals = [f for f in all_referrals if f.occurred_on in year]
    out.rate("contact_conversion", year.label, "", len(referrals), len(contacts))
    referred_on: dict[str, list[dt.date]] = defaultdict(list)
    for f in all_referrals:
        if person := known.person.get(f.event_id):
            referred_on[person].append(f.occurred_on)
    again = sum(
        1
        for f in referrals
        if any(
            _minus_year(f.occurred_on) <= d < f.occurred_on
            for d in referred_on.get(known.person.get(f.event_id, ""), [])
        )
    )
    out.rate("re_referrals", year.label, "", again, len(referrals))
    opened = [e for e in episodes if e.opened_at.date() in year]
    decided = [e for e in opened if e.rag_rating and e.due_at and e.decided_at]
    for rating in ("RED", "AMBER", "GREEN", ""):
        mine = [e for e in decided if rating in ("", e.rag_rating)]
        on_time = sum(1 for e in mine if e.decided_at and e.due_at and e.decided_at <= e.due_at)
        out.rate("rag_timeliness", year.label, rating, on_time, len(mine))
    notified = [(e, sum(1 for x in e.events if x.event_type in NOTIFICATIONS)) for e in opened]
    with_notes = [(e, n) for e, n in notified if n]
    merged = sum(n - 1 for _, n in with_notes)
    total = sum(n for _, n in with_notes)
    out.rate("merged_notifications", year.label, "", merged, total)
    multi = sum(
        1
        for e, _ in with_notes
        if len({x.agency for x in e.events if x.event_type in NOTIFICATIONS}) > 1
    )
    out.count("merged_notifications", year.label, {"multi-agency episodes": multi})
