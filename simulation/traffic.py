"""The everyday traffic: police notifications (the domestic abuse the board counts, and the
rest), the same incidents seen by A&E and schools, each reaching the MASH front door; and
probation's notifications of supervised adults linked to children."""

from __future__ import annotations

import datetime as dt

from schemas.codes import CinReferralSource
from schemas.common import Agency, Envelope, PersonRole
from schemas.education import EducationConcern, SchoolConcern
from schemas.health import HealthNotification, HealthService, PresentingConcern
from schemas.police import IncidentType, PoliceNotification
from schemas.probation import MappaLevel, ProbationNotification, RoshLevel
from simulation.builder import YearBuilder
from simulation.front_door import contact
from simulation.havering import (
    DV,
    FY_END,
    FY_START,
    OTHER_POLICE_NOTIFICATIONS,
    PRIOR_FY_START,
    PROBATION_NOTIFICATIONS,
)
from simulation.police import incident_types, police_notification
from simulation.population import Person

__all__ = ["police_and_front_door", "probation"]


def police_and_front_door(b: YearBuilder) -> None:
    """Two years of police notifications (domestic abuse as the board counted it, and in
    2012-13 the other kinds too), each 2012-13 one reaching the MASH front door."""
    for year, start in (("2011-12", PRIOR_FY_START), ("2012-13", FY_START)):
        end = start.replace(year=start.year + 1) - dt.timedelta(days=1)
        others = OTHER_POLICE_NOTIFICATIONS if year == "2012-13" else 0
        for kind in incident_types(b.rng, DV[year]["offences"], DV[year]["incidents"], others):
            when = b.day_between(start, end - dt.timedelta(days=3))
            police, person = _police(b, kind, when)
            if year == "2012-13":
                _mash_front_door(b, police, person)


def _police(b: YearBuilder, kind: IncidentType, when: dt.date) -> tuple[PoliceNotification, Person]:
    person = b.child(min_age_days=max(60, (FY_START - when).days + 30))
    record = police_notification(
        b.rng,
        b.serial_number("MER"),
        b.pop.as_recorded(person, Agency.POLICE, when),
        b.time_on(when),
        kind,
        related=(
            b.pop.related(person, PersonRole.MOTHER),
            b.pop.related(person, PersonRole.FATHER),
        ),
    )
    b.sim.add(record)
    return record, person


def _mash_front_door(b: YearBuilder, police: PoliceNotification, person: Person) -> None:
    """The same incident seen by other agencies, and the MASH contact, research and decision."""
    day = police.occurred_at.date()
    sources: list[tuple[Envelope, CinReferralSource]] = [(police, CinReferralSource.RS6)]
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
        contact(b, person, source.reported_at, code)


def probation(b: YearBuilder) -> None:
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
