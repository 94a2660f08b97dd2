"""An upper bound on a pair's probabilistic match weight, from the fields cheap to compare.

Most pairs a large block holds are not the same child and weigh far below the review
threshold; the bound rules them out without comparing their names (the costly part:
nicknames, Jaro-Winkler, phonetic codes). It must stay above what
``streams.comparison._probabilistic`` can weigh (a unit test checks it on generated pairs).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from streams.levels import Level, dob_level, postcode_level, sex_level
from streams.model import LinkageModel

if TYPE_CHECKING:
    from streams.comparison import PersonRecord

__all__ = ["Bound"]


class Bound:
    """An upper bound on what ``_probabilistic`` can weigh a pair under one model: the birth
    date, sex and postcode levels as they are, and each name at most the best of its exact
    weight and every other level's weight. A pair it rules out needs no names compared (most
    of the pairs a large block holds)."""

    def __init__(self, model: LinkageModel) -> None:
        self.model = model
        self._best = {
            f: max(w for level, w in model.weights[f].items() if level is not Level.EXACT)
            for f in ("given_name", "family_name")
        }

    def probe(self, a: PersonRecord, floor: float) -> Callable[[PersonRecord], bool]:
        """Whether a record paired with ``a`` may weigh ``floor`` or more, or be held apart
        (twins guard); what depends on ``a`` alone is worked out once."""
        w = self.model.weights
        dobs, postcodes, sexes = w["date_of_birth"], w["postcode"], w["sex"]
        day, home, sex = a.date_of_birth or a.expected_delivery_date, a.postcode, a.sex
        names: list[float] = []  # the names' bounds, worked out for the first pair that needs them

        def may_reach(b: PersonRecord) -> bool:
            other = b.date_of_birth or b.expected_delivery_date
            if other == day and day is not None:  # the twins guard may hold them apart: it
                return True  # needs the date (most pairs a block holds share it)
            dob = dob_level(day, other)
            if dob is Level.DIFFERENT and floor > 0.0:  # the weight is at most 0
                return False
            if not names:
                names.append(self._name("given_name", a.given_name))
                names.append(self._name("family_name", a.family_name))
            bound = dobs[dob] + postcodes[postcode_level(home, b.postcode)]
            bound += sexes[sex_level(sex, b.sex)]
            bound += names[0] if b.given_name else 0.0  # a missing name weighs 0
            return bound + (names[1] if b.family_name else 0.0) >= floor

        return may_reach

    def _name(self, field_name: str, value: str) -> float:
        """The most a name field can weigh: its exact weight or the best other level's."""
        if not value:
            return 0.0
        return max(self.model.exact_weight(field_name, value), self._best[field_name])
