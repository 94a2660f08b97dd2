"""Reviewers' decisions on pairs of records, as linkage applies them: the standing decision
on a pair is the latest by (time, event id); what became of one when applied."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from schemas.childrens_services import ReviewVerdict

__all__ = ["DecideOutcome", "PairDecision", "pair_of"]


def pair_of(a: str, b: str) -> tuple[str, str]:
    """The unordered pair of two record ids, as a key."""
    return (a, b) if a < b else (b, a)


@dataclass(frozen=True)
class PairDecision:
    """A reviewer's decision on a pair of records, ranked by (time, event id)."""

    pair: tuple[str, str]
    """The two record ids, smaller first."""
    verdict: ReviewVerdict
    at: dt.datetime
    event_id: str

    @property
    def rank(self) -> tuple[dt.datetime, str]:
        """The later decision on a pair stands (ties: the greater event id)."""
        return (self.at, self.event_id)


@dataclass(frozen=True)
class DecideOutcome:
    """What became of a decision: whether it holds now, why, and who moved."""

    applied: bool
    why: str
    moved: tuple[tuple[str, str, str], ...] = ()
    """(record id, old person, new person) for records whose person changed."""
