"""`mash simulate --preset havering-2012`: a calibrated synthetic year of multi-agency events.

The events are built so that the board's 2012-13 figures (``shared/domain/board-figures.md``)
follow from them: child protection plans by category and duration, new plans, looked-after
children's quarterly indicators, CAFs, child deaths, LADO referrals, domestic abuse and MARAC.
Around them runs the everyday MASH traffic (notifications, contacts, research, decisions,
referrals, assessments) with the noise real agency data has.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from schemas.adapters import adapter_for
from schemas.childrens_services import (
    Assessment,
    CafCompleted,
    CafNeed,
    CafSetting,
    ChildDeathReviewed,
    ChildProtectionPlanEnded,
    ChildProtectionPlanStarted,
    Contact,
    DeathType,
    LookedAfterEpisodeEnded,
    LookedAfterEpisodeStarted,
    MashDecision,
    MashOutcome,
    PlacementChanged,
    Referral,
    ResearchRequest,
    ResearchResponse,
)
from schemas.codes import (
    CinFactor,
    CinReferralSource,
    CpCategory,
    PlacementType,
    RagRating,
    ReasonCeased,
    ReasonNewEpisode,
)
from schemas.common import Agency, LawfulBasis, PersonRole, SpecialCategoryCondition
from schemas.community_safety import MaracCase
from schemas.education import EducationConcern, SchoolConcern
from schemas.exports import write_export
from schemas.health import HealthNotification, HealthService, PresentingConcern
from schemas.lado import LadoAllegation, LadoSector
from schemas.police import IncidentType, PoliceNotification, RiskLevel
from schemas.probation import MappaLevel, ProbationNotification, RoshLevel
from simulation.population import Person, Population

__all__ = ["PRESETS", "Simulation", "simulate", "write_simulation"]

FY_START = dt.date(2012, 4, 1)
FY_END = dt.date(2013, 3, 31)
PRIOR_FY_START = dt.date(2011, 4, 1)
QUARTER_ENDS = (dt.date(2012, 6, 30), dt.date(2012, 9, 30), dt.date(2012, 12, 31), FY_END)

# Table 1, with the published Unborn total corrected from 2 to 1 (the cells sum to 1).
CP_OPEN_AT_YEAR_END: dict[CpCategory, dict[str, int]] = {
    CpCategory.EMO: {"unborn": 0, "0-6": 27, "7-12": 28, "13-18": 5, "19-21": 3, "22+": 1},
    CpCategory.NEG: {"unborn": 0, "0-6": 22, "7-12": 14, "13-18": 4, "19-21": 4, "22+": 1},
    CpCategory.PHY: {"unborn": 1, "0-6": 4, "7-12": 3, "13-18": 2, "19-21": 0, "22+": 0},
    CpCategory.SAB: {"unborn": 0, "0-6": 0, "7-12": 2, "13-18": 0, "19-21": 0, "22+": 0},
}
NEW_CP_PLANS = {
    "2012-13": {CpCategory.EMO: 60, CpCategory.NEG: 57, CpCategory.PHY: 23, CpCategory.SAB: 4},
    "2011-12": {CpCategory.EMO: 34, CpCategory.NEG: 57, CpCategory.PHY: 18, CpCategory.SAB: 11},
}
# Start dates that put a plan open on 31 March 2013 squarely inside its duration band.
_BAND_STARTS = {
    "unborn": (dt.date(2013, 1, 5), dt.date(2013, 3, 20)),
    "0-6": (dt.date(2012, 10, 5), dt.date(2013, 3, 25)),
    "7-12": (dt.date(2012, 4, 5), dt.date(2012, 8, 25)),
    "13-18": (dt.date(2011, 10, 5), dt.date(2012, 2, 25)),
    "19-21": (dt.date(2011, 7, 5), dt.date(2011, 8, 25)),
    "22+": (dt.date(2011, 4, 5), dt.date(2011, 5, 25)),
}
DV = {
    "2012-13": {"offences": 1283, "incidents": 2939},
    "2011-12": {"offences": 1239, "incidents": 2856},
}
CAF_SETTINGS = {
    CafSetting.CHILDRENS_CENTRE: 98,
    CafSetting.SCHOOL: 71,
    CafSetting.HEALTH: 5,
    CafSetting.OTHER: 7,
}
CAF_NEEDS_MET = 123  # of 181: 68%
LADO_SECTORS = {
    LadoSector.EDUCATION: 56,
    LadoSector.EARLY_YEARS: 9,
    LadoSector.SOCIAL_CARE: 8,
    LadoSector.HEALTH: 6,
    LadoSector.FOSTER_CARE: 7,
    LadoSector.POLICE: 3,
    LadoSector.FAITH: 3,
    LadoSector.SPORT_LEISURE: 5,
    LadoSector.TRANSPORT: 3,
    LadoSector.OTHER: 2,
}
CDOP_PANELS = (dt.date(2012, 6, 14), dt.date(2012, 10, 11), dt.date(2013, 2, 14))
MARAC = {"cases": 153, "children": 209, "unborn": 4}
PROBATION_NOTIFICATIONS = 320
# Looked-after children, per quarter: leavers (of whom adopted or SGO), joiners, movers
# reaching a third placement; the long-stay cohort is built explicitly in _lac().
LAC_START = 220
LAC_LEAVERS = (29, 23, 12, 25)
LAC_ADOPTED_OR_SGO = (1, 2, 3, 4)
LAC_JOINERS = (22, 25, 14, 21)
LAC_MOVERS = (10, 7, 9, 4)
ADOPTION = (ReasonCeased.E11, ReasonCeased.E12)
SGO = (ReasonCeased.E45, ReasonCeased.E46, ReasonCeased.E47, ReasonCeased.E48)


@dataclass
class Simulation:
    """Every generated event, by export kind (event type), in the order an agency sends them."""

    events: dict[str, list[BaseModel]] = field(default_factory=lambda: defaultdict(list))
    noise: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, record: BaseModel) -> BaseModel:
        """Record one event."""
        self.events[record.EVENT_TYPE].append(record)  # type: ignore[attr-defined]
        return record

    @property
    def total(self) -> int:
        """Events of every kind."""
        return sum(map(len, self.events.values()))


_SYSTEMS = {
    Agency.POLICE: "MERLIN",
    Agency.HEALTH: "SystmOne",
    Agency.PROBATION: "nDelius",
    Agency.EDUCATION: "SIMS",
    Agency.COMMUNITY_SAFETY: "MARAC-Tracker",
    Agency.CHILDRENS_SERVICES: "LCS",
    Agency.LADO: "LADO-Log",
}


class _Builder:
    """Makes envelopes and events with ids and times drawn from one random stream."""

    def __init__(self, seed: int, households: int) -> None:
        self.rng = random.Random(seed)
        self.pop = Population(self.rng, households, FY_START)
        self.sim = Simulation()
        self.serial: dict[str, int] = defaultdict(int)

    def ref(self, prefix: str) -> str:
        self.serial[prefix] += 1
        return f"{prefix}-{self.serial[prefix]:06d}"

    def envelope(
        self,
        agency: Agency,
        when: dt.date | dt.datetime,
        record_id: str,
        delay_h: tuple[int, int] = (1, 36),
    ) -> dict[str, Any]:
        rng = self.rng
        at = (
            when
            if isinstance(when, dt.datetime)
            else dt.datetime.combine(when, dt.time(rng.randrange(8, 20), rng.randrange(60)), dt.UTC)
        )
        law = agency in (Agency.POLICE, Agency.PROBATION)
        return {
            "event_id": uuid.UUID(int=rng.getrandbits(128), version=4),
            "source_agency": agency,
            "source_system": _SYSTEMS[agency],
            "agency_record_id": record_id,
            "occurred_at": at,
            "reported_at": at
            + dt.timedelta(minutes=rng.randrange(delay_h[0] * 60, delay_h[1] * 60 + 1)),
            "tenant": "E09000016",
            "lawful_basis": LawfulBasis.LAW_ENFORCEMENT if law else LawfulBasis.PUBLIC_TASK,
            "special_category_condition": SpecialCategoryCondition.PART3_S35_SCH8
            if law
            else SpecialCategoryCondition.SCH1_PARA18_SAFEGUARDING,
            "purpose": "safeguarding of children (MASH)",
            "isa_id": "ISA-HAVERING-MASH-2012",
            "reporter_role": {
                Agency.POLICE: "police officer",
                Agency.HEALTH: "nurse",
                Agency.EDUCATION: "designated safeguarding lead",
            }.get(agency, "practitioner"),
            "reporter_team_id": f"{agency.value[:3]}-T{rng.randrange(1, 9):02d}",
        }

    def child_event(
        self,
        model: type[BaseModel],
        agency: Agency,
        person: Person,
        when: dt.date | dt.datetime,
        record_id: str,
        **fields: Any,
    ) -> BaseModel:
        env = self.envelope(agency, when, record_id)
        day = env["occurred_at"].date()
        person_id = f"LCS{person.key}" if agency is Agency.CHILDRENS_SERVICES else None
        subject = self.pop.as_recorded(person, agency, day, person_id)
        related = (
            (self.pop.related(person, PersonRole.MOTHER),)
            if person.date_of_birth is None
            else fields.pop("related_persons", ())
        )
        return self.sim.add(
            model.model_validate(
                {
                    **env,
                    "event_type": model.EVENT_TYPE,  # type: ignore[attr-defined]
                    "subject": subject,
                    "related_persons": related,
                    **fields,
                }
            )
        )

    def day_between(self, start: dt.date, end: dt.date) -> dt.date:
        return start + dt.timedelta(days=self.rng.randrange((end - start).days + 1))

    def child(self, min_age_days: int = 60) -> Person:
        while True:
            person = self.rng.choice(self.pop.children)
            if person.date_of_birth and (FY_START - person.date_of_birth).days >= min_age_days:
                return person


def write_simulation(sim: Simulation, directory: Path) -> dict[Path, int]:
    """Write each kind's events as ``<event type>.csv`` plus a manifest; return rows per file."""
    files = {}
    for kind, records in sorted(sim.events.items()):
        path = directory / f"{kind}.csv"
        files[path] = write_export(path, adapter_for(kind), records)
    manifest = {"events": {p.stem: n for p, n in files.items()}, "noise": dict(sim.noise)}
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return files


