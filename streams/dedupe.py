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

import hashlib
import heapq
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from schemas.common import Envelope
from streams.records import Valid

__all__ = ["DedupeOutcome", "Horizon", "content_digest", "dedupe", "first_seen", "record_key"]

_VOLATILE = {"event_id", "reported_at"}


def record_key(event: Envelope) -> str:
    """The agency's identity for a record: agency and its own record id."""
    return f"{event.source_agency.value}:{event.agency_record_id}"


def content_digest(event: Envelope) -> str:
    """A digest of what the record says (not when it was sent or under which event id)."""
    data = event.model_dump(mode="json", exclude=_VOLATILE)
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:32]


@dataclass
class DedupeOutcome:
    """A batch split by what each event is, and the state entries to write."""

    fresh: list[Valid] = field(default_factory=list)
    resent: list[Valid] = field(default_factory=list)
    resubmitted: list[Valid] = field(default_factory=list)
    records: dict[str, str] = field(default_factory=dict)
    """record key -> 'digest@event ids@first seen (ms)@partition', the entries to write.

    One entry per agency record: what it says now (the digest), every event id that brought
    it (comma-separated: a re-send of any of them, even of an event since corrected, is
    recognised), and when its content was first seen.
    """


def dedupe(batch: Sequence[Valid], records: Mapping[str, str], now_ms: int) -> DedupeOutcome:
    """Split a batch into fresh events, re-sends and re-submissions."""
    out = DedupeOutcome()
    for item in batch:
        event_id = str(item.event.event_id)
        key, digest = record_key(item.event), content_digest(item.event)
        known = out.records.get(key) or records.get(key)
        ids: set[str] = set()
        if known is not None:
            known_digest, known_ids, seen = known.split("@")[:3]  # the partition is this one
            ids = set(known_ids.split(","))
            if event_id in ids:  # the same event again (a re-send, or a replay after a crash)
                out.resent.append(item)
                continue
            if known_digest == digest:  # another event saying the same
                out.resubmitted.append(item)
                out.records[key] = (
                    f"{known_digest}@{_ids(ids, event_id)}@{seen}@{item.source.partition}"
                )
                continue
        out.records[key] = f"{digest}@{_ids(ids, event_id)}@{now_ms}@{item.source.partition}"
        out.fresh.append(item)
    return out


def _ids(ids: set[str], event_id: str) -> str:
    return ",".join(sorted(ids | {event_id}))


def first_seen(value: object) -> tuple[int, int] | None:
    """When a de-duplication entry was first seen (ms) and the partition that holds it; None
    for an entry written before entries said so (kept: its partition is not known)."""
    if not isinstance(value, str) or value.count("@") != 3:
        return None
    seen, partition = value.split("@")[-2:]
    return int(seen), int(partition)


class Horizon:
    """De-duplication entries in order of first sighting, per partition, so that the ones
    older than the horizon can be deleted from the partition whose changelog holds them."""

    def __init__(self, horizon_ms: int) -> None:
        self.horizon_ms = horizon_ms
        self._queues: dict[int, list[tuple[int, str]]] = defaultdict(list)
        self.unplaced = 0
        """Entries from before entries named their partition: never deleted."""

    def remember(self, entries: Iterable[tuple[str, object]]) -> None:
        """Index entries (key, value) written or found."""
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
