"""The hub's database: SQLite by default, PostgreSQL for deployment, written idempotently.

Every write is an upsert keyed by what the row is about, so a replayed or duplicated
snapshot leaves the tables exactly as they were.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import time
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import (
    Table,
    bindparam,
    create_engine,
    event,
    func,
    inspect,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from plumbing.errors import SinkError
from schemas.audit import AuditRecord
from schemas.hub import PERSON_ONLY, EpisodeSnapshot, Link, LinkOutcomeKind
from schemas.metrics import ContactCount
from sinks.board import Figure
from sinks.facts import Fact
from sinks.fences import Fence, Fences
from sinks.figures import EpisodeFlow, Provenance
from sinks.tables import (
    audit,
    contact_counts,
    episode_fences,
    episode_tombstones,
    episodes,
    facts,
    figures,
    figures_provenance,
    links,
    metadata,
    missing_columns,
    upgrade,
)

__all__ = ["ContactTotal", "EpisodeChange", "Fenced", "Store"]


@dataclass(frozen=True)
class EpisodeChange:
    """One message of the episodes topic, as the sink applies it."""

    episode_id: str
    snapshot: EpisodeSnapshot | None
    version: int
    partition: int
    sweep: bool = False
    fence: int | None = None
    """Set on a linkage owner's fence (``sinks.fences``; ``version`` is its epoch): the
    highest version of the linkage table its restore read."""


@dataclass
class Fenced:
    """What fences kept out of the store in one batch of episode changes."""

    dropped: int = 0
    """Changes of an older owner that arrived after a newer owner's fence."""
    deleted: int = 0
    """Rows of an older owner stored before a newer owner's fence arrived."""
    stale: int = 0
    """Snapshots not newer than their episode's deletion (an older owner's, late)."""


@dataclass(frozen=True)
class ContactTotal:
    """Contacts from one agency in one month, over every partition."""

    agency: str
    month: str
    contacts: int


