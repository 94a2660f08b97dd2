"""Live linkage quality for the MASH manager, as counts only (board-safe).

How the master person index is doing: how many records wait for a human and for how long,
merges and splits per day, how many records each person has, and how records were linked (by
NHS number, by another identifier, probabilistically, by a reviewer). Computed by the sinks
whenever they refresh the board's figures, from the links, audit and review tables, and stored
as one row (``linkage_summary``), so the board's views read aggregates only. Nothing here names
or describes a child.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Select, func, select

from sinks.reviews import ReviewQueue, review_queue
from sinks.store import Store
from sinks.tables import audit, linkage_summary, links

__all__ = [
    "METHODS",
    "PERSON_SIZES",
    "LinkageQuality",
    "link_method",
    "linkage_quality",
    "refresh_linkage_quality",
    "size_band",
    "stored_linkage_quality",
]

PERSON_SIZES = ("1", "2", "3-4", "5-9", "10+")
"""Bands of records per person."""

_METHODS = (
    ("same NHS number", "NHS number"),
    ("same UPN", "other identifier"),
    ("same agency person id", "other identifier"),
    ("born to the same mother", "mother and due date"),
    ("one person by a reviewer", "reviewer's decision"),
    ("probabilistic", "probabilistic"),
)
METHODS = (
    "NHS number",
    "other identifier",
    "mother and due date",
    "probabilistic",
    "reviewer's decision",
)


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

    def oldest_waiting(self, now: dt.datetime | None = None) -> dt.timedelta | None:
        """How long the oldest possible match has waited (by ``now``: default when computed)."""
        return None if self.queue.oldest is None else (now or self.at) - self.queue.oldest

    def to_json(self) -> str:
        """The stored form."""
        return json.dumps(
            {
                "at": self.at.isoformat(),
                "records": self.records,
                "persons": self.persons,
                "per_person": self.per_person,
                "linked_by": self.linked_by,
                "daily": self.daily,
                "queue": [self.queue.size, self.queue.oldest and self.queue.oldest.isoformat()],
            }
        )

    @classmethod
    def from_json(cls, text: str) -> LinkageQuality:
        """The inverse of ``to_json``."""
        data = json.loads(text)
        size, oldest = data["queue"]
        return cls(
            at=dt.datetime.fromisoformat(data["at"]),
            records=data["records"],
            persons=data["persons"],
            per_person=data["per_person"],
            linked_by=data["linked_by"],
            daily={day: (m, s) for day, (m, s) in data["daily"].items()},
            queue=ReviewQueue([], size, dt.datetime.fromisoformat(oldest) if oldest else None),
        )


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


def linkage_quality(store: Store, now: dt.datetime, days: int = 7) -> LinkageQuality:
    """The figures from the stored links, audit records and review queue."""
    with store.engine.connect() as conn:
        sizes = [int(n) for (n,) in conn.execute(_person_sizes())]
        explanations = Counter(e for (e,) in conn.execute(select(links.c.explanation)))
        since = (now.date() - dt.timedelta(days=days - 1)).isoformat()
        changes = conn.execute(
            select(audit.c.decision, audit.c.at, audit.c.event_id, audit.c.record)
            .where(audit.c.decision.in_(("merged", "split")), audit.c.at >= since)
            .order_by(audit.c.at)
        ).all()
    return LinkageQuality(
        at=now,
        records=sum(sizes),
        persons=len(sizes),
        per_person=_bands(sizes),
        linked_by=_methods(explanations),
        daily=_daily(_per_day(changes), now, days),
        queue=review_queue(store, limit=0),
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


def _per_day(changes: Iterable[Sequence[str]]) -> list[tuple[str, str, int]]:
    """(decision, day, count) of merges and splits, each change counted once: the audit is
    written at least once, and a batch a crash cut short is audited again at other positions
    of its chain (the same decision on the same event with the same facts), on the day first
    audited."""
    first: dict[tuple[str, str, str], str] = {}
    for decision, at, event_id, record in changes:  # in time order: the first day is kept
        facts = json.dumps(json.loads(record).get("facts"), sort_keys=True)
        first.setdefault((decision, event_id, facts), at[:10])
    counted = Counter((decision, day) for (decision, _, _), day in first.items())
    return [(decision, day, n) for (decision, day), n in counted.items()]


def _daily(
    rows: Iterable[tuple[str, str, int]], now: dt.datetime, days: int
) -> dict[str, tuple[int, int]]:
    counts = {(decision, day): n for decision, day, n in rows}
    out = {}
    for back in range(days - 1, -1, -1):
        day = (now.date() - dt.timedelta(days=back)).isoformat()
        out[day] = (counts.get(("merged", day), 0), counts.get(("split", day), 0))
    return out


def refresh_linkage_quality(store: Store, now: dt.datetime) -> LinkageQuality:
    """Compute the figures and store them as the one summary row."""
    quality = linkage_quality(store, now)
    row = {"id": 1, "computed_at": now.isoformat(), "data": quality.to_json()}
    stmt = store.insert(linkage_summary).values(row)
    stmt = stmt.on_conflict_do_update(
        index_elements=["id"], set_={"computed_at": row["computed_at"], "data": row["data"]}
    )
    with store.engine.begin() as conn:
        conn.execute(stmt)
    return quality


def stored_linkage_quality(store: Store) -> LinkageQuality | None:
    """The figures as the sinks last stored them (None: not yet)."""
    with store.engine.connect() as conn:
        data = conn.execute(select(linkage_summary.c.data)).scalar()
    return None if data is None else LinkageQuality.from_json(data)
