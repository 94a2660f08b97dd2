"""A second, independent labelled linkage set, built from the literature's corruption models.

Modelled on FEBRL's data set generator (Christen & Pudjijono, 2009) and GeCo (Tran, Vatsalan &
Christen, 2013), and written apart from ``simulation.labelled`` and the hub's linker: its own
name lists and look-up tables (``simulation.febrl_lookups``), its own originals
(``simulation.febrl_population``). Each invented child gets 1-6 records, each as one agency would
record them, each corrupted independently with these probabilities:

| corruption (tag)      | probability | applies to                                               |
|-----------------------|-------------|----------------------------------------------------------|
| given.diminutive      | 0.12        | records of a child whose given name has a diminutive      |
| given.sound_alike     | 0.08        | records of a child whose given name has a sound-alike     |
| given.typo            | 0.04        | every record (keyboard: substitute, insert, delete, swap) |
| given.ocr             | 0.01        | records whose given name has OCR-confusable letters       |
| family.sound_alike    | 0.05        | records of a child whose surname has a sound-alike        |
| family.typo           | 0.03        | every record                                              |
| family.ocr            | 0.01        | records whose surname has OCR-confusable letters          |
| family.one_part       | 0.30        | records of a child with a double-barrelled surname        |
| family.spaced         | 0.15        | the same, when both parts are kept (hyphen -> space)      |
| family.step           | 0.50        | records of a child who uses a step-parent's surname       |
| names.swapped         | 0.015       | every record (given and family name exchanged)            |
| dob.day_month         | 0.03        | records whose birth day is 12 or less and not the month   |
| dob.one_day           | 0.01        | every record                                              |
| dob.one_digit         | 0.01        | every record                                              |
| address.old           | 0.40        | records of a child whose household moved                  |
| sex.unknown           | 0.03        | every record                                              |

Which identifiers a record carries depends on its agency (``AGENCIES``): health knows the NHS
number almost always, children's services usually and always has its own person id, education
has the UPN of school-age children and seldom the NHS number, police, probation and community
safety seldom have the NHS number and more often lack a postcode. A birth date is never missing:
the contract (``schemas.common.Child``) requires one of a child who is born. Household-level
shares (double-barrelled surnames, moves, twins, cousins, step surnames) are in
``simulation.febrl_population.HOUSEHOLD_RATES``. Record ids are opaque and the output shuffled.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from schemas.common import Agency, Child, Sex
from simulation import corruption_models as cm
from simulation.febrl_population import REFERENCE_DATE, Home, Original, originals
from simulation.labelled import LabelledRecord

__all__ = ["AGENCIES", "RATES", "AgencyProfile", "CorruptedSet", "corrupted_records",
           "corrupted_records_with_tags"]  # fmt: skip

RATES: dict[str, float] = {
    "given.diminutive": 0.12,
    "given.sound_alike": 0.08,
    "given.typo": 0.04,
    "given.ocr": 0.01,
    "family.sound_alike": 0.05,
    "family.typo": 0.03,
    "family.ocr": 0.01,
    "family.one_part": 0.30,
    "family.spaced": 0.15,
    "family.step": 0.50,
    "names.swapped": 0.015,
    "dob.day_month": 0.03,
    "dob.one_day": 0.01,
    "dob.one_digit": 0.01,
    "address.old": 0.40,
    "sex.unknown": 0.03,
}
T = TypeVar("T")
_RECORDS_PER_CHILD = ((1, 15), (2, 25), (3, 25), (4, 15), (5, 10), (6, 10))


@dataclass(frozen=True)
class AgencyProfile:
    """How often an agency's record carries each identifier, and how often it is chosen."""

    weight: int
    nhs: float
    upn: float = 0.0
    person_id: float = 0.0
    postcode_missing: float = 0.05


AGENCIES: dict[Agency, AgencyProfile] = {
    Agency.HEALTH: AgencyProfile(weight=25, nhs=0.95, postcode_missing=0.02),
    Agency.EDUCATION: AgencyProfile(weight=22, nhs=0.10, upn=0.85, postcode_missing=0.03),
    Agency.POLICE: AgencyProfile(weight=18, nhs=0.05, person_id=0.40, postcode_missing=0.15),
    Agency.CHILDRENS_SERVICES: AgencyProfile(weight=18, nhs=0.70, upn=0.30, person_id=1.0),
    Agency.COMMUNITY_SAFETY: AgencyProfile(weight=7, nhs=0.03, postcode_missing=0.20),
    Agency.PROBATION: AgencyProfile(weight=5, nhs=0.05, postcode_missing=0.15),
    Agency.LADO: AgencyProfile(weight=5, nhs=0.30, postcode_missing=0.10),
}


@dataclass(frozen=True)
class CorruptedSet:
    """The records, each record's corruption tags, and the clean originals by truth key."""

    records: list[LabelledRecord]
    tags: dict[str, frozenset[str]]
    originals: dict[str, Original]