def simulate(preset: str, seed: int = 2012) -> Simulation:
    """Generate the events of a preset."""
    try:
        return PRESETS[preset](seed)
    except KeyError:
        raise KeyError(f"no preset {preset!r}; known: {', '.join(PRESETS)}") from None


def havering_2012(seed: int) -> Simulation:
    """Havering LSCB 2012-13: every published figure follows from these events."""
    b = _Builder(seed, households=3000)
    for part in (
        _cp_plans,
        _lac,
        _cafs,
        _child_deaths,
        _lado,
        _marac,
        _probation,
        _police_and_mash,
    ):
        part(b)
    _add_noise(b)
    return b.sim


PRESETS: dict[str, Callable[[int], Simulation]] = {"havering-2012": havering_2012}


# ---- child protection plans --------------------------------------------------------------


def _cp_plans(b: _Builder) -> None:
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
    b: _Builder, category: CpCategory, start: dt.date, end: dt.date | None, unborn: bool
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


# ---- looked-after children -----------------------------------------------------------------


@dataclass
class _Care:
    person: Person
    period_start: dt.date
    placements: list[dt.date]
    """Start date of each placement in the period (the first is the period start)."""
    end: dt.date | None = None
    reason: ReasonCeased | None = None
    placement_type: PlacementType = PlacementType.U1


