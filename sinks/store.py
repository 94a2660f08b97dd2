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

__all__ = ["ContactTotal", "Store"]

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