class _Recorder:
    """Renders one original as one agency's record, noting each corruption applied."""

    def __init__(self, rng: random.Random, homes: dict[int, Home]) -> None:
        self.rng = rng
        self.homes = homes
        self.tags: set[str] = set()

    def maybe(self, tag: str, value: T, corrupt: Callable[[T], T | None]) -> T:
        changed = corrupt(value)
        if changed is None or self.rng.random() >= RATES[tag]:
            return value
        self.tags.add(tag)
        return changed

    def given(self, name: str) -> str:
        rng = self.rng
        name = self.maybe("given.diminutive", name, lambda v: cm.diminutive(rng, v))
        name = self.maybe("given.sound_alike", name, lambda v: cm.sound_alike(rng, v))
        name = self.maybe("given.typo", name, lambda v: cm.keyboard_typo(rng, v))
        return self.maybe("given.ocr", name, lambda v: cm.ocr_error(rng, v))

    def family(self, child: Original) -> str:
        rng, name = self.rng, child.family
        if child.step_family:
            name = self.maybe("family.step", name, lambda v: child.step_family)
        if "-" in name:
            name = self.maybe("family.one_part", name, lambda v: cm.surname_one_part(rng, v))
            name = self.maybe("family.spaced", name, cm.surname_spaced)
        name = self.maybe("family.sound_alike", name, lambda v: cm.sound_alike(rng, v))
        name = self.maybe("family.typo", name, lambda v: cm.keyboard_typo(rng, v))
        return self.maybe("family.ocr", name, lambda v: cm.ocr_error(rng, v))

    def born(self, child: Original) -> dt.date:
        rng, born = self.rng, child.born
        born = self.maybe("dob.day_month", born, cm.dob_day_month_swapped)
        born = self.maybe("dob.one_day", born, lambda v: cm.dob_one_day_off(rng, v))
        return self.maybe(
            "dob.one_digit", born, lambda v: cm.dob_one_digit_off(rng, v, REFERENCE_DATE)
        )

    def place(self, child: Original, profile: AgencyProfile) -> tuple[str | None, str | None]:
        home = self.homes[child.home]
        address, postcode = home.address, home.postcode
        if home.old:
            address = self.maybe("address.old", address, lambda v: home.old[0] if home.old else v)
            postcode = home.old[1] if "address.old" in self.tags else postcode
        if self.rng.random() < profile.postcode_missing:
            return address, None
        return address, postcode

    def record(self, child: Original, agency: Agency) -> Child:
        rng, profile = self.rng, AGENCIES[agency]
        given, family = self.given(child.given), self.family(child)
        if rng.random() < RATES["names.swapped"]:
            self.tags.add("names.swapped")
            given, family = family, given
        sex = child.sex
        if rng.random() < RATES["sex.unknown"]:
            self.tags.add("sex.unknown")
            sex = Sex.UNKNOWN
        address, postcode = self.place(child, profile)
        return Child(
            person_id=_person_id(agency, child) if rng.random() < profile.person_id else None,
            given_name=given,
            family_name=family,
            date_of_birth=self.born(child),
            sex=sex,
            nhs_number=child.nhs if rng.random() < profile.nhs else None,
            upn=child.upn if child.upn and rng.random() < profile.upn else None,
            address=address,
            postcode=postcode,
        )


def _person_id(agency: Agency, child: Original) -> str:
    """The agency's own stable id for the child (opaque: a number, not the truth key)."""
    return f"{agency.value[:2]}{int(child.nhs[3:]) * 7 % 10**7:07d}"


def corrupted_records_with_tags(seed: int = 11, children: int = 4000) -> CorruptedSet:
    """``children`` invented children, 1-6 agency records each, with each record's corruptions."""
    rng = random.Random(seed)
    kids, homes = originals(rng, children)
    agencies = list(AGENCIES)
    weights = [AGENCIES[a].weight for a in agencies]
    rows: list[tuple[Agency, Child, str, frozenset[str]]] = []
    for kid in kids:
        n = rng.choices([k for k, _ in _RECORDS_PER_CHILD], [w for _, w in _RECORDS_PER_CHILD])
        for _ in range(n[0]):
            agency = rng.choices(agencies, weights)[0]
            recorder = _Recorder(rng, homes)
            child = recorder.record(kid, agency)
            rows.append((agency, child, kid.key, frozenset(recorder.tags)))
    rng.shuffle(rows)
    records = [LabelledRecord(f"F{i:06d}", a, c, t) for i, (a, c, t, _) in enumerate(rows)]
    tags = {f"F{i:06d}": row[3] for i, row in enumerate(rows)}
    return CorruptedSet(records, tags, {k.key: k for k in kids})


def corrupted_records(seed: int = 11, children: int = 4000) -> list[LabelledRecord]:
    """``children`` invented children, 1-6 agency records each, shuffled, with the truth."""
    return corrupted_records_with_tags(seed, children).records
