"""The clean originals of the corruption set: children in households, as they really are.

Households draw a surname (a tenth double-barrelled) and an address in one of several English
towns; some moved, so older records carry the old address. Children are siblings born at least
300 days apart; some households have twins (same birth date, surname and address, names either
near-identical or unrelated); some have cousins next door born the same day (same surname and
postcode). A few children use a step-parent's surname in some records. Identifiers are invented:
NHS numbers from the 999 test range (valid mod-11 check digit), UPNs with a valid check letter.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field, replace

from schemas.common import Sex
from simulation.febrl_lookups import DISTRICTS, GIVEN_NAMES, STREETS, SURNAMES, TWIN_NAME_PAIRS

__all__ = ["HOUSEHOLD_RATES", "Home", "Original", "originals"]

REFERENCE_DATE = dt.date(2024, 4, 1)
HOUSEHOLD_RATES = {
    "double_barrelled": 0.10,
    "moved": 0.15,
    "twins": 0.07,
    "twins_near_identical_names": 0.40,
    "cousins_next_door": 0.03,
    "step_surname": 0.04,
}
_KIDS = ((1, 35), (2, 35), (3, 20), (4, 10))
_INWARD = "ABDEFGHJLNPQRSTUWXYZ"
_UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
_UPN_ALPHABET = _UPN_LETTERS + "0123456789"


@dataclass(frozen=True)
class Original:
    """One invented child as they really are."""

    key: str
    given: str
    family: str
    born: dt.date
    sex: Sex
    nhs: str
    upn: str | None
    home: int
    twin_of: str | None = None
    cousin_of: str | None = None
    step_family: str | None = None


@dataclass
class Home:
    """Where a household lives, and where it lived before a move."""

    number: int
    house: int
    street: str
    town: str
    postcode: str
    old: tuple[str, str] | None = None
    children: list[Original] = field(default_factory=list)

    @property
    def address(self) -> str:
        """The current address line."""
        return f"{self.house} {self.street}, {self.town}"


def _weighted(rng: random.Random, table: dict[str, int], but: set[str] | None = None) -> str:
    names = [n for n in table if not but or n not in but]
    return rng.choices(names, weights=[table[n] for n in names])[0]


class _Builder:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.issued: set[str] = set()
        self.homes: list[Home] = []

    def nhs(self) -> str:
        """A unique 999-range NHS number whose mod-11 check digit is valid."""
        while True:
            body = "999" + f"{self.rng.randrange(10**6):06d}"
            check = 11 - sum(int(d) * (10 - i) for i, d in enumerate(body)) % 11
            check = 0 if check == 11 else check
            if check != 10 and body + str(check) not in self.issued:
                self.issued.add(body + str(check))
                return body + str(check)

    def upn(self, born: dt.date) -> str | None:
        """A UPN for a child of school or nursery age: LA, school, year, serial, check letter."""
        if (REFERENCE_DATE - born).days < 3 * 365:
            return None
        r = self.rng
        body = f"{r.choice((317, 380, 856, 330, 821, 801))}{r.randrange(2000, 7000)}"
        body += f"{born.year % 100 + 4:02d}{r.randrange(1000):03d}"
        total = sum(_UPN_ALPHABET.index(c) * w for c, w in zip(body, range(2, 14), strict=True))
        return _UPN_LETTERS[total % 23] + body

    def place(self) -> tuple[int, str, str, str]:
        r = self.rng
        town, district = r.choice(DISTRICTS)
        postcode = f"{district} {r.randrange(1, 10)}{r.choice(_INWARD)}{r.choice(_INWARD)}"
        return r.randrange(1, 200), r.choice(STREETS), town, postcode

    def child(self, home: Home, n: int, family: str, born: dt.date, but: set[str]) -> Original:
        sex = self.rng.choice((Sex.FEMALE, Sex.MALE))
        given = _weighted(self.rng, GIVEN_NAMES[sex], but)
        step = (
            _weighted(self.rng, SURNAMES, {family})
            if self.rng.random() < HOUSEHOLD_RATES["step_surname"]
            else None
        )
        key = f"H{home.number:05d}-{n}"
        return Original(key, given, family, born, sex, self.nhs(), self.upn(born), home.number,
                        step_family=step)  # fmt: skip

    def household(self) -> Home:
        r = self.rng
        family = _weighted(r, SURNAMES)
        if r.random() < HOUSEHOLD_RATES["double_barrelled"]:
            family += "-" + _weighted(r, SURNAMES, {family})
        home = Home(len(self.homes), *self.place())
        if r.random() < HOUSEHOLD_RATES["moved"]:
            house, street, town, postcode = self.place()
            home.old = (f"{house} {street}, {town}", postcode)
        self.homes.append(home)
        count = r.choices([k for k, _ in _KIDS], weights=[w for _, w in _KIDS])[0]
        for n in range(count):
            born = self.birth_date(home)
            if born:
                home.children.append(self.child(home, n, family, born, self.names(home)))
        if home.children and r.random() < HOUSEHOLD_RATES["twins"]:
            self.twins(home)
        if home.children and r.random() < HOUSEHOLD_RATES["cousins_next_door"]:
            self.cousin_next_door(home)
        return home

    def names(self, home: Home) -> set[str]:
        return {c.given for c in home.children}

    def birth_date(self, home: Home) -> dt.date | None:
        for _ in range(5):
            born = REFERENCE_DATE - dt.timedelta(days=self.rng.randrange(20, 17 * 365))
            if all(abs((born - c.born).days) >= 300 for c in home.children):
                return born
        return None

    def twins(self, home: Home) -> None:
        first = home.children[0]
        twin = self.child(home, 8, first.family, first.born, self.names(home))
        if self.rng.random() < HOUSEHOLD_RATES["twins_near_identical_names"]:
            a, b, sex_a, sex_b = self.rng.choice(TWIN_NAME_PAIRS)
            first = replace(first, given=a, sex=sex_a)
            twin = replace(twin, given=b, sex=sex_b)
        home.children[0] = replace(first, twin_of=twin.key)
        home.children.append(replace(twin, twin_of=first.key))

    def cousin_next_door(self, home: Home) -> None:
        first = home.children[0]
        house = home.house + self.rng.choice((-1, 1)) if home.house > 1 else home.house + 1
        door = Home(len(self.homes), house, home.street, home.town, home.postcode)
        self.homes.append(door)
        cousin = self.child(door, 0, first.family, first.born, {first.given})
        home.children[0] = replace(first, cousin_of=cousin.key)
        door.children.append(replace(cousin, cousin_of=first.key))


def originals(rng: random.Random, children: int) -> tuple[list[Original], dict[int, Home]]:
    """At least ``children`` invented children (whole households), and their homes by number."""
    builder = _Builder(rng)
    count = 0
    while count < children:
        before = len(builder.homes)
        builder.household()
        count += sum(len(h.children) for h in builder.homes[before:])
    kids = [c for h in builder.homes for c in h.children][:children]
    return kids, {h.number: h for h in builder.homes}
