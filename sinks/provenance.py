"""When and from what the board's figures were computed, as every view states it.

The store keeps it with the figures, in the same transaction (``Store.replace_figures``,
``Store.figures_provenance``); this module is what the views read and say.
"""

from __future__ import annotations

import datetime as dt

from sinks.figures import Provenance, provenance_of
from sinks.store import Store
from sinks.tables import figures_provenance as _table

__all__ = ["Provenance", "figures_provenance", "provenance_of", "record_provenance", "sentence"]


def sentence(provenance: Provenance) -> str:
    """How every view states it."""
    latest = provenance.latest_event
    upto = f", reported up to {latest.astimezone(dt.UTC):%d %b %Y %H:%M} UTC" if latest else ""
    return (
        f"Figures computed {provenance.computed_at.astimezone(dt.UTC):%d %b %Y %H:%M} UTC "
        f"from {provenance.events:,} events{upto}."
    )


def figures_provenance(store: Store) -> Provenance | None:
    """The stored figures' provenance (None: not recorded)."""
    return store.figures_provenance()


def record_provenance(store: Store, provenance: Provenance) -> None:
    """Replace the stored provenance alone (the figures' refresh stores it with them)."""
    latest = provenance.latest_event
    row = {
        "id": 1,
        "computed_at": provenance.computed_at.isoformat(),
        "events": provenance.events,
        "latest_event": latest.isoformat() if latest else None,
    }
    with store.engine.begin() as conn:
        conn.execute(_table.delete())
        conn.execute(_table.insert(), [row])
