"""What every part of a simulated year is made with: one random stream, the population, and
envelopes and events built alike; and, once all is made, the noise real agency feeds carry."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel

from schemas.common import Agency, LawfulBasis, PersonRole, SpecialCategoryCondition
from simulation.havering import FY_START, ISA_ID, TENANT
from simulation.population import Person, Population

__all__ = ["Simulation", "YearBuilder", "add_noise"]

_Event = TypeVar("_Event", bound=BaseModel)


@dataclass
class Simulation:
    """Every generated event, by export kind (event type), in the order an agency sends them."""

    events: dict[str, list[BaseModel]] = field(default_factory=lambda: defaultdict(list))
    noise: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, record: _Event) -> _Event:
        """Record one event."""
        self.events[record.EVENT_TYPE].append(record)  # type: ignore[attr-defined]
        return record

    @property
    def total(self) -> int:
        """Events of every kind."""
        return sum(map(len, self.events.values()))


_SYSTEMS = {
    Agency.HEALTH: "SystmOne",
    Agency.PROBATION: "nDelius",
    Agency.EDUCATION: "SIMS",
    Agency.COMMUNITY_SAFETY: "MARAC-Tracker",
    Agency.CHILDRENS_SERVICES: "LCS",
    Agency.LADO: "LADO-Log",
}


class YearBuilder:
    """Makes envelopes and events with ids and times drawn from one random stream."""

    def __init__(self, seed: int, households: int) -> None:
        self.rng = random.Random(seed)
        self.pop = Population(self.rng, households, FY_START)
        self.sim = Simulation()
        self.serial: dict[str, int] = defaultdict(int)

    def serial_number(self, prefix: str) -> int:
        """The next number in the series ``prefix`` (each series counts from 1)."""
        self.serial[prefix] += 1
        return self.serial[prefix]

    def ref(self, prefix: str) -> str:
        """The next record id of the series ``prefix``, e.g. ``CPP-000001``."""
        return f"{prefix}-{self.serial_number(prefix):06d}"

    def time_on(self, day: dt.date) -> dt.datetime:
        """A time in the working day (8:00 to 20:00 UTC) of ``day``."""
        return dt.datetime.combine(
            day, dt.time(self.rng.randrange(8, 20), self.rng.randrange(60)), dt.UTC
        )

    def envelope(
        self,
        agency: Agency,
        when: dt.date | dt.datetime,
        record_id: str,
        delay_h: tuple[int, int] = (1, 36),
    ) -> dict[str, Any]:
        """The fields every event shares; ``when`` a day is given a time in its working day."""
        rng = self.rng
        at = when if isinstance(when, dt.datetime) else self.time_on(when)
        law = agency is Agency.PROBATION  # police notifications are made in simulation.police
        return {
            "event_id": uuid.UUID(int=rng.getrandbits(128), version=4),
            "source_agency": agency,
            "source_system": _SYSTEMS[agency],
            "agency_record_id": record_id,
            "occurred_at": at,
            "reported_at": at
            + dt.timedelta(minutes=rng.randrange(delay_h[0] * 60, delay_h[1] * 60 + 1)),
            "tenant": TENANT,
            "lawful_basis": LawfulBasis.LAW_ENFORCEMENT if law else LawfulBasis.PUBLIC_TASK,
            "special_category_condition": SpecialCategoryCondition.PART3_S35_SCH8
            if law
            else SpecialCategoryCondition.SCH1_PARA18_SAFEGUARDING,
            "purpose": "safeguarding of children (MASH)",
            "isa_id": ISA_ID,
            "reporter_role": {
                Agency.HEALTH: "nurse",
                Agency.EDUCATION: "designated safeguarding lead",
            }.get(agency, "practitioner"),
            "reporter_team_id": f"{agency.value[:3]}-T{rng.randrange(1, 9):02d}",
        }

    def child_event(
        self,
        model: type[_Event],
        agency: Agency,
        person: Person,
        when: dt.date | dt.datetime,
        record_id: str,
        **fields: Any,
    ) -> _Event:
        """A ``model`` event about ``person`` as ``agency`` records them (an unborn child's
        mother beside them), added to the simulation."""
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
        """A day from ``start`` to ``end``, both included."""
        return start + dt.timedelta(days=self.rng.randrange((end - start).days + 1))

    def child(self, min_age_days: int = 60) -> Person:
        """A child of the population at least ``min_age_days`` old when the year starts."""
        while True:
            person = self.rng.choice(self.pop.children)
            if person.date_of_birth and (FY_START - person.date_of_birth).days >= min_age_days:
                return person


def add_noise(b: YearBuilder) -> None:
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
