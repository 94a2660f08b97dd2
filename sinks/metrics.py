"""The board's figures from what the sinks hold: computed by ``sinks.board``, stored here."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import replace

from plumbing.logs import get_logger
from sinks.board import Figure, compute
from sinks.figures import Provenance, provenance_of
from sinks.store import Store

__all__ = ["board_figures", "figures_from_events", "refresh_figures"]

log = get_logger(__name__)


def board_figures(store: Store, as_of: dt.date) -> list[Figure]:
    """Every indicator at ``as_of``, from the stored facts, persons and episodes."""
    return figures_from_events(store, as_of)[0]


def figures_from_events(store: Store, as_of: dt.date) -> tuple[list[Figure], Provenance]:
    """Every indicator at ``as_of``, and when and from how many events it was computed: the
    facts, persons and episodes read as of one moment (``Store.snapshot``), though the sinks
    write meanwhile."""
    with store.snapshot() as conn:
        facts = store.facts(conn=conn)
        computed_at = dt.datetime.now(dt.UTC)
        persons, flows = store.persons(conn), store.episode_flows(conn)
    return compute(facts, as_of, persons, flows), provenance_of(facts, computed_at)


def refresh_figures(store: Store, as_of: dt.date) -> list[Figure]:
    """Recompute and store the board's figures (the same facts give the same rows), with
    their provenance."""
    started = time.perf_counter()
    figures, provenance = figures_from_events(store, as_of)
    provenance = replace(provenance, seconds=round(time.perf_counter() - started, 3))
    store.replace_figures(figures, as_of, provenance)
    log.info(
        "metrics.refreshed",
        as_of=as_of.isoformat(),
        figures=len(figures),
        seconds=round(time.perf_counter() - started, 3),
    )
    return figures