def _lac(b: _Builder) -> None:
    cohorts = [*_long_stay(b), *_movers(b), *_leavers(b), *_joiners(b)]
    others = LAC_START - sum(LAC_LEAVERS) - 44 - 3 - 2 - sum(LAC_MOVERS)
    for n in range(others):
        start = b.day_between(dt.date(2011, 6, 1), dt.date(2012, 3, 25))
        kind = PlacementType.A5 if n < 12 else PlacementType.U1  # 12 placed for adoption
        cohorts.append(_Care(_lac_child(b, 10), start, [start], placement_type=kind))
    for care in cohorts:
        _care_events(b, care)


def _lac_child(b: _Builder, max_age: int, born: tuple[dt.date, dt.date] | None = None) -> Person:
    low, high = born or (FY_END - dt.timedelta(days=365 * max_age), dt.date(2010, 1, 1))
    home = b.rng.randrange(len(b.pop.households))
    return b.pop.child_born(home, b.day_between(low, high), f"L{b.ref('LACP')[-5:]}")


def _long_stay(b: _Builder) -> Iterator[_Care]:
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


def _movers(b: _Builder) -> Iterator[_Care]:
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


def _leavers(b: _Builder) -> Iterator[_Care]:
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


def _joiners(b: _Builder) -> Iterator[_Care]:
    quarter_start = FY_START
    for quarter_end, count in zip(QUARTER_ENDS, LAC_JOINERS, strict=True):
        for _ in range(count):
            start = b.day_between(
                quarter_start + dt.timedelta(days=2), quarter_end - dt.timedelta(days=2)
            )
            yield _Care(_lac_child(b, 15), start, [start])
        quarter_start = quarter_end + dt.timedelta(days=1)


