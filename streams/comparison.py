"""How two linkage records compare: strong identifiers decide, else Fellegi-Sunter weights.

Deterministic first: the same NHS number, UPN or agency person id is the same child, and two
different NHS numbers are never the same child. Otherwise Fellegi-Sunter, as Splink does it:
each compared field falls into an agreement level with a match weight log2(m/u); the weights
add up; an exact surname match is worth less for a common surname (term frequency). An unborn
child's record is compared with a born child's through the mother.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

import jellyfish
from rapidfuzz.distance import JaroWinkler, Levenshtein

from schemas.common import Child, RelatedPerson
from streams.names import NICKNAMES, surname_frequency

__all__ = ["NEVER", "SURE", "Comparison", "Level", "PersonRecord", "compare"]


@dataclass(frozen=True, slots=True)
class PersonRecord:
    """What linkage knows of one child in one event (identity fields only, normalised)."""

    record_id: str
    given_name: str
    family_name: str
    date_of_birth: dt.date | None
    expected_delivery_date: dt.date | None
    sex: str
    postcode: str | None
    nhs_number: str | None = None
    upn: str | None = None
    agency_person_id: str | None = None
    mother: tuple[str, str, dt.date | None] | None = None
    """(given name, family name, birth date) of the mother, where the event names her."""

    @classmethod
    def of(
        cls,
        record_id: str,
        *,
        given_name: str,
        family_name: str,
        date_of_birth: dt.date | None,
        expected_delivery_date: dt.date | None,
        sex: str,
        postcode: str | None,
        nhs_number: str | None = None,
        upn: str | None = None,
        agency_person_id: str | None = None,
        mother: tuple[str, str, dt.date | None] | None = None,
    ) -> PersonRecord:
        """A record with its names normalised for comparison."""
        return cls(
            record_id,
            _norm(given_name),
            _norm(family_name),
            date_of_birth,
            expected_delivery_date,
            sex,
            postcode.replace(" ", "") if postcode else None,
            nhs_number,
            upn,
            agency_person_id,
            (_norm(mother[0]), _norm(mother[1]), mother[2]) if mother else None,
        )

    @classmethod
    def from_child(
        cls, record_id: str, child: Child, agency: str, mother: RelatedPerson | None = None
    ) -> PersonRecord:
        """The identity of a child as one agency recorded it."""
        return cls.of(
            record_id,
            given_name=child.given_name,
            family_name=child.family_name,
            date_of_birth=child.date_of_birth,
            expected_delivery_date=child.expected_delivery_date,
            sex=child.sex.value,
            postcode=child.postcode,
            nhs_number=child.nhs_number,
            upn=child.upn,
            agency_person_id=f"{agency}:{child.person_id}" if child.person_id else None,
            mother=(mother.given_name, mother.family_name, mother.date_of_birth)
            if mother
            else None,
        )

    def blocking_keys(self) -> Iterator[str]:
        """Keys under which candidates for this record are found."""
        for ident, value in (
            ("nhs", self.nhs_number),
            ("upn", self.upn),
            ("pid", self.agency_person_id),
        ):
            if value:
                yield f"{ident}:{value}"
        fam, giv = _phonetic(self.family_name), _phonetic(self.given_name)
        if self.date_of_birth:
            dob = self.date_of_birth
            yield f"dob:{dob.isoformat()}"
            if dob.day <= 12 and dob.day != dob.month:
                yield f"dob:{dob.replace(month=dob.day, day=dob.month).isoformat()}"
            yield f"fam-ym:{fam}:{dob:%Y-%m}"
            yield f"names-y:{fam}:{giv}:{dob.year}"
        if self.mother:  # an unborn child, or a child whose mother is named
            yield f"mother:{_phonetic(self.mother[1])}:{self.mother[2]}"


def _norm(name: str) -> str:
    return " ".join(name.lower().replace("-", " ").replace("'", "").split())


def _phonetic(name: str) -> str:
    return jellyfish.metaphone(name.split(" ")[0]) if name else ""


class Level(StrEnum):
    """How far two values agree."""

    EXACT = "exact"
    CLOSE = "close"
    FAIR = "fair"
    DIFFERENT = "different"
    MISSING = "missing"


# (m, u) per field and agreement level: m = P(level | same child), u = P(level | not).
_MU: dict[str, dict[Level, tuple[float, float]]] = {
    "given_name": {
        Level.EXACT: (0.88, 0.02),
        Level.CLOSE: (0.09, 0.003),
        Level.FAIR: (0.02, 0.01),
        Level.DIFFERENT: (0.01, 0.967),
    },
    "family_name": {
        Level.EXACT: (0.93, 0.03),
        Level.CLOSE: (0.05, 0.004),
        Level.DIFFERENT: (0.02, 0.966),
    },
    "date_of_birth": {
        Level.EXACT: (0.94, 0.00017),
        Level.CLOSE: (0.03, 0.00017),
        Level.FAIR: (0.02, 0.007),
        Level.DIFFERENT: (0.01, 0.99266),
    },
    "sex": {Level.EXACT: (0.98, 0.5), Level.DIFFERENT: (0.02, 0.5)},
    "postcode": {
        Level.EXACT: (0.80, 0.0005),
        Level.CLOSE: (0.10, 0.02),
        Level.DIFFERENT: (0.10, 0.9795),
    },
}


@dataclass(frozen=True, slots=True)
class Comparison:
    """The comparison of two records: each field's level and weight, and the total."""

    weight: float
    levels: tuple[tuple[str, str, float], ...]
    """(field, level, weight) for every compared field."""
    rule: str = "probabilistic"

    def explain(self) -> str:
        """Which fields agreed, how far, and what each was worth."""
        parts = [f"{f}={lvl}({w:+.1f})" for f, lvl, w in self.levels if lvl != Level.MISSING]
        return f"{self.rule}: " + ", ".join(parts)