def _sqlite_wal(connection: Any, _: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds")


def _latest_per_record(rows: Sequence[Fact]) -> list[Fact]:
    """Within one batch: per record, the latest report whose content is new."""
    latest: dict[str, Fact] = {}
    for fact in rows:  # in order of reporting
        known = latest.get(fact.record_key)
        if known is None or known.digest != fact.digest:
            latest[fact.record_key] = fact
    return list(latest.values())


def _person_only(link: Link) -> bool:
    """A re-issue that restates only the record's person (``PERSON_ONLY``)."""
    return link.outcome is LinkOutcomeKind.REISSUED and link.explanation == PERSON_ONLY


def _missing(engine: Engine, exc: SQLAlchemyError) -> str:
    """Why a database could not be opened: the tables or columns it lacks, if a role
    without CREATE or ALTER found any missing (a database made by an earlier version), or the
    error itself."""
    try:
        tables = sorted(set(metadata.tables) - set(inspect(engine).get_table_names()))
        columns = [] if tables else [f"{t}.{c}" for t, c in missing_columns(engine)]
    except SQLAlchemyError:
        tables, columns = [], []
    if not tables and not columns:
        return str(exc).splitlines()[0]
    lacks = f"the tables {', '.join(tables)}" if tables else f"the columns {', '.join(columns)}"
    return (
        f"it lacks {lacks} of this version: run `mash db roles` with the owner's "
        "MASH_DATABASE_URL (it makes them and grants each role its share) before starting "
        "the processes"
    )


class Store:
    """The hub's tables in one database."""

    def __init__(self, url: str) -> None:
        options: dict[str, Any] = {}
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
            options["connect_args"] = {"timeout": 30}  # wait for other workers' writes
        self.engine: Engine = create_engine(url, **options)
        if self.engine.dialect.name == "sqlite":
            # write-ahead log: readers (report, dashboard, the figures) never block the sinks'
            # writers, and a commit appends to the log instead of rewriting pages
            event.listen(self.engine, "connect", _sqlite_wal)
        for attempt in range(3):  # workers starting together race to create the tables
            try:
                metadata.create_all(self.engine)
                upgrade(self.engine)
                break
            except SQLAlchemyError as exc:
                if attempt == 2:
                    raise SinkError(
                        f"cannot open the database: {_missing(self.engine, exc)}"
                    ) from exc
                time.sleep(0.5)

    @property
    def insert(self) -> Any:
        """The dialect's INSERT, the one with ON CONFLICT (upserts)."""
        return postgresql.insert if self.engine.dialect.name == "postgresql" else sqlite.insert

    def close(self) -> None:
        """Release the connection pool."""
        self.engine.dispose()

    def upsert_contact_counts(self, rows: Sequence[ContactCount]) -> None:
        """Write the absolute count of each cell. A cell only ever grows (intake counts fresh
        events), so the highest count wins: a replayed or late snapshot, or one from a sinks
        process that lost its partitions mid-batch, never takes a count back."""
        if not rows:
            return
        latest: dict[str, ContactCount] = {}
        for row in rows:
            known = latest.get(row.key)
            if known is None or known.contacts <= row.contacts:
                latest[row.key] = row
        values = [
            {
                "agency": r.agency,
                "month": r.month,
                "source_partition": r.partition,
                "contacts": r.contacts,
            }
            for r in latest.values()
        ]
        greatest = func.greatest if self.engine.dialect.name == "postgresql" else func.max
        stmt = self.insert(contact_counts).values(values)
        stmt = stmt.on_conflict_do_update(
            index_elements=["agency", "month", "source_partition"],
            set_={"contacts": greatest(contact_counts.c.contacts, stmt.excluded.contacts)},
        )
        with self.engine.begin() as conn:
            conn.execute(stmt)

    def _upsert(
        self,
        table: Table,
        key: str,
        rows: Sequence[dict[str, Any]],
        columns: Sequence[str] | None = None,
        conn: Connection | None = None,
    ) -> None:
        """Insert rows, or update ``columns`` (default: all) where the row is not newer."""
        if not rows:
            return
        by_key: dict[Any, dict[str, Any]] = {}
        for row in rows:  # within a batch too, the highest version wins (else the last)
            known = by_key.get(row[key])
            if known is None or known.get("version", 0) <= row.get("version", 0):
                by_key[row[key]] = row
        latest = list(by_key.values())
        # one statement for every row (executemany): compiled once and cached, where a
        # multi-row VALUES would be compiled afresh, a bind parameter per cell, every batch
        stmt = self.insert(table)
        names = columns or [c.name for c in table.columns if c.name != key]
        newer = (
            # a later version replaces an earlier one, never the reverse
            table.c.version <= stmt.excluded.version
            if "version" in table.c
            # a fact: a correction (new content, reported later) replaces; a repeat does not
            else (table.c.reported_at < stmt.excluded.reported_at)
            & (table.c.digest != stmt.excluded.digest)
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[key], set_={name: stmt.excluded[name] for name in names}, where=newer
        )
        if conn is not None:
            conn.execute(stmt, latest)
            return
        with self.engine.begin() as own:
            own.execute(stmt, latest)

    def upsert_rows(self, table: Table, key: str, rows: Sequence[dict[str, Any]]) -> None:
        """Upsert rows of a table keyed by ``key`` (a versioned table: the later version
        wins; else a correction, new content reported later, replaces)."""
        self._upsert(table, key, rows)

    def upsert_links(self, rows: Sequence[Link]) -> None:
        """The latest link of each record; a re-issue that restates only the person
        (``PERSON_ONLY``) keeps the weight and explanation stored.

        A record's links in one batch are folded first, in version order and, within a
        version, in the order sent (one hub batch can move a record twice: a re-issue of its
        person only, then one that says it is alone, or the reverse): a re-issue of the person
        only after a full link keeps that link's weight and explanation. So the stored row is
        the last one sent, whichever kind each was."""
        latest: dict[str, Link] = {}
        for link in sorted(rows, key=lambda r: r.version):  # stable: as sent within a version
            known = latest.get(link.record_id)
            if known is not None and _person_only(link) and not _person_only(known):
                link = known.model_copy(
                    update={"person_id": link.person_id, "version": link.version}
                )
            latest[link.record_id] = link
        for reissued in (False, True):
            batch = [r for r in latest.values() if _person_only(r) == reissued]
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
                        "model_version": r.model_version or None,
                    }
                    for r in batch
                ],
                ["person_id", "version"] if reissued else None,
            )

    def upsert_facts(self, rows: Sequence[Fact]) -> None:
        """One row per agency record: the first report, or the latest correction of it."""
        ordered = sorted(rows, key=lambda f: f.reported_at)  # within a batch the latest wins
        self._upsert(
            facts,
            "record_key",
            [
                {
                    "record_key": f.record_key,
                    "event_id": f.event_id,
                    "event_type": f.event_type,
                    "agency": f.agency,
                    "occurred_on": f.occurred_on.isoformat(),
                    "reported_at": _utc(f.reported_at),
                    "digest": f.digest,
                    "data": f.data_json(),
                }
                for f in _latest_per_record(ordered)
            ],
        )

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[Connection]:
        """A connection whose reads all see the database as it was at the first of them (one
        read transaction: PostgreSQL's repeatable read, a deferred SQLite transaction in WAL
        mode), for ``facts``, ``persons`` and ``episode_flows`` read together while the sinks
        write; rolled back at the end."""
        with self.engine.connect() as conn:
            if self.engine.dialect.name == "postgresql":
                conn.execution_options(isolation_level="REPEATABLE READ")
            else:  # pysqlite begins no transaction for a SELECT: begun here, as SQLite's own
                conn.exec_driver_sql("BEGIN")
            try:
                yield conn
            finally:
                conn.rollback()

    @contextlib.contextmanager
    def _reading(self, conn: Connection | None) -> Iterator[Connection]:
        """``conn`` (a ``snapshot``'s), or a connection of its own."""
        if conn is not None:
            yield conn
            return
        with self.engine.connect() as own:
            yield own

    def facts(
        self, types: Collection[str] | None = None, conn: Connection | None = None
    ) -> list[Fact]:
        """Every fact, or every fact of the event ``types``."""
        query = select(facts)
        if types is not None:
            query = query.where(facts.c.event_type.in_(list(types)))
        with self._reading(conn) as conn:
            return [
                Fact(
                    row.record_key,
                    row.event_id,
                    row.event_type,
                    row.agency,
                    dt.date.fromisoformat(row.occurred_on),
                    dt.datetime.fromisoformat(row.reported_at),
                    row.digest,
                    orjson.loads(row.data),
                )
                for row in conn.execute(query)
            ]

    def persons(self, conn: Connection | None = None) -> dict[str, str]:
        """event id -> person id, for every linked child record."""
        with self._reading(conn) as conn:
            return dict(conn.execute(select(links.c.record_id, links.c.person_id)).all())

    def replace_figures(
        self, rows: Sequence[Figure], as_of: dt.date, provenance: Provenance | None = None
    ) -> None:
        """The board's figures for ``as_of``, in one transaction: each upserted, keyed by
        indicator, period and dimension, and any figure no longer computed removed; with
        ``provenance``, when and from what they were computed."""
        values = [
            {
                "indicator": f.indicator,
                "period": f.period,
                "dimension": f.dimension,
                "value": f.value,
                "numerator": f.numerator,
                "denominator": f.denominator,
                "as_of": as_of.isoformat(),
            }
            for f in rows
        ]
        keys = ("indicator", "period", "dimension")
        stmt = self.insert(figures)
        stmt = stmt.on_conflict_do_update(
            index_elements=list(keys),
            set_={c: stmt.excluded[c] for c in ("value", "numerator", "denominator", "as_of")},
        )
        wanted = {tuple(v[k] for k in keys) for v in values}
        with self.engine.begin() as conn:
            if values:
                conn.execute(stmt, values)
            if provenance is not None:
                _write_provenance(conn, provenance)
            stale = [
                dict(zip(("i", "p", "d"), key, strict=True))
                for key in conn.execute(select(*(figures.c[k] for k in keys)))
                if tuple(key) not in wanted
            ]
            if stale:
                conn.execute(
                    figures.delete().where(
                        (figures.c.indicator == bindparam("i"))
                        & (figures.c.period == bindparam("p"))
                        & (figures.c.dimension == bindparam("d"))
                    ),
                    stale,
                )

    def figures(self) -> tuple[dt.date | None, list[Figure]]:
        """The stored figures and the reporting date they are for (None: none yet)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(figures)).all()
        if not rows:
            return None, []
        return dt.date.fromisoformat(rows[0].as_of), [
            Figure(r.indicator, r.period, r.dimension, r.value, r.numerator, r.denominator)
            for r in rows
        ]

    def record_provenance(self, provenance: Provenance) -> None:
        """Replace the stored provenance alone (``replace_figures`` stores it with them)."""
        with self.engine.begin() as conn:
            _write_provenance(conn, provenance)

    def figures_provenance(self) -> Provenance | None:
        """When the stored figures were computed, from how many events reported up to when
        (None: no figures, or figures stored before their provenance was)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(figures_provenance)).first()
        if row is None:
            return None
        latest = dt.datetime.fromisoformat(row.latest_event) if row.latest_event else None
        return Provenance(
            dt.datetime.fromisoformat(row.computed_at), row.events, latest, row.seconds
        )

    def insert_audit(self, records: Sequence[AuditRecord]) -> None:
        """Store audit records (admitted by ``schemas.audit.admit``), keyed by chain and
        position; a later record at a position supersedes the stored one."""
        latest: dict[tuple[str, int], dict[str, Any]] = {}
        for record in records:  # in topic order: the last record of a position wins
            latest[record.chain, record.seq] = {
                "chain": record.chain,
                "seq": record.seq,
                "decision": record.decision,
                "event_id": record.event_id,
                "at": record.at,
                "record": record.to_json(),
            }
        rows = list(latest.values())
        if not rows:
            return
        stmt = self.insert(audit)
        # a later record at a position supersedes (a restarted worker re-chained from its
        # last persisted head), as in the export; a replay of the topic ends the same way
        stmt = stmt.on_conflict_do_update(
            index_elements=["chain", "seq"],
            set_={c: stmt.excluded[c] for c in ("decision", "event_id", "at", "record")},
        )
        with self.engine.begin() as conn:
            conn.execute(stmt, rows)

    def audit_macs(self, positions: Iterable[tuple[str, int]]) -> dict[tuple[str, int], str]:
        """The MAC of the stored record at each of ``positions`` (chain, seq) that has one."""
        wanted = set(positions)
        found: dict[tuple[str, int], str] = {}
        with self.engine.connect() as conn:
            for chain in {c for c, _ in wanted}:
                seqs = sorted(s for c, s in wanted if c == chain)
                query = select(audit.c.seq, audit.c.record).where(
                    audit.c.chain == chain, audit.c.seq.in_(seqs)
                )
                for seq, record in conn.execute(query):
                    found[chain, int(seq)] = str(json.loads(record)["mac"])
        return found

    def audit_count(self) -> dict[str, int]:
        """Stored audit records by decision."""
        query = select(audit.c.decision, func.count()).group_by(audit.c.decision)
        with self.engine.connect() as conn:
            return {d: int(n) for d, n in conn.execute(query)}

    def apply_episodes(self, changes: Sequence[EpisodeChange]) -> Fenced:
        """Apply episode changes in order, in one transaction: a snapshot, a deletion, a
        sweep of a partition (every row of it older than the sweep's version goes: a restart
        republished the rest), or a linkage owner's fence (``sinks.fences``: a late change of
        an older owner is dropped, and its rows stored before the fence deleted).

        Every change is version-guarded, deletions and sweeps included: an episode's state
        is its highest version, whatever order the messages arrive in. So a snapshot older
        than the episode's deletion (``episode_tombstones``) or than a sweep of its
        partition (kept as a fence that read nothing) is stale and not stored. It happens:
        an owner the group dropped may have a batch's table writes on the changelog, read by
        the new owner, while the batch's episodes wait in its producer; let go, it sends
        them after the new owner has deleted some of those episodes (the frozen-worker test,
        2026-12-03: 29 and 14 such episodes brought back)."""
        pending: dict[str, dict[str, Any]] = {}
        fenced = Fenced()
        with self.engine.begin() as conn:
            fences = Fences(self._fences(conn))
            for change in changes:
                if change.fence is None and fences.excludes(change.partition, change.version):
                    fenced.dropped += 1
                    continue
                if change.snapshot is not None and not change.sweep:
                    row = {
                        "episode_id": change.episode_id,
                        "person_id": change.snapshot.person_id,
                        "snapshot": change.snapshot.model_dump_json(),
                        "version": change.version,
                        "source_partition": change.partition,
                    }
                    known = pending.get(change.episode_id)
                    if known is None or known["version"] <= change.version:
                        pending[change.episode_id] = row
                    continue
                fenced.stale += self._store_snapshots(conn, pending)
                pending.clear()
                if change.fence is not None:
                    fence = Fence(change.partition, change.version, change.fence)
                    fenced.deleted += self._fence(conn, fences, fence)
                elif change.sweep:
                    self._fence(conn, fences, Fence(change.partition, change.version, -1))
                else:
                    self._delete_episode(conn, change)
            fenced.stale += self._store_snapshots(conn, pending)
        return fenced

    def _store_snapshots(self, conn: Connection, rows: dict[str, dict[str, Any]]) -> int:
        """Upsert episode snapshots (the newer version wins), except one not newer than its
        episode's deletion; the number refused. A stored one ends its deletion."""
        deleted: dict[str, int] = {}
        ids = list(rows)
        for at in range(0, len(ids), 500):
            query = select(episode_tombstones.c.episode_id, episode_tombstones.c.version).where(
                episode_tombstones.c.episode_id.in_(ids[at : at + 500])
            )
            deleted.update((str(e), int(v)) for e, v in conn.execute(query))
        kept = [row for row in rows.values() if row["version"] > deleted.get(row["episode_id"], -1)]
        revived = [row["episode_id"] for row in kept if row["episode_id"] in deleted]
        for at in range(0, len(revived), 500):
            conn.execute(
                episode_tombstones.delete().where(
                    episode_tombstones.c.episode_id.in_(revived[at : at + 500])
                )
            )
        self._upsert(episodes, "episode_id", kept, conn=conn)
        return len(rows) - len(kept)

    def _delete_episode(self, conn: Connection, change: EpisodeChange) -> None:
        """Delete an episode (a tombstone) unless stored at a newer version, and keep the
        deletion's version, so that an older snapshot arriving later stays out."""
        conn.execute(
            episodes.delete().where(
                (episodes.c.episode_id == change.episode_id)
                & (episodes.c.version <= change.version)
            )
        )
        row = {
            "episode_id": change.episode_id,
            "version": change.version,
            "source_partition": change.partition,
        }
        self._upsert(episode_tombstones, "episode_id", [row], conn=conn)

    def _fences(self, conn: Connection) -> list[Fence]:
        query = select(
            episode_fences.c.source_partition, episode_fences.c.epoch, episode_fences.c.seen
        )
        return [Fence(int(p), int(e), int(s)) for p, e, s in conn.execute(query)]

    def _fence(self, conn: Connection, fences: Fences, fence: Fence) -> int:
        """Keep a new fence and delete the rows of its partition it excludes (an older
        owner's, stored before the fence arrived; a sweep's: every older version), and the
        deletions it excludes (from now on it keeps those versions out itself); the number
        of episodes deleted."""
        if not fences.add(fence):
            return 0
        row = {"source_partition": fence.partition, "epoch": fence.epoch, "seen": fence.seen}
        conn.execute(self.insert(episode_fences).values(row).on_conflict_do_nothing())

        def excluded(table: Table) -> Any:
            return (
                (table.c.source_partition == fence.partition)
                & (table.c.version > fence.seen)
                & (table.c.version < fence.epoch)
            )

        conn.execute(episode_tombstones.delete().where(excluded(episode_tombstones)))
        return int(conn.execute(episodes.delete().where(excluded(episodes))).rowcount or 0)

    def episode_snapshots(self) -> list[EpisodeSnapshot]:
        """Every current episode."""
        with self.engine.connect() as conn:
            return [
                EpisodeSnapshot.model_validate_json(s)
                for (s,) in conn.execute(select(episodes.c.snapshot))
            ]

    def episode_flows(self, conn: Connection | None = None) -> list[EpisodeFlow]:
        """What the board's figures read of every current episode."""
        with self._reading(conn) as conn:
            return [
                EpisodeFlow.model_validate_json(s)
                for (s,) in conn.execute(select(episodes.c.snapshot))
            ]

    def links_export(self) -> Iterator[dict[str, Any]]:
        """One row per linked record: event, person, episode and match weight."""
        episode_of = {e.event_id: s.episode_id for s in self.episode_flows() for e in s.events}
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


def _write_provenance(conn: Connection, provenance: Provenance) -> None:
    """The one stored provenance row, replaced within ``conn``'s transaction."""
    latest = provenance.latest_event
    row = {
        "id": 1,
        "computed_at": provenance.computed_at.isoformat(),
        "events": provenance.events,
        "latest_event": latest.isoformat() if latest else None,
        "seconds": provenance.seconds,
    }
    conn.execute(figures_provenance.delete())
    conn.execute(figures_provenance.insert(), [row])
