"""Stage 2: drop exact re-sends (the same event id seen before, or twice in one batch)."""

from __future__ import annotations

from collections.abc import Container, Sequence

from streams.records import Valid

__all__ = ["dedupe"]


def dedupe(batch: Sequence[Valid], seen: Container[str]) -> tuple[list[Valid], list[Valid]]:
    """Split a batch into first sightings and duplicates of events already ``seen``."""
    fresh: list[Valid] = []
    duplicates: list[Valid] = []
    in_batch: set[str] = set()
    for item in batch:
        event_id = str(item.event.event_id)
        if event_id in in_batch or event_id in seen:
            duplicates.append(item)
        else:
            in_batch.add(event_id)
            fresh.append(item)
    return fresh, duplicates
