"""When and from what the board's figures were computed, as every view states it.

The store keeps it with the figures, in the same transaction (``Store.replace_figures``; read
back with ``Store.figures_provenance``); this module is how the views say it.
"""

from __future__ import annotations

import datetime as dt

from sinks.figures import Provenance, provenance_of

__all__ = ["Provenance", "provenance_of", "sentence"]


def sentence(provenance: Provenance) -> str:
    """How every view states it."""
    latest = provenance.latest_event
    upto = f", reported up to {latest.astimezone(dt.UTC):%d %b %Y %H:%M} UTC" if latest else ""
    return (
        f"Figures computed {provenance.computed_at.astimezone(dt.UTC):%d %b %Y %H:%M} UTC "
        f"from {provenance.events:,} events{upto}."
    )