def _care_events(b: _Builder, care: _Care) -> None:
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


# ---- early help, child deaths, LADO, MARAC ------------------------------------------------


def _cafs(b: _Builder) -> None:
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


def _child_deaths(b: _Builder) -> None:
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


def _lado(b: _Builder) -> None:
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


def _marac(b: _Builder) -> None:
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


def _probation(b: _Builder) -> None:
    """Adults under supervision linked to children (mostly recorded without NHS numbers)."""
    for _ in range(PROBATION_NOTIFICATIONS):
        person = b.child()
        ref = b.ref("CRN")
        role = b.rng.choice([PersonRole.FATHER, PersonRole.MOTHER])
        b.child_event(
            ProbationNotification,
            Agency.PROBATION,
            person,
            b.day_between(FY_START, FY_END - dt.timedelta(days=2)),
            ref,
            case_reference=f"X{ref[-6:]}",
            supervised_person=b.pop.related(person, role),
            rosh_children=b.rng.choices(list(RoshLevel), weights=[50, 30, 15, 5])[0],
            mappa_level=b.rng.choice([None, None, MappaLevel.LEVEL_1, MappaLevel.LEVEL_2]),
        )


# ---- police notifications and the MASH front door ----------------------------------------


def _police_and_mash(b: _Builder) -> None:
    for year, start in (("2011-12", PRIOR_FY_START), ("2012-13", FY_START)):
        end = start.replace(year=start.year + 1) - dt.timedelta(days=1)
        offences, incidents = DV[year]["offences"], DV[year]["incidents"]
        kinds = [IncidentType.DOMESTIC_ABUSE_OFFENCE] * offences + [
            IncidentType.DOMESTIC_ABUSE_INCIDENT
        ] * (incidents - offences)
        if year == "2012-13":
            kinds += b.rng.choices(
                [
                    IncidentType.NEGLECT,
                    IncidentType.PHYSICAL_ASSAULT,
                    IncidentType.MISSING,
                    IncidentType.EXPLOITATION,
                    IncidentType.SEXUAL_OFFENCE,
                    IncidentType.OTHER,
                ],
                k=900,
            )
        for kind in kinds:
            when = b.day_between(start, end - dt.timedelta(days=3))
            police, person = _police(b, kind, when)
            if year == "2012-13":
                _mash_front_door(b, police, person)


