"""What the analysts' screens show, read from the sinks' store: the queue, an episode, a
person. The queue shows ids, codes and times only; an episode and a person show who each
linked agency record says the child is (the sinks' ``child_identities``), for the analyst to
compare field by field."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from schemas.hub import EpisodeSnapshot
from sinks.identities import Identity, read_identities
from sinks.store import Store
from sinks.tables import episodes, facts, links

__all__ = ["Contribution", "EpisodeView", "Identity", "LinkedRecord", "QueueRow", "Screens"]


@dataclass(frozen=True)
class QueueRow:
    """One open episode on the queue."""

    episode_id: str
    person_id: str
    rag: str | None
    due_at: dt.datetime | None
    breached: bool
    agencies: tuple[str, ...]
    opened_at: dt.datetime
    tenants: tuple[str, ...] = ()

    def left(self, now: dt.datetime) -> str:
        """Time left on the RAG clock, or how long ago it breached."""
        if self.due_at is None:
            return "no clock"
        seconds = int((self.due_at - now).total_seconds())
        hours, minutes = divmod(abs(seconds) // 60, 60)
        text = f"{hours}h {minutes:02d}m"
        return f"breached {text} ago" if seconds < 0 else f"{text} left"


@dataclass(frozen=True)
class Contribution:
    """One agency's record in an episode, with its provenance."""

    agency: str
    event_type: str
    record_id: str
    event_id: str
    occurred_at: dt.datetime
    reported_at: str | None


@dataclass(frozen=True)
class LinkedRecord:
    """A record linked to a person: with what weight, and why."""

    record_id: str
    event_id: str
    event_type: str
    weight: float
    explanation: str


@dataclass(frozen=True)
class EpisodeView:
    """An episode's page."""

    snapshot: EpisodeSnapshot
    contributions: list[Contribution]
    linked: list[LinkedRecord]
    identities: list[Identity]


class Screens:
    """Reads the store for the console's screens."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine

    def queue(
        self,
        now: dt.datetime,
        rag: str | None = None,
        agency: str | None = None,
        tenant: str | None = None,
    ) -> list[QueueRow]:
        """Open (undecided) episodes, breached first, then by time left; filtered by RAG
        rating, notifying agency and tenant (an episode's records' tenants)."""
        rows = [
            QueueRow(
                s.episode_id,
                s.person_id,
                s.rag_rating,
                s.due_at,
                s.breached or (s.due_at is not None and s.due_at <= now),
                s.agencies,
                s.opened_at,
                s.tenants,
            )
            for s in self._snapshots()
            if s.decided_at is None
            and (rag is None or s.rag_rating == rag)
            and (agency is None or agency in s.agencies)
            and (tenant is None or tenant in s.tenants)
        ]
        far = dt.datetime.max.replace(tzinfo=dt.UTC)
        return sorted(rows, key=lambda r: (not r.breached, r.due_at or far, r.episode_id))

    def episode(self, episode_id: str) -> EpisodeView | None:
        """An episode with its contributions and its child's linked records."""
        query = select(episodes.c.snapshot).where(episodes.c.episode_id == episode_id)
        with self.engine.connect() as conn:
            found = conn.execute(query).scalar()
        if found is None:
            return None
        snapshot = EpisodeSnapshot.model_validate_json(found)
        reported = self._reported([e.event_id for e in snapshot.events])
        contributions = [
            Contribution(
                e.agency,
                e.event_type,
                e.agency_record_id,
                e.event_id,
                e.occurred_at,
                reported.get(e.event_id),
            )
            for e in snapshot.events
        ]
        linked = self.person(snapshot.person_id)
        return EpisodeView(snapshot, contributions, linked, self.identities(linked))

    def person(self, person_id: str) -> list[LinkedRecord]:
        """Every record linked to a person (empty if none)."""
        query = select(links).where(links.c.person_id == person_id).order_by(links.c.record_id)
        with self.engine.connect() as conn:
            return [
                LinkedRecord(r.record_id, r.event_id, r.event_type, r.weight, r.explanation)
                for r in conn.execute(query)
            ]

    def identities(self, linked: Sequence[LinkedRecord]) -> list[Identity]:
        """Who each linked record says the child is (records the sinks hold no identity of,
        e.g. written before identities were kept, are left out), in the records' order."""
        found = read_identities(self.store, [r.record_id for r in linked])
        return [found[r.record_id] for r in linked if r.record_id in found]

    def person_episodes(self, person_id: str) -> list[str]:
        """The ids of a person's episodes."""
        query = select(episodes.c.episode_id).where(episodes.c.person_id == person_id)
        with self.engine.connect() as conn:
            return sorted(conn.execute(query).scalars())

    def agencies(self) -> list[str]:
        """Every agency on an open episode (the queue's filter)."""
        return sorted({a for s in self._snapshots() if s.decided_at is None for a in s.agencies})

    def tenants(self) -> list[str]:
        """Every tenant on an open episode (the queue's filter)."""
        return sorted({t for s in self._snapshots() if s.decided_at is None for t in s.tenants})

    def _snapshots(self) -> list[EpisodeSnapshot]:
        with self.engine.connect() as conn:
            return [
                EpisodeSnapshot.model_validate_json(s)
                for (s,) in conn.execute(select(episodes.c.snapshot))
            ]

    def _reported(self, event_ids: Sequence[str]) -> dict[str, str]:
        query = select(facts.c.event_id, facts.c.reported_at).where(
            facts.c.event_id.in_(list(event_ids))
        )
        with self.engine.connect() as conn:
            return {e: r for e, r in conn.execute(query)}
