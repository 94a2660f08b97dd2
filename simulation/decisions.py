"""Reviewers' linkage decisions on possible matches, for tests and the golden messages."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Iterator, Sequence

from schemas.childrens_services import LinkageDecision, ReviewVerdict
from simulation.havering import ISA_ID, TENANT

__all__ = ["corrected_decisions", "linkage_decisions"]

_REASONS = (
    "same school and GP, address history matches",
    "different mothers on the birth records",
    "decided in error; the pair needs a second look",
)
_UNDO = {
    ReviewVerdict.SAME_PERSON: (ReviewVerdict.NOT_SAME_PERSON, ReviewVerdict.WITHDRAWN),
    ReviewVerdict.NOT_SAME_PERSON: (ReviewVerdict.SAME_PERSON, ReviewVerdict.WITHDRAWN),
    ReviewVerdict.WITHDRAWN: (ReviewVerdict.SAME_PERSON, ReviewVerdict.NOT_SAME_PERSON),
}
"""The verdicts that undo a verdict."""


def _decision(
    pair: tuple[str, str], verdict: ReviewVerdict, at: dt.datetime, rng: random.Random
) -> LinkageDecision:
    return LinkageDecision.new(
        pair,
        verdict,
        f"reviewer-{rng.randrange(1, 4)}",
        _REASONS[list(ReviewVerdict).index(verdict)],
        at,
        TENANT,
        ISA_ID,
        uuid.UUID(int=rng.getrandbits(128), version=4),
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
        yield _decision(pair, verdict, at, rng)


def corrected_decisions(
    same: Sequence[tuple[str, str]],
    apart: Sequence[tuple[str, str]],
    seed: int,
    start: dt.datetime,
) -> Iterator[LinkageDecision]:
    """SAME_PERSON on each pair of ``same`` and NOT_SAME_PERSON on each of ``apart``, a few
    hours apart from ``start``; then, later, every other pair decided again by a verdict that
    undoes the first (the opposite one, or a withdrawal)."""
    rng = random.Random(seed)
    at = start
    first = [(p, ReviewVerdict.SAME_PERSON) for p in same]
    first += [(p, ReviewVerdict.NOT_SAME_PERSON) for p in apart]
    for pair, verdict in first:
        at += dt.timedelta(minutes=rng.randrange(10, 300))
        yield _decision(pair, verdict, at, rng)
    for pair, verdict in first[::2]:
        at += dt.timedelta(minutes=rng.randrange(10, 300))
        yield _decision(pair, rng.choice(_UNDO[verdict]), at, rng)
