"""Stage 2: recognise exact re-sends and re-submissions, so nothing is counted twice.

- a re-send carries an event id already seen for its agency record;
- a re-submission carries a new event id for an agency record already seen with the same
  content (everything but the event id and the time it was reported);
- the same agency record with different content is a correction, and passes.

State is one entry per agency record, ending with when its content was first seen and the
partition whose changelog holds it, so that entries older than the configured horizon are
deleted, each through its own partition (``Horizon``).
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from schemas.common import content_digest, record_key
from streams.records import Valid

__all__ = ["DedupeOutcome", "Horizon", "SeenRecord", "dedupe", "first_seen"]


@dataclass(frozen=True)
class SeenRecord:
    """What de-duplication remembers of one agency record.

    Stored as ``digest@event ids@first seen (ms)@partition``; ``decode`` also reads the two
    older formats still on disk, ``digest@event id@first seen`` and ``digest@first seen``
    (their partition is unknown, so they are never expired, only superseded).
    """

    digest: str
    """What the record says now (``content_digest``)."""
    event_ids: frozenset[str]
    """Every event id that brought it: a re-send of any of them, even of an event since
    corrected, is recognised."""
    first_seen_ms: int
    partition: int | None
    """The partition whose changelog holds the entry (None in the older formats)."""

    def encode(self) -> str:
        """The stored form."""
        ids = ",".join(sorted(self.event_ids))
        return f"{self.digest}@{ids}@{self.first_seen_ms}@{self.partition}"

    @classmethod
    def decode(cls, text: str) -> SeenRecord:
        """Read any format ever written; ``ValueError`` for anything else."""
        parts = text.split("@")
        if len(parts) == 4:
            digest, ids, seen, partition = parts
            return cls(digest, frozenset(ids.split(",")), int(seen), int(partition))
        if len(parts) == 3:
            digest, event_id, seen = parts
            return cls(digest, frozenset({event_id}), int(seen), None)
        if len(parts) == 2:
            return cls(parts[0], frozenset(), int(parts[1]), None)
        raise ValueError(f"not a de-duplication entry: {len(parts)} fields")


@dataclass
class DedupeOutcome:
    """A batch split by what each event is, and the state entries to write."""

    fresh: list[Valid] = field(default_factory=list)
    resent: list[Valid] = field(default_factory=list)
    resubmitted: list[Valid] = field(default_factory=list)
    records: dict[str, SeenRecord] = field(default_factory=dict)
    """record key -> the entry to write (one per agency record)."""


def dedupe(batch: Sequence[Valid], records: Mapping[str, str], now_ms: int) -> DedupeOutcome:
    """Split a batch into fresh events, re-sends and re-submissions (``records`` holds the
    stored entries, encoded)."""
    out = DedupeOutcome()
    for item in batch:
        event_id = str(item.event.event_id)
        key, digest = record_key(item.event), content_digest(item.event)
        known = out.records.get(key) or _stored(records, key)
        partition = item.source.partition
        if known is not None:
            if event_id in known.event_ids:  # the same event again (a re-send, or a replay)
                out.resent.append(item)
                continue
            if known.digest == digest:  # another event saying the same
                out.resubmitted.append(item)
                ids = known.event_ids | {event_id}
                out.records[key] = SeenRecord(digest, ids, known.first_seen_ms, partition)
                continue
        ids = (known.event_ids if known else frozenset()) | {event_id}
        out.records[key] = SeenRecord(digest, ids, now_ms, partition)
        out.fresh.append(item)
    return out


def _stored(records: Mapping[str, str], key: str) -> SeenRecord | None:
    text = records.get(key)
    return None if text is None else SeenRecord.decode(text)


def first_seen(value: object) -> tuple[int, int] | None:
    """When a de-duplication entry (stored or decoded) was first seen (ms) and the partition
    that holds it; None for an entry of an older format (kept: its partition is not known)."""
    if isinstance(value, str):
        if value.count("@") == 3:  # the current format, read without its event ids (a restart
            # indexes every entry of the table: ``Horizon``)
            _, seen, partition = value.rsplit("@", 2)
            return int(seen), int(partition)
        entry = SeenRecord.decode(value)
    elif isinstance(value, SeenRecord):
        entry = value
    else:
        return None
    return None if entry.partition is None else (entry.first_seen_ms, entry.partition)


class Horizon:
    """De-duplication entries in order of first sighting, per partition, so that the ones
    older than the horizon can be deleted from the partition whose changelog holds them."""

    def __init__(self, horizon_ms: int) -> None:
        self.horizon_ms = horizon_ms
        self._queues: dict[int, list[tuple[int, str]]] = defaultdict(list)
        self.unplaced = 0
        """Entries from before entries named their partition: never deleted."""

    def remember(self, entries: Iterable[tuple[str, object]]) -> None:
        """Index entries (key, stored value) written or found."""
        for key, value in entries:
            placed = first_seen(value)
            if placed is None:
                self.unplaced += 1
                continue
            heapq.heappush(self._queues[placed[1]], (placed[0], key))

    def expired(self, partition: int, now_ms: int) -> list[tuple[str, int]]:
        """(key, first seen) of the entries of ``partition`` first seen before the
        horizon, oldest first; they leave the index (an entry rewritten since has a later
        sighting indexed too, so compare the stored value before deleting)."""
        queue, cutoff = self._queues[partition], now_ms - self.horizon_ms
        old = []
        while queue and queue[0][0] < cutoff:
            seen, key = heapq.heappop(queue)
            old.append((key, seen))
        return old

    def __len__(self) -> int:
        return sum(len(q) for q in self._queues.values())