def _police(b: _Builder, kind: IncidentType, when: dt.date) -> tuple[BaseModel, Person]:
    ref = b.ref("MER")
    person = b.child(min_age_days=max(60, (FY_START - when).days + 30))
    record = b.child_event(
        PoliceNotification,
        Agency.POLICE,
        person,
        when,
        ref,
        merlin_ref=ref,
        cris_ref=_crime_reference(b, kind),
        incident_type=kind,
        child_present=b.rng.random() < 0.6,
        risk_level=b.rng.choices(list(RiskLevel), weights=[70, 22, 8])[0],
        related_persons=(
            b.pop.related(person, PersonRole.MOTHER),
            b.pop.related(person, PersonRole.FATHER),
        ),
    )
    return record, person


def _crime_reference(b: _Builder, kind: IncidentType) -> str | None:
    """A CRIS reference where a crime was recorded: every DA offence, some other incidents."""
    crime = kind is IncidentType.DOMESTIC_ABUSE_OFFENCE or (
        kind is not IncidentType.DOMESTIC_ABUSE_INCIDENT and b.rng.random() < 0.2
    )
    return f"CRIS-{b.rng.randrange(10**7):07d}" if crime else None


def _mash_front_door(b: _Builder, police: Any, person: Person) -> None:
    """The same incident seen by other agencies, and the MASH contact, research and decision."""
    day = police.occurred_at.date()
    sources = [(police, CinReferralSource.RS6)]
    if b.rng.random() < 0.12:  # the child goes to A&E the same night
        ref = b.ref("AE")
        ae = b.child_event(
            HealthNotification,
            Agency.HEALTH,
            person,
            day,
            ref,
            service=HealthService.AE_ATTENDANCE,
            site_code="RF4QH",
            presenting_concern=PresentingConcern.INJURY,
            cpis_flag_seen=b.rng.random() < 0.1,
        )
        sources.append((ae, CinReferralSource.RS3E))
    if b.rng.random() < 0.10:  # the school notices the next day or the one after
        ref = b.ref("DSL")
        sources.append(
            (
                b.child_event(
                    EducationConcern,
                    Agency.EDUCATION,
                    person,
                    day + dt.timedelta(days=b.rng.choice([1, 2])),
                    ref,
                    school_urn=f"10{b.rng.randrange(10**4):04d}",
                    concern=SchoolConcern.DOMESTIC_ABUSE,
                    attendance_percent=round(b.rng.uniform(70, 99), 1),
                    exclusions_this_year=0,
                ),
                CinReferralSource.RS2A,
            )
        )
    for source, code in sources:
        _contact(b, person, source.reported_at, code)


