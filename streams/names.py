"""Name knowledge for linkage: nicknames and how common a surname is."""

from __future__ import annotations

__all__ = ["NICKNAMES", "surname_frequency"]

_PAIRS = {
    "ollie": "oliver",
    "alf": "alfie",
    "billy": "william",
    "will": "william",
    "tom": "thomas",
    "tommy": "thomas",
    "joe": "joseph",
    "danny": "daniel",
    "dan": "daniel",
    "matt": "matthew",
    "ben": "benjamin",
    "jake": "jacob",
    "jess": "jessica",
    "lizzie": "elizabeth",
    "beth": "elizabeth",
    "liz": "elizabeth",
    "katie": "katherine",
    "kate": "katherine",
    "abbie": "abigail",
    "sam": "samantha",
    "becky": "rebecca",
    "bella": "isabella",
    "izzy": "isabella",
    "sophie": "sophia",
    "alex": "alexander",
    "freddie": "frederick",
    "fred": "frederick",
    "archie": "archibald",
    "theo": "theodore",
}
NICKNAMES: dict[str, str] = {**_PAIRS, **{full: full for full in _PAIRS.values()}}
"""A nickname (or full name) -> the full name it stands for."""

# Share of people in England and Wales with each surname (approximate, ONS-derived); the
# default is the share of a surname outside this list.
_SURNAMES = {
    "smith": 0.0126,
    "jones": 0.0075,
    "williams": 0.0061,
    "taylor": 0.0059,
    "brown": 0.0058,
    "davies": 0.0049,
    "evans": 0.0040,
    "wilson": 0.0038,
    "thomas": 0.0036,
    "johnson": 0.0035,
    "roberts": 0.0034,
    "robinson": 0.0030,
    "thompson": 0.0029,
    "wright": 0.0029,
    "walker": 0.0028,
    "white": 0.0027,
    "edwards": 0.0026,
    "hughes": 0.0025,
    "green": 0.0025,
    "hall": 0.0024,
    "lewis": 0.0024,
    "harris": 0.0023,
    "clarke": 0.0023,
    "patel": 0.0022,
    "jackson": 0.0021,
    "khan": 0.0015,
    "ahmed": 0.0011,
    "hussain": 0.0010,
    "begum": 0.0010,
    "murphy": 0.0012,
}
_DEFAULT = 0.0004


def surname_frequency(surname: str) -> float:
    """The share of people with this surname (fixed, so linkage does not depend on order)."""
    return _SURNAMES.get(surname, _DEFAULT)
