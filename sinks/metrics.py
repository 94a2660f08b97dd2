"""The board's figures from what the sinks hold: computed by ``sinks.board``, stored here."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence

from plumbing.logs import get_logger
from sinks.board import Figure, compute
from sinks.facts import Fact
from sinks.provenance import provenance_of, record_provenance
from sinks.store import Store

__all__ = ["board_figures", "refresh_figures"]

log = get_logger(__name__)


def board_figures(
    store: Store, as_of: dt.date, facts: Sequence[Fact] | None = None
) -> list[Figure]:
    """Every indicator at ``as_of``, from the stored facts (or ``facts``), persons and
    episodes."""
    known = store.facts() if facts is None else facts
    return compute(known, as_of, store.persons(), store.episode_snapshots())


def refresh_figures(store: Store, as_of: dt.date) -> list[Figure]:
    """Recompute and store the board's figures (the same facts give the same rows)."""
    started = time.perf_counter()
    computed_at = dt.datetime.now(dt.UTC)
    facts = store.facts()
    figures = board_figures(store, as_of, facts)
    store.replace_figures(figures, as_of)
    record_provenance(store, provenance_of(facts, computed_at))
    log.info(
        "metrics.refreshed",
        as_of=as_of.isoformat(),
        figures=len(figures),
        seconds=round(time.perf_counter() - started, 3),
    )
    return figures