_ID_RULES = (
    ("nhs_number", "same NHS number"),
    ("upn", "same UPN"),
    ("agency_person_id", "same agency person id"),
)
SURE = 40.0
NEVER = -40.0


def compare(a: PersonRecord, b: PersonRecord) -> Comparison:
    """Compare two records: strong identifiers decide; otherwise add up field weights."""
    if a.nhs_number and b.nhs_number and a.nhs_number != b.nhs_number:
        return Comparison(NEVER, (), "different NHS numbers")
    for attribute, rule in _ID_RULES:
        value = getattr(a, attribute)
        if value and value == getattr(b, attribute):
            return Comparison(SURE, (), rule)
    if (a.date_of_birth is None) != (b.date_of_birth is None):
        return _unborn_and_born(a, b)
    levels = (
        _weigh("given_name", _given_level(a.given_name, b.given_name)),
        _surname(a.family_name, b.family_name),
        _weigh(
            "date_of_birth",
            _dob_level(
                a.date_of_birth or a.expected_delivery_date,
                b.date_of_birth or b.expected_delivery_date,
            ),
        ),
        _weigh(
            "sex",
            Level.MISSING
            if "UNKNOWN" in (a.sex, b.sex)
            else Level.EXACT
            if a.sex == b.sex
            else Level.DIFFERENT,
        ),
        _weigh("postcode", _postcode_level(a.postcode, b.postcode)),
    )
    weight = sum(w for _, _, w in levels)
    for (_, level, _), why in zip(levels[:3:2], ("given names", "birth dates"), strict=True):
        if level == Level.DIFFERENT:
            # twins and cousins share surname, birth date and postcode, siblings all but the
            # birth date: without a strong identifier such records are never one child
            return Comparison(min(weight, 0.0), levels, f"{why} differ")
    return Comparison(weight, levels)


def _weigh(name: str, level: Level) -> tuple[str, str, float]:
    if level is Level.MISSING:
        return name, level, 0.0
    m, u = _MU[name][level]
    return name, level, math.log2(m / u)


def _surname(a: str, b: str) -> tuple[str, str, float]:
    level = (
        Level.EXACT
        if a == b
        else Level.CLOSE
        if JaroWinkler.similarity(a, b) >= 0.92
        else Level.DIFFERENT
    )
    name, level_name, weight = _weigh("family_name", level)
    if level is Level.EXACT:  # term frequency: a common surname agrees by chance more often
        m, _ = _MU["family_name"][Level.EXACT]
        weight = math.log2(m / max(surname_frequency(a), 1e-4))
    return name, level_name, weight


def _given_level(a: str, b: str) -> Level:
    if a == b:
        return Level.EXACT
    if _one_name(a, b):
        return Level.CLOSE
    similarity = JaroWinkler.similarity(a, b)
    if similarity >= 0.92:
        return Level.CLOSE
    return Level.FAIR if similarity >= 0.85 else Level.DIFFERENT


def _one_name(a: str, b: str) -> bool:
    """The same given name, or names for one full name (nickname or not, whichever side)."""
    return a == b or NICKNAMES.get(a, a) == NICKNAMES.get(b, b)


def _dob_level(a: dt.date | None, b: dt.date | None) -> Level:
    if a is None or b is None:
        return Level.MISSING
    if a == b:
        return Level.EXACT
    if a.day <= 12 and a.replace(month=a.day, day=a.month) == b:
        return Level.CLOSE  # day and month swapped
    one_edit = Levenshtein.distance(f"{a:%Y%m%d}", f"{b:%Y%m%d}") == 1
    return Level.FAIR if one_edit else Level.DIFFERENT


def _postcode_level(a: str | None, b: str | None) -> Level:
    if not a or not b:
        return Level.MISSING
    if a == b:
        return Level.EXACT
    return Level.CLOSE if a[:-2] == b[:-2] else Level.DIFFERENT  # same postcode sector


def _unborn_and_born(a: PersonRecord, b: PersonRecord) -> Comparison:
    """An unborn child's record and a born child's: the same mother, born near the due date."""
    unborn, born = (a, b) if a.date_of_birth is None else (b, a)
    due, birth = unborn.expected_delivery_date, born.date_of_birth
    if not (unborn.mother and born.mother and due and birth):
        return Comparison(NEVER, (), "unborn and born with no mother to compare")
    same_mother = unborn.mother[1] == born.mother[1] and _one_name(unborn.mother[0], born.mother[0])
    if same_mother and unborn.mother[2] == born.mother[2] and abs((birth - due).days) <= 42:
        return Comparison(SURE / 2, (), "born to the same mother within 6 weeks of the due date")
    return Comparison(NEVER, (), "unborn and born to a different mother or far from the due date")
