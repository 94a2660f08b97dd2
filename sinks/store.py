"""The hub's database: SQLite by default, PostgreSQL for deployment, written idempotently.

Every write is an upsert keyed by what the row is about, so a replayed or duplicated
snapshot leaves the tables exactly as they were.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    func,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from mash.errors import SinkError
from schemas.hub import EpisodeSnapshot, Link, LinkOutcomeKind
from schemas.metrics import ContactCount

__all__ = ["ContactPivot", "ContactTotal", "EpisodeChange", "Store"]

metadata = MetaData()

contact_counts = Table(
    "contact_counts",
    metadata,
    Column("agency", String(32), primary_key=True),
    Column("month", String(7), primary_key=True),
    Column("source_partition", Integer, primary_key=True),
    Column("contacts", BigInteger, nullable=False),
)

links = Table(
    "links",
    metadata,
    Column("record_id", String(80), primary_key=True),
    Column("event_id", String(40), nullable=False, index=True),
    Column("event_type", String(64), nullable=False),
    Column("person_id", String(80), nullable=False, index=True),
    Column("weight", Float, nullable=False),
    Column("explanation", Text, nullable=False),
    Column("version", BigInteger, nullable=False),
)

episodes = Table(
    "episodes",
    metadata,
    Column("episode_id", String(40), primary_key=True),
    Column("person_id", String(80), nullable=False, index=True),
    Column("snapshot", Text, nullable=False),
    Column("version", BigInteger, nullable=False),
    Column("source_partition", Integer, nullable=False),
)


@dataclass(frozen=True)
class EpisodeChange:
    """One message of the episodes topic, as the sink applies it."""

    episode_id: str
    snapshot: EpisodeSnapshot | None
    version: int
    partition: int
    sweep: bool = False


@dataclass(frozen=True)
class ContactTotal:
    """Contacts from one agency in one month, over every partition."""

    agency: str
    month: str
    contacts: int


@dataclass(frozen=True)
class ContactPivot:
    """Contacts laid out for the board: a row per month, a column per agency, with totals."""

    agencies: list[str]
    rows: list[tuple[str, list[int]]]
    """(month, contacts per agency then the month's total)"""
    totals: list[int]
    """contacts per agency over all months, then the grand total"""

    @classmethod
    def of(cls, totals: Sequence[ContactTotal]) -> ContactPivot:
        """Pivot agency-month totals."""
        months = sorted({t.month for t in totals})
        agencies = sorted({t.agency for t in totals})
        cell = {(t.agency, t.month): t.contacts for t in totals}
        rows = []
        for month in months:
            values = [cell.get((a, month), 0) for a in agencies]
            rows.append((month, [*values, sum(values)]))
        by_agency = [sum(cell.get((a, m), 0) for m in months) for a in agencies]
        return cls(agencies, rows, [*by_agency, sum(by_agency)])


class Store:
    """The hub's tables in one database."""

    def __init__(self, url: str) -> None:
        options: dict[str, Any] = {}
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
            options["connect_args"] = {"timeout": 30}  # wait for other workers' writes
        self.engine: Engine = create_engine(url, **options)
        for attempt in range(3):  # workers starting together race to create the tables
            try:
                metadata.create_all(self.engine)
                break
            except SQLAlchemyError as exc:
                if attempt == 2:
                    raise SinkError(f"cannot open the database: {exc}") from exc
                time.sleep(0.5)

    def close(self) -> None:
        """Release the connection pool."""
        self.engine.dispose()

    def upsert_contact_counts(self, rows: Sequence[ContactCount]) -> None:
        """Write the latest absolute count of each cell; the last snapshot of a key wins."""
        if not rows:
            return
        latest = {row.key: row for row in rows}
        values = [
            {
                "agency": r.agency,
                "month": r.month,
                "source_partition": r.partition,
                "contacts": r.contacts,
            }
            for r in latest.values()
        ]
        insert = postgresql.insert if self.engine.dialect.name == "postgresql" else sqlite.insert
        stmt = insert(contact_counts).values(values)
        stmt = stmt.on_conflict_do_update(
            index_elements=["agency", "month", "source_partition"],
            set_={"contacts": stmt.excluded.contacts},
        )
        with self.engine.begin() as conn:
            conn.execute(stmt)

    def _upsert(
        self,
        table: Table,
        key: str,
        rows: Sequence[dict[str, Any]],
        columns: Sequence[str] | None = None,
    ) -> None:
        """Insert rows, or update ``columns`` (default: all) where the row is not newer."""
        if not rows:
            return
        latest = list({row[key]: row for row in rows}.values())
        insert = postgresql.insert if self.engine.dialect.name == "postgresql" else sqlite.insert
        stmt = insert(table).values(latest)
        names = columns or [c.name for c in table.columns if c.name != key]
        stmt = stmt.on_conflict_do_update(
            index_elements=[key],
            set_={name: stmt.excluded[name] for name in names},
            # a later version replaces an earlier one, never the reverse
            where=table.c.version <= stmt.excluded.version,
        )
        with self.engine.begin() as conn:
            conn.execute(stmt)

    def upsert_links(self, rows: Sequence[Link]) -> None:
        """The latest link of each record; a re-issue changes only the person."""
        for reissued in (False, True):
            batch = [r for r in rows if (r.outcome is LinkOutcomeKind.REISSUED) == reissued]
            self._upsert(
                links,
                "record_id",
                [
                    {
                        "record_id": r.record_id,
                        "event_id": r.event_id,
                        "event_type": r.event_type,
                        "person_id": r.person_id,
                        "weight": r.weight,
                        "explanation": r.explanation,
                        "version": r.version,
                    }
                    for r in batch
                ],
                ["person_id", "version"] if reissued else None,
            )

    def apply_episodes(self, changes: Sequence[EpisodeChange]) -> None:
        """Apply episode changes in order: a snapshot, a deletion, or a sweep of a partition
        (every row of it older than the sweep's version goes: a restart republished the rest).
        """
        for change in changes:
            if change.sweep:
                with self.engine.begin() as conn:
                    conn.execute(
                        episodes.delete().where(
                            (episodes.c.source_partition == change.partition)
                            & (episodes.c.version < change.version)
                        )
                    )
            elif change.snapshot is None:
                with self.engine.begin() as conn:
                    conn.execute(
                        episodes.delete().where(
                            (episodes.c.episode_id == change.episode_id)
                            & (episodes.c.version <= change.version)
                        )
                    )
            else:
                self._upsert(
                    episodes,
                    "episode_id",
                    [
                        {
                            "episode_id": change.episode_id,
                            "person_id": change.snapshot.person_id,
                            "snapshot": change.snapshot.model_dump_json(),
                            "version": change.version,
                            "source_partition": change.partition,
                        }
                    ],
                )

    def episode_snapshots(self) -> list[EpisodeSnapshot]:
        """Every current episode."""
        with self.engine.connect() as conn:
            return [
                EpisodeSnapshot.model_validate_json(s)
                for (s,) in conn.execute(select(episodes.c.snapshot))
            ]

    def links_export(self) -> Iterator[dict[str, Any]]:
        """One row per linked record: event, person, episode and match weight."""
        episode_of = {e.event_id: s.episode_id for s in self.episode_snapshots() for e in s.events}
        query = select(links).order_by(links.c.event_id, links.c.record_id)
        with self.engine.connect() as conn:
            for row in conn.execute(query).mappings():
                yield {
                    "event_id": row["event_id"],
                    "record_id": row["record_id"],
                    "person_id": row["person_id"],
                    "episode_id": episode_of.get(row["event_id"]),
                    "match_weight": round(row["weight"], 3),
                }

    def contact_totals(self) -> list[ContactTotal]:
        """Contacts by agency and month, summed over partitions, in order."""
        query = (
            select(
                contact_counts.c.agency, contact_counts.c.month, func.sum(contact_counts.c.contacts)
            )
            .group_by(contact_counts.c.agency, contact_counts.c.month)
            .order_by(contact_counts.c.agency, contact_counts.c.month)
        )
        with self.engine.connect() as conn:
            return [ContactTotal(a, m, int(n)) for a, m, n in conn.execute(query)]
