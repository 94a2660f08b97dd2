"""The comparison levels of linkage: for each compared field, how far two values agree.

This is the one definition of the levels. The streaming scorer weighs them with the model's
m and u; training (``mash linkage train``) estimates m and u by counting the same levels over
record pairs, so the two cannot drift apart. Each level's description is written into the
model file.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from functools import lru_cache

from rapidfuzz.distance import JaroWinkler, Levenshtein

from streams.names import one_name

__all__ = [
    "FIELDS",
    "Level",
    "dob_level",
    "family_level",
    "given_level",
    "postcode_level",
    "sex_level",
]


class Level(StrEnum):
    """How far two values agree."""

    EXACT = "exact"
    NICKNAME = "nickname"
    CLOSE = "close"
    PART = "part"
    FAIR = "fair"
    SWAPPED = "swapped"
    ONE_EDIT = "one_edit"
    SECTOR = "sector"
    DISTRICT = "district"
    DIFFERENT = "different"
    MISSING = "missing"


FIELDS: dict[str, tuple[tuple[Level, str], ...]] = {
    "given_name": (
        (Level.EXACT, "the same given name (weighed by how common it is)"),
        (Level.NICKNAME, "one is a nickname of the other, or both of one name (lexicon)"),
        (Level.CLOSE, "Jaro-Winkler similarity at least 0.92 (a typo)"),
        (
            Level.PART,
            "one name (3 letters or more) is inside the other (Liv, Olivia), or is the start "
            "of the other with -ie, -y or -i added (Katie, Katherine)",
        ),
        (Level.FAIR, "Jaro-Winkler similarity at least 0.85"),
        (Level.DIFFERENT, "none of the above"),
    ),
    "family_name": (
        (Level.EXACT, "the same family name (weighed by how common it is)"),
        (Level.CLOSE, "Jaro-Winkler similarity at least 0.92 (a typo)"),
        (
            Level.PART,
            "a whole part of a double-barrelled name is the other name or one of its parts",
        ),
        (Level.FAIR, "Jaro-Winkler similarity at least 0.85"),
        (Level.DIFFERENT, "none of the above"),
    ),
    "date_of_birth": (
        (Level.EXACT, "the same date (due date for an unborn child)"),
        (Level.SWAPPED, "day and month swapped"),
        (Level.ONE_EDIT, "one digit of YYYYMMDD different, or two adjacent digits swapped"),
        (Level.DIFFERENT, "none of the above"),
    ),
    "sex": (
        (Level.EXACT, "the same recorded sex"),
        (Level.DIFFERENT, "different recorded sex (unknown counts as missing)"),
    ),
    "postcode": (
        (Level.EXACT, "the same full postcode"),
        (Level.SECTOR, "the same postcode sector (all but the last two characters)"),
        (Level.DISTRICT, "the same postcode district (the outward code)"),
        (Level.DIFFERENT, "none of the above"),
    ),
}
"""Field -> its levels, best first, each with what it means. Missing values weigh 0."""


@lru_cache(maxsize=1 << 16)
def given_level(a: str, b: str) -> Level:
    """Given names: equal, nickname, typo, part of the other, similar, or different."""
    if not a or not b:
        return Level.MISSING
    if a == b:
        return Level.EXACT
    if one_name(a, b):
        return Level.NICKNAME
    similarity = JaroWinkler.similarity(a, b)
    if similarity >= 0.92:
        return Level.CLOSE
    if _part(a, b):
        return Level.PART
    return Level.FAIR if similarity >= 0.85 else Level.DIFFERENT


def _part(a: str, b: str) -> bool:
    """One name inside the other, or a diminutive by truncation (stem + -ie, -y, -i)."""
    short, long = sorted((a, b), key=len)
    if len(short) >= 3 and short in long:
        return True
    for suffix in ("ie", "ey", "y", "i"):
        stem = short.removesuffix(suffix)
        if stem != short and len(stem) >= 3 and long.startswith(stem):
            return True
    return False


@lru_cache(maxsize=1 << 16)
def family_level(a: str, b: str) -> Level:
    """Family names: equal, typo, one part of a double-barrelled name, similar, different."""
    if not a or not b:
        return Level.MISSING
    if a == b:
        return Level.EXACT
    similarity = JaroWinkler.similarity(a, b)
    if similarity >= 0.92:
        return Level.CLOSE
    if " " in a or " " in b:
        parts_a, parts_b = set(a.split(" ")), set(b.split(" "))
        if not parts_a.isdisjoint(parts_b):
            return Level.PART
    return Level.FAIR if similarity >= 0.85 else Level.DIFFERENT


@lru_cache(maxsize=1 << 16)
def dob_level(a: dt.date | None, b: dt.date | None) -> Level:
    """Birth (or due) dates: equal, day and month swapped, one digit off, different."""
    if a is None or b is None:
        return Level.MISSING
    if a == b:
        return Level.EXACT
    if a.day <= 12 and a.replace(month=a.day, day=a.month) == b:
        return Level.SWAPPED
    return _digits_level(f"{a:%Y%m%d}", f"{b:%Y%m%d}")


@lru_cache(maxsize=1 << 16)
def _digits_level(a: str, b: str) -> Level:
    one_edit = Levenshtein.distance(a, b) == 1 or _adjacent_swap(a, b)
    return Level.ONE_EDIT if one_edit else Level.DIFFERENT


def _adjacent_swap(a: str, b: str) -> bool:
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]


def sex_level(a: str, b: str) -> Level:
    """Recorded sex: the same, different, or missing where either is unknown."""
    if a == "UNKNOWN" or b == "UNKNOWN":
        return Level.MISSING
    return Level.EXACT if a == b else Level.DIFFERENT


def postcode_level(a: str | None, b: str | None) -> Level:
    """Postcodes (spaces removed): the same, same sector, same district, different."""
    if not a or not b:
        return Level.MISSING
    if a == b:
        return Level.EXACT
    if a[:-2] == b[:-2]:
        return Level.SECTOR
    return Level.DISTRICT if a[:-3] == b[:-3] else Level.DIFFERENT
