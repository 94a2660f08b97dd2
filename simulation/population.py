"""A synthetic population: invented children in households, and how agencies mis-record them.

Every identity is invented; NHS numbers come from the 999 test range, which is never issued.
Each agency renders a child with the noise real records carry: missing NHS numbers (police and
probation mostly), nicknames and typos, day/month swaps, and addresses from before a move.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, replace

from schemas.common import Agency, Child, PersonRole, RelatedPerson, Sex
from simulation.names import ADULT_GIVEN, FAMILY, GIVEN, NICKNAMES, STREETS

__all__ = [
    "STYLES",
    "Household",
    "Person",
    "Population",
    "RecordStyle",
    "nhs_test_number",
    "random_address",
]

_INWARD = "ABDEFGHJLNPQRSTUWXYZ"


def nhs_test_number(rng: random.Random) -> str:
    """A valid NHS number from the 999 range reserved for testing (never issued)."""
    while True:
        digits = "999" + "".join(rng.choice("0123456789") for _ in range(6))
        total = sum(int(d) * w for d, w in zip(digits, range(10, 1, -1), strict=True))
        check = (11 - total % 11) % 11
        if check != 10:
            return digits + str(check)


def _postcode(rng: random.Random) -> str:
    return f"RM{rng.randrange(1, 15)} {rng.randrange(10)}{rng.choice(_INWARD)}{rng.choice(_INWARD)}"


def random_address(rng: random.Random) -> tuple[str, str]:
    """An invented Romford address and a valid RM postcode."""
    return f"{rng.randrange(1, 250)} {rng.choice(STREETS)}, Romford", _postcode(rng)


@dataclass(frozen=True)
class Person:
    """One invented person, as they really are (agencies see them through noise)."""

    key: str
    given_name: str
    family_name: str
    date_of_birth: dt.date | None
    sex: Sex
    nhs_number: str
    household: int
    expected_delivery_date: dt.date | None = None


@dataclass
class Household:
    """Where a family lives; some move during the year."""

    number: int
    mother: Person
    father: Person
    children: list[Person]
    address: str
    postcode: str
    moved_on: dt.date | None = None
    old_address: tuple[str, str] | None = None

    def address_on(self, day: dt.date) -> tuple[str, str]:
        """The address the family lived at on ``day``."""
        if self.moved_on and self.old_address and day < self.moved_on:
            return self.old_address
        return self.address, self.postcode


@dataclass(frozen=True)
class RecordStyle:
    """How one agency records a child: how often it knows the NHS number, how clean it is."""

    nhs_share: float
    typo_share: float = 0.03
    nickname_share: float = 0.08
    swap_share: float = 0.02
    stale_address_share: float = 0.10


STYLES: dict[Agency, RecordStyle] = {
    Agency.POLICE: RecordStyle(nhs_share=0.12, nickname_share=0.15, swap_share=0.04),
    Agency.PROBATION: RecordStyle(nhs_share=0.10, nickname_share=0.12, swap_share=0.03),
    Agency.HEALTH: RecordStyle(
        nhs_share=0.97, typo_share=0.02, nickname_share=0.02, swap_share=0.01
    ),
    Agency.EDUCATION: RecordStyle(nhs_share=0.30, nickname_share=0.10),
    Agency.COMMUNITY_SAFETY: RecordStyle(nhs_share=0.15, nickname_share=0.12),
    # the case system of record: its birth dates are the ones statutory returns rely on
    Agency.CHILDRENS_SERVICES: RecordStyle(
        nhs_share=0.85, typo_share=0.01, nickname_share=0.02, swap_share=0.0
    ),
    Agency.LADO: RecordStyle(nhs_share=0.40),
}


class Population:
    """Households of invented children, drawn from one seed."""

    def __init__(self, rng: random.Random, households: int, year_start: dt.date) -> None:
        self.rng = rng
        self.year_start = year_start
        self._issued: set[str] = set()
        self.households = [self._household(n) for n in range(households)]
        self.children = [c for h in self.households for c in h.children]

    def _person(
        self, household: int, n: int, sex: Sex, given: str, family: str, born: dt.date | None
    ) -> Person:
        return Person(
            f"P{household:05d}-{n}", given, family, born, sex, self.nhs_number(), household
        )

    def _household(self, number: int) -> Household:
        rng = self.rng
        family = rng.choice(FAMILY)
        mother = self._person(
            number,
            0,
            Sex.FEMALE,
            rng.choice(ADULT_GIVEN[Sex.FEMALE]),
            family,
            self.year_start - dt.timedelta(days=rng.randrange(20 * 365, 45 * 365)),
        )
        father = self._person(
            number,
            1,
            Sex.MALE,
            rng.choice(ADULT_GIVEN[Sex.MALE]),
            rng.choice([family, rng.choice(FAMILY)]),
            mother.date_of_birth - dt.timedelta(days=rng.randrange(-1500, 3000))
            if mother.date_of_birth
            else None,
        )
        children = self._children(number, family)
        address, postcode = random_address(rng)
        home = Household(number, mother, father, children, address, postcode)
        if rng.random() < 0.12:  # moved during the year: earlier records carry the old address
            home.old_address = random_address(rng)
            home.moved_on = self.year_start + dt.timedelta(days=rng.randrange(30, 330))
        return home

    def _children(self, household: int, family: str) -> list[Person]:
        """Siblings with different names, born at least ten months apart."""
        rng = self.rng
        kids: list[Person] = []
        for n in range(2, 2 + rng.choice([1, 1, 2, 2, 3, 4])):
            sex = rng.choice([Sex.FEMALE, Sex.MALE])
            born = self.year_start - dt.timedelta(days=rng.randrange(30, 16 * 365))
            taken = {k.given_name for k in kids}
            if any(k.date_of_birth and abs((k.date_of_birth - born).days) < 300 for k in kids):
                continue
            name = rng.choice([g for g in GIVEN[sex] if g not in taken])
            kids.append(self._person(household, n, sex, name, family, born))
        if rng.random() < 0.03 and kids:  # twins: same birth date, surname and address
            twin = kids[0]
            sex = rng.choice([Sex.FEMALE, Sex.MALE])
            kids.append(
                replace(
                    self._person(
                        household,
                        9,
                        sex,
                        rng.choice([g for g in GIVEN[sex] if g != twin.given_name]),
                        family,
                        twin.date_of_birth,
                    )
                )
            )
        return kids

    def child_born(self, household: int, born: dt.date, tag: str) -> Person:
        """A further child of a household with a given birth date (for calibrated cohorts)."""
        sex = self.rng.choice([Sex.FEMALE, Sex.MALE])
        home = self.households[household]
        child = Person(
            f"P{household:05d}-{tag}",
            self.rng.choice(GIVEN[sex]),
            home.mother.family_name,
            born,
            sex,
            self.nhs_number(),
            household,
        )
        home.children.append(child)
        return child

    def nhs_number(self) -> str:
        """An NHS number from the test range that no one else in the population has."""
        while True:
            number = nhs_test_number(self.rng)
            if number not in self._issued:
                self._issued.add(number)
                return number

    def unborn(self, household: int, due: dt.date) -> Person:
        """An unborn child of a household, due on ``due``."""
        home = self.households[household]
        return Person(
            f"P{household:05d}-U",
            "Baby",
            home.mother.family_name,
            None,
            Sex.UNKNOWN,
            self.nhs_number(),
            household,
            expected_delivery_date=due,
        )

    def as_recorded(
        self, person: Person, agency: Agency, on: dt.date, person_id: str | None = None
    ) -> Child:
        """The child as ``agency`` records them on ``on``: with that agency's noise."""
        rng = self.rng
        style = STYLES[agency]
        home = self.households[person.household]
        address, postcode = home.address_on(on)
        if home.old_address and rng.random() < style.stale_address_share:
            address, postcode = home.old_address
        return Child(
            person_id=person_id,
            given_name=self._given(person.given_name, style),
            family_name=_typo(rng, person.family_name)
            if rng.random() < style.typo_share
            else person.family_name,
            date_of_birth=_swapped(person.date_of_birth, on)
            if person.date_of_birth and rng.random() < style.swap_share
            else person.date_of_birth,
            expected_delivery_date=person.expected_delivery_date,
            sex=person.sex,
            nhs_number=person.nhs_number
            if rng.random() < style.nhs_share and person.date_of_birth
            else None,
            address=address,
            postcode=postcode,
        )

    def related(self, person: Person, role: PersonRole) -> RelatedPerson:
        """A parent of ``person`` as a related person (no noise: adults are not linked here)."""
        home = self.households[person.household]
        adult = home.mother if role is PersonRole.MOTHER else home.father
        return RelatedPerson(
            role=role,
            given_name=adult.given_name,
            family_name=adult.family_name,
            date_of_birth=adult.date_of_birth,
            postcode=home.postcode,
        )

    def _given(self, name: str, style: RecordStyle) -> str:
        roll = self.rng.random()
        if roll < style.nickname_share and name in NICKNAMES:
            return NICKNAMES[name]
        if roll < style.nickname_share + style.typo_share:
            return _typo(self.rng, name)
        return name


def _typo(rng: random.Random, name: str) -> str:
    if len(name) < 4:
        return name
    i = rng.randrange(1, len(name) - 1)
    kind = rng.randrange(3)
    if kind == 0:  # transposition
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    if kind == 1:  # dropped letter
        return name[:i] + name[i + 1 :]
    return name[:i] + name[i] + name[i:]  # doubled letter


def _swapped(day: dt.date, before: dt.date) -> dt.date:
    """Day and month swapped, where that is still a date before ``before`` (else unchanged)."""
    if day.day <= 12 and day.day != day.month:
        swapped = day.replace(month=day.day, day=day.month)
        return swapped if swapped < before else day
    return day
