"""The comparison levels of linkage: for each compared field, how far two values agree.

This is the one definition of the levels. The streaming scorer weighs them with the model's
m and u; training (``mash linkage train``) estimates m and u by counting the same levels over
record pairs, so the two cannot drift apart. Each level's description is written into the
model file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from enum import StrEnum
from functools import lru_cache

import jellyfish
from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler, Levenshtein

from streams.names import name_variants, one_name

__all__ = [
    "FIELDS",
    "NESTED",
    "Level",
    "dob_level",
    "family_level",
    "given_level",
    "name_levels",
    "postcode_level",
    "sex_level",
    "sounds_alike",
    "spelled_alike",
]


class Level(StrEnum):
    """How far two values agree."""

    EXACT = "exact"
    NICKNAME = "nickname"
    CLOSE = "close"
    PART = "part"
    PHONETIC = "phonetic"
    FAIR = "fair"
    SWAPPED = "swapped"
    ONE_EDIT = "one_edit"
    NEAR = "near"
    SECTOR = "sector"
    DISTRICT = "district"
    DIFFERENT = "different"
    MISSING = "missing"


NEAR_DAYS = 3
_SWAPPED = (
    "given and family names exchanged: each name agrees with the other record's other name "
    "(equal, typo or nickname), and the names compared in place do not"
)
_CLOSE = (
    "Jaro-Winkler similarity at least 0.92, or one keystroke apart (a letter wrong, missing or "
    "extra, or two adjacent letters swapped; names of 3 letters or more): a typo"
)
_PHONETIC = "the same NYSIIS or Metaphone code (a sound-alike spelling: Kathryn, Catherine)"

FIELDS: dict[str, tuple[tuple[Level, str], ...]] = {
    "given_name": (
        (Level.EXACT, "the same given name (weighed by how common it is)"),
        (Level.SWAPPED, _SWAPPED),
        (
            Level.NICKNAME,
            "one is a nickname of the other, or both of one name (lexicon), or so but for one "
            "keystroke in a name of 4 letters or more (Maggei, Margaret)",
        ),
        (Level.CLOSE, _CLOSE),
        (
            Level.PART,
            "one name (3 letters or more) is inside the other (Liv, Olivia), a two-letter "
            "clipping of it (Mo, Mohammed), or a diminutive by truncation: a stem that begins "
            "the other (or its second syllable after a first vowel), last consonant maybe "
            "doubled, -ie, -ey, -y or -i added (Katie, Olly, Livvy, Danny)",
        ),
        (Level.PHONETIC, _PHONETIC),
        (Level.FAIR, "Jaro-Winkler similarity at least 0.85"),
        (Level.DIFFERENT, "none of the above"),
    ),
    "family_name": (
        (Level.EXACT, "the same family name (weighed by how common it is)"),
        (Level.SWAPPED, _SWAPPED),
        (Level.CLOSE, _CLOSE),
        (
            Level.PART,
            "a whole part of a double-barrelled name is the other name or one of its parts",
        ),
        (Level.PHONETIC, _PHONETIC),
        (Level.FAIR, "Jaro-Winkler similarity at least 0.85"),
        (Level.DIFFERENT, "none of the above"),
    ),
    "date_of_birth": (
        (Level.EXACT, "the same date (due date for an unborn child)"),
        (Level.SWAPPED, "day and month swapped"),
        (Level.ONE_EDIT, "one digit of YYYYMMDD different, or two adjacent digits swapped"),
        (Level.NEAR, f"at most {NEAR_DAYS} days apart (none of the above)"),
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

NESTED = frozenset({"postcode"})
"""Fields whose levels nest: a pair at one level agrees on all that each later level asks (the
same postcode is the same sector, the same sector the same district). Training keeps their
weights from rising down the list: a pair that agrees on more is never weaker evidence."""


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
    if similarity >= 0.92 or _one_keystroke(a, b):
        return Level.CLOSE
    if _part(a, b):
        return Level.PART
    if _mistyped_nickname(a, b):
        return Level.NICKNAME
    return _fair_or_sound(a, b, similarity)


def _one_keystroke(a: str, b: str) -> bool:
    """One keystroke apart (a letter wrong, missing, extra, or two adjacent swapped), names of
    three letters or more: Jaro-Winkler alone misses it at the start of a short name (Etephen,
    Stephen; Vaa, Ava)."""
    return min(len(a), len(b)) >= 3 and DamerauLevenshtein.distance(a, b) == 1


def _mistyped_nickname(a: str, b: str) -> bool:
    """One name is one keystroke from a nickname or a full name of the other (Millle for
    Millie, Amelia's; Oloy for Olly, Oliver's; Mujhammad for Muhammad, whose Mo): a typo
    on a nickname is as likely as on any name, and the lexicon knows only the spelled one.
    Names of 4 letters or more, where a keystroke leaves most of the name."""
    for typed, other in ((a, b), (b, a)):
        if len(typed) >= 4 and any(
            abs(len(name) - len(typed)) <= 1
            and DamerauLevenshtein.distance(typed, name, score_cutoff=1) == 1
            for name in _long_variants(other)
        ):
            return True
    return False


@lru_cache(maxsize=1 << 14)
def _long_variants(name: str) -> tuple[str, ...]:
    """The names of 4 letters or more ``one_name`` finds one with ``name``."""
    return tuple(v for v in name_variants(name) if len(v) >= 4)


def _fair_or_sound(a: str, b: str, similarity: float) -> Level:
    if sounds_alike(a, b):
        return Level.PHONETIC
    return Level.FAIR if similarity >= 0.85 else Level.DIFFERENT


@lru_cache(maxsize=1 << 16)
def sounds_alike(a: str, b: str) -> bool:
    """The same NYSIIS or Metaphone code (names of 3 letters or more, whole strings)."""
    if len(a) < 3 or len(b) < 3:
        return False
    a, b = a.replace(" ", ""), b.replace(" ", "")
    return jellyfish.nysiis(a) == jellyfish.nysiis(b) or (
        jellyfish.metaphone(a) == jellyfish.metaphone(b)
    )


@lru_cache(maxsize=1 << 16)
def spelled_alike(a: str, b: str) -> bool:
    """Two spellings of one sound: the same NYSIIS code (Mohammad, Muhammad; Lea, Leah).
    Stricter than ``sounds_alike``: Metaphone drops vowels, so Lily and Lola share a code."""
    return bool(a and b) and jellyfish.nysiis(a.replace(" ", "")) == jellyfish.nysiis(
        b.replace(" ", "")
    )


_AGREE_GIVEN = frozenset({Level.EXACT, Level.NICKNAME, Level.CLOSE})
_AGREE_FAMILY = frozenset({Level.EXACT, Level.CLOSE})


def name_levels(given_a: str, family_a: str, given_b: str, family_b: str) -> tuple[Level, Level]:
    """Given and family name levels, with SWAPPED for both where the names were exchanged."""
    given = given_level(given_a, given_b)
    family = family_level(family_a, family_b)
    if given in _AGREE_GIVEN or family is Level.EXACT:
        return given, family
    crossed = (given_level(given_a, family_b), family_level(family_a, given_b))
    if crossed[0] in _AGREE_GIVEN and crossed[1] in _AGREE_FAMILY:
        return Level.SWAPPED, Level.SWAPPED
    return given, family


def _part(a: str, b: str) -> bool:
    """One name inside the other, a clipping (Mo, Mohammed), or a diminutive by truncation."""
    short, long = sorted((a, b), key=len)
    if len(short) >= 3 and short in long:
        return True
    if len(short) == 2 and long.startswith(short):  # a two-letter clipping: Mo, Jo, Al
        return True
    return any(_hypocoristic(stem, long) for stem in _stems(short))


_VOWELS = frozenset("aeiou")


def _stems(short: str) -> Iterator[str]:
    """Stems of a possible diminutive: -ie, -ey, -y, -i taken off, and a doubled last
    consonant made single (Olly -> ol, Livvy -> liv, Danny -> dan)."""
    for suffix in ("ie", "ey", "y", "i"):
        stem = short.removesuffix(suffix)
        if stem == short or len(stem) < 2:
            continue
        yield stem
        if len(stem) >= 3 and stem[-1] == stem[-2] and stem[-1] not in _VOWELS:
            yield stem[:-1]


def _hypocoristic(stem: str, long: str) -> bool:
    """The stem begins the full name (3 letters, or 2 as a first syllable: Ol-iver), or,
    after a first vowel, is its next syllable of 3 letters or more (o-Liv-ia)."""
    if len(long) <= len(stem) + 1:
        return False
    if long.startswith(stem) and (len(stem) >= 3 or stem[-1] not in _VOWELS):
        return True
    return len(stem) >= 3 and long[0] in _VOWELS and long[1:].startswith(stem)


@lru_cache(maxsize=1 << 16)
def family_level(a: str, b: str) -> Level:
    """Family names: equal, typo, one part of a double-barrelled name, similar, different."""
    if not a or not b:
        return Level.MISSING
    if a == b:
        return Level.EXACT
    similarity = JaroWinkler.similarity(a, b)
    if similarity >= 0.92 or _one_keystroke(a, b):
        return Level.CLOSE
    if " " in a or " " in b:
        parts_a, parts_b = set(a.split(" ")), set(b.split(" "))
        if not parts_a.isdisjoint(parts_b):
            return Level.PART
    return _fair_or_sound(a, b, similarity)


@lru_cache(maxsize=1 << 16)
def dob_level(a: dt.date | None, b: dt.date | None) -> Level:
    """Birth (or due) dates: equal, day and month swapped, one digit off, different."""
    if a is None or b is None:
        return Level.MISSING
    if a == b:
        return Level.EXACT
    if a.day <= 12 and a.replace(month=a.day, day=a.month) == b:
        return Level.SWAPPED
    level = _digits_level(f"{a:%Y%m%d}", f"{b:%Y%m%d}")
    if level is Level.DIFFERENT and abs((a - b).days) <= NEAR_DAYS:
        return Level.NEAR
    return level


@lru_cache(maxsize=1 << 16)
def _digits_level(a: str, b: str) -> Level:
    one_edit = Levenshtein.distance(a, b) == 1 or _adjacent_swap(a, b)
    return Level.ONE_EDIT if one_edit else Level.DIFFERENT


def _adjacent_swap(a: str, b: str) -> bool:
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    if len(diff) != 2 or diff[1] != diff[0] + 1:
        return False
    i, j = diff
    return a[i] == b[j] and a[j] == b[i]


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
