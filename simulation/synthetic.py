"""Synthetic agency traffic: invented children, NHS numbers from the 999 test range only."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

from schemas.common import Agency, Child, LawfulBasis, Sex, SpecialCategoryCondition
from schemas.police import IncidentType, PoliceNotification, RiskLevel
from simulation.population import FAMILY, GIVEN, nhs_test_number, random_address

__all__ = ["INVALIDATIONS", "SyntheticChild", "children", "nhs_test_number", "police_notifications"]


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


def children(rng: random.Random, count: int, born_after: dt.date) -> list[SyntheticChild]:
    """Invented children born in the 17 years after ``born_after``."""
    pool = []
    for _ in range(count):
        sex = rng.choice([Sex.FEMALE, Sex.MALE])
        address, postcode = random_address(rng)
        pool.append(
            SyntheticChild(
                given_name=rng.choice(GIVEN[sex]),
                family_name=rng.choice(FAMILY),
                date_of_birth=born_after + dt.timedelta(days=rng.randrange(17 * 365)),
                sex=sex,
                nhs_number=nhs_test_number(rng),
                address=address,
                postcode=postcode,
            )
        )
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
    any appears again, so a large population is all there)."""
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
        reported = occurred + dt.timedelta(minutes=rng.randrange(5, 48 * 60))
        yield _police(rng, n, child, occurred, reported, rng.random() < nhs_share)


def _police(
    rng: random.Random,
    n: int,
    child: SyntheticChild,
    occurred: dt.datetime,
    reported: dt.datetime,
    with_nhs: bool,
) -> PoliceNotification:
    incident = rng.choice(list(IncidentType))
    return PoliceNotification(
        event_id=uuid.UUID(int=rng.getrandbits(128), version=4),
        event_type="police.notification",
        source_agency=Agency.POLICE,
        source_system="MERLIN",
        agency_record_id=f"MER-{occurred:%y}-{n:07d}",
        occurred_at=occurred,
        reported_at=reported,
        tenant="E09000016",
        lawful_basis=LawfulBasis.LAW_ENFORCEMENT,
        special_category_condition=SpecialCategoryCondition.PART3_S35_SCH8,
        purpose="safeguarding of a child coming to police notice",
        isa_id="ISA-HAVERING-MASH-2012",
        reporter_role="police officer",
        reporter_team_id=f"MPS-RM-{rng.randrange(1, 9):02d}",
        subject=Child(
            person_id=None,
            given_name=child.given_name,
            family_name=child.family_name,
            date_of_birth=child.date_of_birth,
            sex=child.sex,
            nhs_number=child.nhs_number if with_nhs else None,
            address=child.address,
            postcode=child.postcode,
        ),
        merlin_ref=f"MER-{occurred:%y}-{n:07d}",
        cris_ref=f"CRIS-{rng.randrange(10**6):06d}" if incident.name.endswith("OFFENCE") else None,
        incident_type=incident,
        child_present=rng.random() < 0.7,
        risk_level=rng.choice(list(RiskLevel)),
    )


# How a valid CSV row is made invalid, and the field the error must name.
INVALIDATIONS: tuple[tuple[str, str, str], ...] = (
    ("subject_nhs_number", "9990000001", "subject.nhs_number"),
    ("subject_postcode", "RM1 3CI", "subject.postcode"),
    ("occurred_at", "2999-01-01T00:00:00+00:00", "occurred_at"),
    ("incident_type", "ALIENS", "incident_type"),
    ("subject_given_name", "", "subject.given_name"),
)
