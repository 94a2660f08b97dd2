"""What a run of `mash demo` changed: the events the hub recognised as repeats (its audit's
deduplicated decisions) and the board's figures before and after."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from plumbing.settings import WorkerSettings
from schemas.audit import Decision
from sinks.figures import Figure

__all__ = ["Snapshot", "repeats_line", "snapshot"]


@dataclass(frozen=True)
class Snapshot:
    """The stored figures (and their reporting date) and the deduplicated decisions so far."""

    as_of: dt.date | None
    figures: frozenset[Figure]
    deduplicated: int


def snapshot(settings: WorkerSettings) -> Snapshot:
    """The store as it stands."""
    from sinks.store import Store

    store = Store(settings.database)
    try:
        as_of, figures = store.figures()
        counts = store.audit_count()
    finally:
        store.close()
    return Snapshot(as_of, frozenset(figures), counts.get(Decision.DEDUPLICATED.value, 0))


def repeats_line(before: Snapshot, after: Snapshot) -> str | None:
    """ "N events recognised as repeats; no figure changed" (or how many did), or None when
    this run brought no repeat."""
    repeats = after.deduplicated - before.deduplicated
    if repeats <= 0:
        return None
    said = f"{repeats:,} events recognised as repeats"
    if before.as_of != after.as_of or not before.figures:
        return f"{said}; the figures are for {after.as_of} (none stored for it before)"
    changed = len({figure.key for figure in after.figures ^ before.figures})
    if not changed:
        return f"{said}; no figure changed"
    return f"{said}; {changed:,} figure{'s' if changed != 1 else ''} changed"
