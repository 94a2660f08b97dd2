"""Name knowledge for linkage: nicknames and diminutives, both ways, from maintained data.

The lexicon is the `nicknames` package (hand-curated English names and their nicknames,
Old Dominion University's list): a name -> its nicknames, and a nickname -> the names it can
stand for (several: "sam" is Samuel's and Samantha's). Two given names are one name when
they are equal, one is a nickname of the other, or both are nicknames of one name ("bill" and
"will"). Two names that merely share a nickname ("amelia" and "emily", both "millie") are not.
"""

from __future__ import annotations

from functools import cache

from nicknames import NickNamer

__all__ = ["canonicals_of", "is_known_name", "name_keys", "nicknames_of", "one_name"]


@cache
def _namer() -> NickNamer:
    return NickNamer()  # reads the package's CSV once


@cache
def name_keys(name: str) -> frozenset[str]:
    """The name itself and every full name it can be a nickname of."""
    return frozenset({name, *_namer().canonicals_of(name)})


def nicknames_of(name: str) -> set[str]:
    """The nicknames and diminutives of a (lower-case) full name."""
    return _namer().nicknames_of(name)


def canonicals_of(name: str) -> set[str]:
    """The full names a (lower-case) nickname can stand for."""
    return _namer().canonicals_of(name)


@cache
def one_name(a: str, b: str) -> bool:
    """The same given name, or names for one full name (nickname or not, whichever side)."""
    return a == b or not name_keys(a).isdisjoint(name_keys(b))


@cache
def is_known_name(name: str) -> bool:
    """A name the lexicon knows, as a full name or as a nickname."""
    namer = _namer()
    return bool(namer.nicknames_of(name) or namer.canonicals_of(name))
