"""Stage 3: count contacts by source agency and month (of the report to the MASH).

Counts are kept per source partition, so each worker owns its counts outright and no
repartition is needed; the sink adds the partitions up.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from schemas.metrics import ContactCount
from streams.records import Valid

__all__ = ["count_contacts"]


def count_contacts(
    fresh: Sequence[Valid], partition: int, counts: Mapping[str, int]
) -> list[ContactCount]:
    """The new absolute counts of every (agency, month) touched by ``fresh``."""
    totals: dict[tuple[str, str], int] = {}
    for item in fresh:
        event = item.event
        cell = (event.source_agency.value, f"{event.reported_at:%Y-%m}")
        if cell not in totals:
            totals[cell] = counts.get(ContactCount.key_of(*cell, partition), 0)
        totals[cell] += 1
    return [
        ContactCount(agency=a, month=m, partition=partition, contacts=n)
        for (a, m), n in totals.items()
    ]
