"""Name knowledge for linkage: nicknames and diminutives, both ways, from maintained data.

The lexicon is the `nicknames` package (hand-curated English names and their nicknames,
Old Dominion University's list): a name -> its nicknames, and a nickname -> the names it can
stand for (several: "sam" is Samuel's and Samantha's), with a supplement of diminutives in
common British use that the list lacks ("mia" for Amelia, "izzy" for Isabella, "mo" for each
spelling of Muhammad), kept as data in ``streams/models/diminutives.csv``, and a list of
given names common in England and Wales (``streams/models/given-names.txt``), so that the
twins guard knows Harvey and Amelie as names in their own right, not typos of Harry and
Amelia. Two given names are one name when they are equal, one is a nickname of the other, or
both are nicknames of one name ("bill" and "will"). Two names that merely share a nickname
("amelia" and "emily", both "millie") are not.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from functools import cache, lru_cache
from importlib import resources

from nicknames import NickNamer

__all__ = [
    "canonicals_of",
    "is_common_name",
    "is_known_name",
    "name_keys",
    "name_variants",
    "nicknames_of",
    "one_name",
]

SUPPLEMENT = "diminutives.csv"
"""The supplement's file name under ``streams/models``: name, then its diminutives."""
GIVEN_NAMES = "given-names.txt"
"""Common given names (``streams/models``): names in their own right, not typos."""


@cache
def _namer() -> NickNamer:
    return NickNamer()  # reads the package's CSV once


@cache
def _supplement() -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]]]:
    """(name -> its diminutives, diminutive -> the names it stands for) from the supplement."""
    text = resources.files("streams").joinpath("models", SUPPLEMENT).read_text()
    nicks: dict[str, set[str]] = defaultdict(set)
    fulls: dict[str, set[str]] = defaultdict(set)
    for row in csv.DictReader(text.splitlines()):
        name = row["name"].strip().lower()
        for nick in row["diminutives"].lower().split():
            nicks[name].add(nick)
            fulls[nick].add(name)
    return (
        {k: frozenset(v) for k, v in nicks.items()},
        {k: frozenset(v) for k, v in fulls.items()},
    )


@cache
def _given_names() -> frozenset[str]:
    text = resources.files("streams").joinpath("models", GIVEN_NAMES).read_text()
    lines = (line for line in text.splitlines() if not line.startswith("#"))
    return frozenset(name for line in lines for name in line.split())


@lru_cache(maxsize=1 << 14)  # bounded: a worker runs for months on new names
def name_keys(name: str) -> frozenset[str]:
    """The name itself and every full name it can be a nickname of."""
    return frozenset({name, *canonicals_of(name)})


@lru_cache(maxsize=1 << 14)  # bounded: a worker runs for months on new names
def name_variants(name: str) -> frozenset[str]:
    """Every name ``one_name`` finds one with ``name``: its full names, their nicknames, and
    its own nicknames."""
    fulls = name_keys(name)
    return frozenset(fulls.union(*(nicknames_of(full) for full in fulls)))


def nicknames_of(name: str) -> set[str]:
    """The nicknames and diminutives of a (lower-case) full name."""
    return _namer().nicknames_of(name) | _supplement()[0].get(name, frozenset())


def canonicals_of(name: str) -> set[str]:
    """The full names a (lower-case) nickname can stand for."""
    return _namer().canonicals_of(name) | _supplement()[1].get(name, frozenset())


@lru_cache(maxsize=1 << 16)  # bounded: a worker runs for months on new names
def one_name(a: str, b: str) -> bool:
    """The same given name, or names for one full name (nickname or not, whichever side)."""
    return a == b or not name_keys(a).isdisjoint(name_keys(b))


def is_common_name(name: str) -> bool:
    """A name of the common given names' list (``GIVEN_NAMES``): a name in its own right,
    however rare among the records a model was trained on."""
    return name in _given_names()


@lru_cache(maxsize=1 << 14)  # bounded: a worker runs for months on new names
def is_known_name(name: str) -> bool:
    """A name the lexicon knows, as a full name or as a nickname, or a common given name."""
    return name in _given_names() or bool(nicknames_of(name) or canonicals_of(name))
