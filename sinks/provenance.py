"""When and from what the board's figures were computed, stored beside them.

A stand-in, in this one module, until the store records it itself (``Store.figures_provenance``):
the figures' refresh records the moment, how many facts it read and the latest time one of them
was reported; every view of the figures reads it back to say when and of what they are.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table, select

from sinks.facts import Fact
from sinks.store import Store

__all__ = ["Provenance", "figures_provenance", "provenance_of", "record_provenance"]

_metadata = MetaData()
_provenance = Table(
    "figures_provenance",
    _metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("computed_at", String(40), nullable=False),
    Column("events", BigInteger, nullable=False),
    Column("events_to", String(40)),
)


@dataclass(frozen=True)
class Provenance:
    """When the figures were computed, from how many events, reported up to when."""

    computed_at: dt.datetime
    events: int
    events_to: dt.datetime | None
    """When the latest of those events was reported (None: no events)."""

    def sentence(self) -> str:
        """How every view states it."""
        upto = (
            f", reported up to {self.events_to.astimezone(dt.UTC):%d %b %Y %H:%M} UTC"
            if self.events_to
            else ""
        )
        return (
            f"Figures computed {self.computed_at.astimezone(dt.UTC):%d %b %Y %H:%M} UTC "
            f"from {self.events:,} events{upto}."
        )


def provenance_of(facts: Sequence[Fact], computed_at: dt.datetime) -> Provenance:
    """The provenance of figures computed at ``computed_at`` from ``facts``."""
    latest = max((f.reported_at for f in facts), default=None)
    return Provenance(computed_at, len(facts), latest)


def record_provenance(store: Store, provenance: Provenance) -> None:
    """Store the provenance of the figures just stored (one row, replaced)."""
    _metadata.create_all(store.engine)
    row = {
        "id": 1,
        "computed_at": provenance.computed_at.astimezone(dt.UTC).isoformat(),
        "events": provenance.events,
        "events_to": provenance.events_to.isoformat() if provenance.events_to else None,
    }
    with store.engine.begin() as conn:
        conn.execute(_provenance.delete())
        conn.execute(_provenance.insert(), [row])


def figures_provenance(store: Store) -> Provenance | None:
    """The stored figures' provenance (None: not recorded)."""
    _metadata.create_all(store.engine)
    with store.engine.connect() as conn:
        row = conn.execute(select(_provenance)).first()
    if row is None:
        return None
    return Provenance(
        dt.datetime.fromisoformat(row.computed_at),
        int(row.events),
        dt.datetime.fromisoformat(row.events_to) if row.events_to else None,
    )
