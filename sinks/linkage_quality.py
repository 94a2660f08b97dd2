"""Live linkage quality for the MASH manager, as counts only (board-safe).

How the master person index is doing now: how many records wait for a human and for how long,
merges and splits per day, how many records each person has, and how records were linked (by
NHS number, by another identifier, probabilistically, by a reviewer). Read from the sinks'
database when asked (the dashboard's panel, ``mash report``), so it is as current as the links,
audit and review tables. Nothing here names or describes a child.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import Select, func, select

from sinks.store import Store
from sinks.tables import audit, links

__all__ = [
    "METHODS",
    "PERSON_SIZES",
    "LinkageQuality",
    "ReviewQueue",
    "link_method",
    "linkage_quality",
    "size_band",
]

PERSON_SIZES = ("1", "2", "3-4", "5-9", "10+")
"""Bands of records per person."""

_METHODS = (
    ("same NHS number", "NHS number"),
    ("same UPN", "other identifier"),
    ("same agency person id", "other identifier"),
    ("born to the same mother", "mother and due date"),
    ("review", "reviewer's decision"),
    ("probabilistic", "probabilistic"),
)
METHODS = ("NHS number", "other identifier", "mother and due date", "probabilistic")


@dataclass(frozen=True)
class ReviewQueue:
    """Possible matches waiting for a human: how many, and since when the oldest."""

    size: int = 0
    oldest: dt.datetime | None = None


@dataclass(frozen=True)
class LinkageQuality:
    """The index's figures at ``at``."""

    at: dt.datetime
    records: int
    persons: int
    per_person: dict[str, int]
    """band of records per person -> persons"""
    linked_by: dict[str, int]
    """how a record joined its person -> records (a record that started a person: none)"""
    daily: dict[str, tuple[int, int]]
    """day (ISO date, UTC) -> (merges, splits), for the last days, oldest first"""
    queue: ReviewQueue

    @property
    def oldest_waiting(self) -> dt.timedelta | None:
        """How long the oldest possible match has waited."""
        return None if self.queue.oldest is None else self.at - self.queue.oldest


def size_band(records: int) -> str:
    """The band of a person with this many records."""
    if records >= 10:
        return "10+"
    if records >= 5:
        return "5-9"
    if records >= 3:
        return "3-4"
    return str(records)


def link_method(explanation: str) -> str | None:
    """How a link's explanation says the record joined its person (None: it started one)."""
    for prefix, method in _METHODS:
        if explanation.startswith(prefix):
            return method
    return None


def linkage_quality(
    store: Store, queue: ReviewQueue, now: dt.datetime, days: int = 7
) -> LinkageQuality:
    """The figures from the stored links and audit records, with the review queue given."""
    with store.engine.connect() as conn:
        sizes = [int(n) for (n,) in conn.execute(_person_sizes())]
        explanations = Counter(e for (e,) in conn.execute(select(links.c.explanation)))
        since = (now.date() - dt.timedelta(days=days - 1)).isoformat()
        per_day = conn.execute(
            select(audit.c.decision, func.substr(audit.c.at, 1, 10), func.count())
            .where(audit.c.decision.in_(("merged", "split")), audit.c.at >= since)
            .group_by(audit.c.decision, func.substr(audit.c.at, 1, 10))
        ).all()
    return LinkageQuality(
        at=now,
        records=sum(sizes),
        persons=len(sizes),
        per_person=_bands(sizes),
        linked_by=_methods(explanations),
        daily=_daily(((str(d), str(day), int(n)) for d, day, n in per_day), now, days),
        queue=queue,
    )


def _person_sizes() -> Select[int]:
    return select(func.count()).select_from(links).group_by(links.c.person_id)


def _bands(sizes: Iterable[int]) -> dict[str, int]:
    counted = Counter(size_band(n) for n in sizes)
    return {band: counted.get(band, 0) for band in PERSON_SIZES}


def _methods(explanations: Mapping[str, int]) -> dict[str, int]:
    out = dict.fromkeys(METHODS, 0)
    for explanation, n in explanations.items():
        method = link_method(explanation)
        if method is not None:
            out[method] = out.get(method, 0) + n
    return out


def _daily(
    rows: Iterable[tuple[str, str, int]], now: dt.datetime, days: int
) -> dict[str, tuple[int, int]]:
    counts = {(decision, day): n for decision, day, n in rows}
    out = {}
    for back in range(days - 1, -1, -1):
        day = (now.date() - dt.timedelta(days=back)).isoformat()
        out[day] = (counts.get(("merged", day), 0), counts.get(("split", day), 0))
    return out
