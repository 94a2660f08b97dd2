"""The hub's database: SQLite by default, PostgreSQL for deployment, written idempotently.

Every write is an upsert keyed by what the row is about, so a replayed or duplicated
snapshot leaves the tables exactly as they were.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    func,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from mash.errors import SinkError
from schemas.metrics import ContactCount

__all__ = ["ContactPivot", "ContactTotal", "Store"]

metadata = MetaData()

contact_counts = Table(
    "contact_counts",
    metadata,
    Column("agency", String(32), primary_key=True),
    Column("month", String(7), primary_key=True),
    Column("source_partition", Integer, primary_key=True),
    Column("contacts", BigInteger, nullable=False),
)


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
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(url, future=True)
        try:
            metadata.create_all(self.engine)
        except SQLAlchemyError as exc:
            raise SinkError(f"cannot open the database: {type(exc).__name__}") from exc

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
