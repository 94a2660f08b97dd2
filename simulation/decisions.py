"""Reviewers' linkage decisions on possible matches, for tests and the golden messages."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Iterator, Sequence

from schemas.childrens_services import LinkageDecision, ReviewVerdict
from simulation.havering import ISA_ID, TENANT

__all__ = ["linkage_decisions"]

_REASONS = (
    "same school and GP, address history matches",
    "different mothers on the birth records",
    "decided in error; the pair needs a second look",
)


def linkage_decisions(
    pairs: Sequence[tuple[str, str]], seed: int, start: dt.datetime
) -> Iterator[LinkageDecision]:
    """A decision on each pair (linkage record ids), a few hours apart from ``start``: mostly
    one person or two, now and then a withdrawal, by one of a few reviewers."""
    rng = random.Random(seed)
    at = start
    for pair in pairs:
        at += dt.timedelta(minutes=rng.randrange(10, 300))
        verdict = rng.choices(list(ReviewVerdict), weights=(5, 4, 1))[0]
        yield LinkageDecision.new(
            pair,
            verdict,
            f"reviewer-{rng.randrange(1, 4)}",
            _REASONS[list(ReviewVerdict).index(verdict)],
            at,
            TENANT,
            ISA_ID,
            uuid.UUID(int=rng.getrandbits(128), version=4),
        )
