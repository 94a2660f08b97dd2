"""The hub generator's birth-date slips: keyed as a person would slip, never an adult's date,
and drawn apart from every other noise."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import replace

import pytest

from schemas.common import Agency, Child
from simulation import population
from streams.levels import Level, dob_level

ON = dt.date(2013, 1, 10)


def test_a_slip_is_one_digit_or_a_day_and_leaves_a_child_born_before_the_record() -> None:
    rng = random.Random(3)
    earliest = dt.date(ON.year - 18, ON.month, ON.day)
    moved = 0
    for _ in range(3000):
        born = ON - dt.timedelta(days=rng.randrange(1, 18 * 365 - 5))
        slipped = population._slipped(rng, born, ON)
        if slipped == born:
            continue
        moved += 1
        assert earliest < slipped < ON, (born, slipped)
        assert dob_level(born, slipped) in (Level.ONE_EDIT, Level.NEAR), (born, slipped)
    assert moved > 2500  # most draws find a slip that is still a child's date


def _records(seed: int) -> list[Child]:
    pop = population.Population(random.Random(seed), 300, ON)
    return [
        pop.as_recorded(child, agency, ON)
        for child in pop.children
        for agency in (Agency.POLICE, Agency.EDUCATION, Agency.CHILDRENS_SERVICES)
    ]


def test_slips_change_birth_dates_only_at_about_the_agencies_rates(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with_slips = _records(5)
    styles = {a: replace(s, slip_share=0.0) for a, s in population.STYLES.items()}
    monkeypatch.setattr(population, "STYLES", styles)
    without = _records(5)
    assert len(with_slips) == len(without)
    changed = [a for a, b in zip(with_slips, without, strict=True) if a != b]
    assert all(
        a.model_copy(update={"date_of_birth": b.date_of_birth}) == b
        for a, b in zip(with_slips, without, strict=True)
    )  # every other field, and the population itself, as without slips
    slipped = {a.date_of_birth for a in changed}
    share = len(changed) / len(with_slips)
    assert slipped and 0.003 < share < 0.03, share  # 1.5%, 1.5% and 0% of three agencies
    cs = [a for a, b in zip(with_slips[2::3], without[2::3], strict=True) if a != b]
    assert cs == []  # the case system of record keys no slips
