"""The review queue: possible matches the hub offered, reviewers' standing decisions, and the
pairs still waiting for a decision while their records are in different persons."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, or_, select

from schemas.childrens_services import LinkageDecision, ReviewVerdict
from schemas.hub import PossibleMatch
from sinks.store import Store
from sinks.tables import linkage_decisions, links, possible_matches

__all__ = [
    "QueueItem",
    "ReviewQueue",
    "known_records",
    "review_queue",
    "store_decisions",
    "store_possible_matches",
]


@dataclass(frozen=True)
class QueueItem:
    """A pair waiting for a reviewer: ids, the match weight and why, and since when."""

    record_id: str
    other_record_id: str
    weight: float
    explanation: str
    first_seen: dt.datetime


@dataclass(frozen=True)
class ReviewQueue:
    """The oldest items of the queue, how many there are, and the oldest's first sighting."""

    items: list[QueueItem]
    size: int
    oldest: dt.datetime | None


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds")


def store_possible_matches(store: Store, rows: Sequence[PossibleMatch], now: dt.datetime) -> None:
    """Each offered pair once, keyed by its two record ids (smaller first): the latest weight
    and explanation, and the time it was first seen (kept)."""
    by_pair: dict[tuple[str, str], dict[str, Any]] = {}
    for r in rows:
        a, b = sorted((r.record_id, r.candidate_record_id))
        by_pair[a, b] = {
            "record_id": a,
            "other_record_id": b,
            "weight": r.weight,
            "explanation": r.explanation,
            "first_seen": _utc(now),
            "model_version": r.model_version,
        }
    if not by_pair:
        return
    stmt = store.insert(possible_matches)
    stmt = stmt.on_conflict_do_update(
        index_elements=["record_id", "other_record_id"],
        set_={c: stmt.excluded[c] for c in ("weight", "explanation", "model_version")},
    )
    with store.engine.begin() as conn:
        conn.execute(stmt, list(by_pair.values()))


def store_decisions(store: Store, events: Iterable[LinkageDecision]) -> None:
    """The standing decision per pair: a decision replaces the stored one only if it is later
    (by time, then event id), so the table ends the same whatever order decisions came in."""
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for e in events:
        a, b = sorted((e.record_id, e.other_record_id))
        row = {
            "record_id": a,
            "other_record_id": b,
            "verdict": e.verdict.value,
            "decided_by": e.decided_by,
            "decided_at": _utc(e.occurred_at),
            "event_id": str(e.event_id),
            "reason": e.reason,
        }
        known = latest.get((a, b))
        if known is None or (known["decided_at"], known["event_id"]) < (
            row["decided_at"],
            row["event_id"],
        ):
            latest[a, b] = row
    if not latest:
        return
    t = linkage_decisions
    stmt = store.insert(t)
    ex = stmt.excluded
    later = (t.c.decided_at < ex.decided_at) | (
        (t.c.decided_at == ex.decided_at) & (t.c.event_id < ex.event_id)
    )
    names = ("verdict", "decided_by", "decided_at", "event_id", "reason")
    stmt = stmt.on_conflict_do_update(
        index_elements=["record_id", "other_record_id"],
        set_={c: ex[c] for c in names},
        where=later,
    )
    with store.engine.begin() as conn:
        conn.execute(stmt, list(latest.values()))


def _waiting(*columns: Any) -> Select[Any]:
    """Possible matches with no standing decision whose records are in different persons."""
    pm, d = possible_matches, linkage_decisions
    one, other = links.alias("one"), links.alias("other")
    return (
        select(*columns)
        .select_from(pm)
        .join(one, one.c.record_id == pm.c.record_id)
        .join(other, other.c.record_id == pm.c.other_record_id)
        .outerjoin(
            d, (d.c.record_id == pm.c.record_id) & (d.c.other_record_id == pm.c.other_record_id)
        )
        .where(
            one.c.person_id != other.c.person_id,
            or_(d.c.verdict.is_(None), d.c.verdict == ReviewVerdict.WITHDRAWN.value),
        )
    )


def review_queue(store: Store, limit: int) -> ReviewQueue:
    """The ``limit`` oldest pairs waiting for review, the queue's size and its oldest time."""
    pm = possible_matches
    items = _waiting(
        pm.c.record_id, pm.c.other_record_id, pm.c.weight, pm.c.explanation, pm.c.first_seen
    )
    items = items.order_by(pm.c.first_seen, pm.c.record_id, pm.c.other_record_id).limit(limit)
    with store.engine.connect() as conn:
        rows = conn.execute(items).all()
        size, oldest = conn.execute(_waiting(func.count(), func.min(pm.c.first_seen))).one()
    return ReviewQueue(
        [QueueItem(r[0], r[1], r[2], r[3], dt.datetime.fromisoformat(r[4])) for r in rows],
        int(size),
        dt.datetime.fromisoformat(oldest) if oldest else None,
    )


def known_records(store: Store, ids: Iterable[str]) -> set[str]:
    """Which of ``ids`` are linkage records the hub has linked (in the links table)."""
    wanted = sorted(set(ids))
    with store.engine.connect() as conn:
        query = select(links.c.record_id).where(links.c.record_id.in_(wanted))
        return {r for (r,) in conn.execute(query)}
