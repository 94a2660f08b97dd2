"""Synthetic agency traffic: invented children, NHS numbers from the 999 test range only."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass

from schemas.common import Child, Sex
from schemas.police import PoliceNotification
from simulation.names import FAMILY, GIVEN
from simulation.police import incident_type, police_notification
from simulation.population import nhs_test_number, random_address

__all__ = ["INVALIDATIONS", "SyntheticChild", "children", "nhs_test_number", "police_notifications"]

_NHS_TEST_NUMBERS = 900_000  # 10**6 in the range, less those whose check digit would be 10


@dataclass(frozen=True)
class SyntheticChild:
    """An invented child and the household they live in."""

    given_name: str
    family_name: str
    date_of_birth: dt.date
    sex: Sex
    nhs_number: str
    address: str
    postcode: str

    def recorded(self, with_nhs: bool) -> Child:
        """The child as an agency records them (with or without their NHS number)."""
        return Child(
            person_id=None,
            given_name=self.given_name,
            family_name=self.family_name,
            date_of_birth=self.date_of_birth,
            sex=self.sex,
            nhs_number=self.nhs_number if with_nhs else None,
            address=self.address,
            postcode=self.postcode,
        )


def children(rng: random.Random, count: int, born_after: dt.date) -> list[SyntheticChild]:
    """Invented children born in the 17 years after ``born_after``, no two with one NHS number."""
    if count > _NHS_TEST_NUMBERS:
        raise ValueError(f"the 999 test range holds {_NHS_TEST_NUMBERS:,} NHS numbers at most")
    pool: list[SyntheticChild] = []
    issued: set[str] = set()
    while len(pool) < count:
        sex = rng.choice([Sex.FEMALE, Sex.MALE])
        address, postcode = random_address(rng)
        child = SyntheticChild(
            given_name=rng.choice(GIVEN[sex]),
            family_name=rng.choice(FAMILY),
            date_of_birth=born_after + dt.timedelta(days=rng.randrange(17 * 365)),
            sex=sex,
            nhs_number=nhs_test_number(rng),
            address=address,
            postcode=postcode,
        )
        if child.nhs_number not in issued:
            issued.add(child.nhs_number)
            pool.append(child)
    return pool


def police_notifications(
    count: int,
    seed: int,
    start: dt.date,
    end: dt.date,
    nhs_share: float = 0.3,
    children_count: int | None = None,
) -> Iterator[PoliceNotification]:
    """``count`` valid police notifications reported between ``start`` and ``end``, about
    ``children_count`` children (default a third of ``count``; given, each appears once before
    any appears again, so a large population is all there); police know the NHS number of
    ``nhs_share`` of them. Made by the calibrated year's rules (`simulation.police`)."""
    rng = random.Random(seed)
    span_s = int(
        (
            dt.datetime.combine(end, dt.time()) - dt.datetime.combine(start, dt.time())
        ).total_seconds()
    )
    pool = children(rng, max(1, children_count or count // 3), start - dt.timedelta(days=17 * 365))
    for n in range(count):
        child = pool[n] if children_count and n < len(pool) else rng.choice(pool)
        occurred = dt.datetime.combine(start, dt.time(), dt.UTC) + dt.timedelta(
            seconds=rng.randrange(span_s)
        )
        subject = child.recorded(with_nhs=rng.random() < nhs_share)
        yield police_notification(rng, n, subject, occurred, incident_type(rng))


# How a valid CSV row is made invalid, and the field the error must name.
INVALIDATIONS: tuple[tuple[str, str, str], ...] = (
    ("subject_nhs_number", "9990000001", "subject.nhs_number"),
    ("subject_postcode", "RM1 3CI", "subject.postcode"),
    ("occurred_at", "2999-01-01T00:00:00+00:00", "occurred_at"),
    ("incident_type", "ALIENS", "incident_type"),
    ("subject_given_name", "", "subject.given_name"),
)
