"""A labelled set for measuring linkage: agency records of invented children, with the truth.

Hard cases on purpose: twins (same surname, birth date and address), siblings, cousins who
share surname, birth date and postcode, records without NHS numbers, nicknames, typos,
day/month swaps and addresses from before a move.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, replace

from schemas.common import Agency, Child
from simulation.names import GIVEN
from simulation.population import Person, Population

__all__ = ["LabelledRecord", "labelled_records"]

_AGENCIES = [
    Agency.POLICE,
    Agency.POLICE,
    Agency.HEALTH,
    Agency.EDUCATION,
    Agency.CHILDRENS_SERVICES,
    Agency.PROBATION,
    Agency.COMMUNITY_SAFETY,
]


@dataclass(frozen=True)
class LabelledRecord:
    """One agency's record of a child, and which child it really is."""

    record_id: str
    agency: Agency
    child: Child
    truth: str


def labelled_records(seed: int = 7, households: int = 1500) -> list[LabelledRecord]:
    """Records of the children of ``households`` households, 1-6 records a child."""
    rng = random.Random(seed)
    pop = Population(rng, households, dt.date(2012, 4, 1))
    _add_twins_and_cousins(rng, pop)
    out = []
    for child in (c for h in pop.households for c in h.children):
        for n in range(rng.choice([1, 2, 2, 3, 3, 4, 6])):
            agency = rng.choice(_AGENCIES)
            day = dt.date(2012, 4, 1) + dt.timedelta(days=rng.randrange(365))
            person_id = f"LCS{child.key}" if agency is Agency.CHILDRENS_SERVICES else None
            recorded = pop.as_recorded(child, agency, day, person_id)
            out.append(LabelledRecord(f"{child.key}#{n}", agency, recorded, child.key))
    rng.shuffle(out)
    return out


def _add_twins_and_cousins(rng: random.Random, pop: Population) -> None:
    homes = pop.households
    for home in rng.sample(homes, len(homes) // 10):  # twins: same birth date and home
        first = home.children[0]
        sex = rng.choice(list(GIVEN))
        names = [n for n in GIVEN[sex] if n != first.given_name]
        home.children.append(
            replace(
                first,
                key=f"{first.key}T",
                given_name=rng.choice(names),
                sex=sex,
                nhs_number=pop.nhs_number(),
            )
        )
    for home in rng.sample(homes, len(homes) // 20):  # cousins next door, born the same day
        first = home.children[0]
        other = rng.choice(homes)
        if other is home:
            continue
        other.postcode = home.postcode
        sex = rng.choice(list(GIVEN))
        given = rng.choice([n for n in GIVEN[sex] if n != first.given_name])
        other.children.append(
            Person(
                f"P{other.number:05d}-C{first.key}",
                given,
                first.family_name,
                first.date_of_birth,
                sex,
                pop.nhs_number(),
                other.number,
            )
        )
