"""Stage 2: recognise exact re-sends and re-submissions, so nothing is counted twice.

- a re-send carries an event id already seen;
- a re-submission carries a new event id for an agency record already seen with the same
  content (everything but the event id and the time it was reported);
- the same agency record with different content is a correction, and passes.

State is two maps with the time each entry was first seen, so entries older than the
configured horizon can be let go (``expired``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from schemas.common import Envelope
from streams.records import Valid

__all__ = ["DedupeOutcome", "content_digest", "dedupe", "expired", "record_key"]

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
    seen_ids: dict[str, int] = field(default_factory=dict)
    """event id -> when first seen (ms), for the ids to remember."""
    records: dict[str, str] = field(default_factory=dict)
    """record key -> 'digest@event id@first seen (ms)', for the records to remember.

    The event id tells a re-submission (another event, same content) from this event
    replayed after a crash that lost the mark of its id but kept its record.
    """


def dedupe(
    batch: Sequence[Valid], seen_ids: Mapping[str, int], records: Mapping[str, str], now_ms: int
) -> DedupeOutcome:
    """Split a batch into fresh events, re-sends and re-submissions."""
    out = DedupeOutcome()
    for item in batch:
        event_id = str(item.event.event_id)
        if event_id in out.seen_ids or event_id in seen_ids:
            out.resent.append(item)
            continue
        out.seen_ids[event_id] = now_ms
        key, digest = record_key(item.event), content_digest(item.event)
        known = out.records.get(key) or records.get(key)
        if known is not None:
            known_digest, known_event = known.split("@")[:2]
            if known_event == event_id:  # this very event, replayed after a crash
                out.resent.append(item)
                continue
            if known_digest == digest:
                out.resubmitted.append(item)
                continue
        out.records[key] = f"{digest}@{event_id}@{now_ms}"
        out.fresh.append(item)
    return out


def expired(entries: Iterable[tuple[str, int | str]], now_ms: int, horizon_ms: int) -> list[str]:
    """Keys whose first sighting is older than the horizon."""
    cutoff = now_ms - horizon_ms
    old = []
    for key, value in entries:
        seen = value if isinstance(value, int) else int(value.rsplit("@", 1)[1])
        if seen < cutoff:
            old.append(key)
    return old