def _contact(b: _Builder, person: Person, received: dt.datetime, source: CinReferralSource) -> None:
    cs = Agency.CHILDRENS_SERVICES
    contact_id = b.ref("CON")
    rag = b.rng.choices(list(RagRating), weights=[10, 35, 55])[0]
    at = received + dt.timedelta(minutes=b.rng.randrange(10, 240))
    b.child_event(
        Contact,
        cs,
        person,
        at,
        contact_id,
        contact_id=contact_id,
        referral_source=source,
        rag_rating=rag,
        already_open=b.rng.random() < 0.15,
    )
    hours = {RagRating.RED: 4, RagRating.AMBER: 24, RagRating.GREEN: 72}[rag]
    if rag is not RagRating.GREEN:
        agencies = (Agency.POLICE, Agency.HEALTH, Agency.EDUCATION)
        request = b.ref("RR")
        b.child_event(
            ResearchRequest,
            cs,
            person,
            at + dt.timedelta(minutes=20),
            request,
            contact_id=contact_id,
            requested_agencies=agencies,
            due_at=at + dt.timedelta(hours=hours),
        )
        for agency in agencies:
            b.child_event(
                ResearchResponse,
                cs,
                person,
                at + dt.timedelta(minutes=b.rng.randrange(30, int(hours * 60 * 1.2))),
                f"{request}-{agency.value}",
                contact_id=contact_id,
                responding_agency=agency,
                information_held=b.rng.random() < 0.6,
                consent_to_release=b.rng.random() < 0.8,
            )
    decision = b.rng.choices(list(MashOutcome), weights=[45, 25, 20, 8, 2])[0]
    decided = at + dt.timedelta(hours=b.rng.uniform(0.5, hours * 1.15))
    b.child_event(
        MashDecision,
        cs,
        person,
        decided,
        f"{contact_id}-D",
        contact_id=contact_id,
        decision=decision,
        referrer_informed=b.rng.random() < 0.9,
    )
    if decision in (
        MashOutcome.CIN_ASSESSMENT_S17,
        MashOutcome.STRATEGY_S47,
        MashOutcome.IMMEDIATE_PROTECTION,
    ):
        _referral(b, person, decided, contact_id, source)


def _referral(
    b: _Builder, person: Person, at: dt.datetime, contact_id: str, source: CinReferralSource
) -> None:
    cs = Agency.CHILDRENS_SERVICES
    referral = b.ref("REF")
    b.child_event(
        Referral,
        cs,
        person,
        at + dt.timedelta(hours=1),
        referral,
        referral_id=referral,
        contact_id=contact_id,
        referral_source=source,
    )
    done = min(
        at + dt.timedelta(days=b.rng.randrange(5, 45)),
        dt.datetime.combine(FY_END, dt.time(12), dt.UTC),
    )
    factors = tuple(
        sorted(
            set(
                b.rng.choices(
                    [
                        CinFactor.F3A,
                        CinFactor.F3B,
                        CinFactor.F4B,
                        CinFactor.F2B,
                        CinFactor.F1B,
                        CinFactor.F16A,
                        CinFactor.F17A,
                        CinFactor.F21,
                    ],
                    k=b.rng.randrange(1, 4),
                )
            )
        )
    )
    assessment = b.ref("ASM")
    b.child_event(
        Assessment,
        cs,
        person,
        done,
        assessment,
        assessment_id=assessment,
        referral_id=referral,
        factors=factors,
        closure_reason=None,
    )


# ---- noise ------------------------------------------------------------------------------


def _add_noise(b: _Builder) -> None:
    """Re-sends, re-submissions under a new id, late reports, and out-of-order files."""
    rng = b.rng
    for kind, records in b.sim.events.items():
        noisy: list[BaseModel] = []
        for record in records:
            noisy.append(record)
            roll = rng.random()
            if roll < 0.015:
                noisy.append(record)  # an exact re-send: same event id
                b.sim.noise["re-sends"] += 1
            elif roll < 0.025:
                noisy.append(
                    record.model_copy(
                        update={  # re-submitted under a new event id
                            "event_id": uuid.UUID(int=rng.getrandbits(128), version=4)
                        }
                    )
                )
                b.sim.noise["re-submissions"] += 1
        for n, record in enumerate(noisy):
            if rng.random() < 0.03:  # reported late (weeks after it happened)
                late = record.reported_at + dt.timedelta(days=rng.randrange(14, 60))  # type: ignore[attr-defined]
                noisy[n] = record.model_copy(update={"reported_at": late})
                b.sim.noise["late"] += 1
        noisy.sort(key=lambda r: r.reported_at)  # type: ignore[attr-defined]
        for n in range(len(noisy) - 1):  # out of order: neighbours swapped
            if rng.random() < 0.05:
                noisy[n], noisy[n + 1] = noisy[n + 1], noisy[n]
                b.sim.noise["out-of-order"] += 1
        b.sim.events[kind] = noisy
