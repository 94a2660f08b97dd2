"""Intake wiring: the agency topics through validation, de-duplication and counting, and the
fresh events packed onto the hand-over topic to linkage."""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import faust

from plumbing.logs import get_logger
from plumbing.settings import WorkerSettings
from schemas.audit import AuditEntry, Decision
from schemas.common import ValidationClock
from schemas.contracts import AGENCY_CONTRACTS, CONTACT_COUNT, IDENTITIES
from schemas.framing import Codec, blocks, encode, pack
from schemas.topics import Stage, Table
from streams.counting import count_contacts
from streams.dedupe import DedupeOutcome, Horizon, dedupe, first_seen
from streams.faust_internals import as_current
from streams.outputs import BLOCK_BYTES, AuditLog, Output, incoming, raw_topic
from streams.records import DeadLetter, Valid
from streams.validate import topic_event_types, validate

__all__ = ["Intake", "by_partition"]

log = get_logger(__name__)


def by_partition(
    events: Sequence[faust.types.EventT[Any]],
) -> dict[int, list[faust.types.EventT[Any]]]:
    groups: dict[int, list[faust.types.EventT[Any]]] = defaultdict(list)
    for event in events:
        groups[event.message.partition].append(event)
    return groups


class Intake:
    """Agency topics: validate, de-duplicate, count, and hand fresh events to linkage."""

    def __init__(self, app: faust.App, settings: WorkerSettings, codec: Codec) -> None:
        self.settings = settings
        self.skew = dt.timedelta(seconds=settings.clock_skew_s)
        self.clock = settings.clock
        self.codec = codec
        self.event_types = topic_event_types(settings.topic)
        self.records = app.Table(Table.SEEN_RECORDS, key_type=str, value_type=str)
        self.horizon_ms = int(settings.dedupe_horizon_days * 86_400_000)
        self.horizon: Horizon | None = None
        self.index_after_s = settings.dedupe_index_after_s
        self.index_due: float | None = None
        """When the entries are indexed: ``index_after_s`` after the first batch since a start
        or a rebalance (not since the start itself: a long recovery would use up the wait)."""
        self.counts = app.Table(Table.CONTACT_COUNTS, key_type=str, value_type=int, default=int)
        self.dead_letters = Output(app, settings.deadletter_topic)
        self.contact_counts = Output(app, settings.topic(CONTACT_COUNT.topic))
        self.topic = raw_topic(app, *(settings.topic(c.topic) for c in AGENCY_CONTRACTS))
        self.identities = Output(app, settings.topic(IDENTITIES))
        self.audit = AuditLog(app, settings, Stage.INTAKE, settings.partitions)

    async def process(self, events: Sequence[faust.types.EventT[Any]]) -> None:
        """Run one batch through every stage, a partition at a time."""
        now = self.clock()
        clock = ValidationClock(skew=self.skew, now=now)
        now_ms = int(now.timestamp() * 1000)
        for partition, group in by_partition(events).items():
            valid, dead = validate(
                [incoming(e) for e in group], clock, self.codec, self.event_types
            )
            with as_current(group[-1]):
                outcome = dedupe(valid, self.records, now_ms)
                for key, entry in outcome.records.items():
                    self.records[key] = entry.encode()
                updated = count_contacts(outcome.fresh, partition, self.counts)
                for count in updated:
                    self.counts[count.key] = count.contacts
                self._forget_expired(partition, outcome, now_ms)
            for letter in dead:
                log.warning(
                    "validate.rejected",
                    topic=letter.source.topic,
                    partition=partition,
                    offset=letter.source.offset,
                    reason=letter.reason,
                )
                message = letter.message(self.settings.home)
                await self.dead_letters.send(
                    key=message.key, value=message.value, headers=message.headers
                )
            for count in updated:
                await self.contact_counts.send(
                    key=count.key.encode(), value=encode(CONTACT_COUNT, count)
                )
            # re-sends go on too: linkage ignores an event id it has, and forwarding them keeps
            # an event whose first forward was lost in a crash (after its id was marked seen);
            # packed, a few messages per batch
            # in the specification's framing, whatever the agency used (legacy headers)
            fresh = [*outcome.fresh, *outcome.resent]
            frames = [self.codec.canonical(item.source.value) for item in fresh]
            for block in blocks(frames, BLOCK_BYTES, overhead=4):
                await self.identities.send(key=str(partition).encode(), value=pack(block))
            await self.audit.write(partition, _intake_audit(valid, dead, outcome, now), group[-1])

    def reassigned(self) -> None:
        """After a rebalance: the entries are indexed again (from what the table holds then)
        once ``dedupe_index_after_s`` has passed."""
        self.horizon = None
        self.index_due = None

    def _forget_expired(self, partition: int, outcome: DedupeOutcome, now_ms: int) -> None:
        """Delete this partition's de-duplication entries older than the horizon (the event
        current is of this partition, so the deletions reach its changelog). Not before the
        entries are indexed, ``dedupe_index_after_s`` after a start or a rebalance: what was
        written until then is in the table the index is made from. (Rebalances more often
        than that postpone it each time: nothing expires while they go on.)"""
        if self.horizon is None:  # after a start or a rebalance: index what the table holds
            now = time.monotonic()
            if self.index_due is None:
                self.index_due = now + self.index_after_s
            if now < self.index_due:
                return
            self.horizon = Horizon(self.horizon_ms)
            self.horizon.remember(self.records.items())
            log.info("dedupe.indexed", entries=len(self.horizon), unplaced=self.horizon.unplaced)
        else:
            self.horizon.remember(outcome.records.items())
        purged = 0
        for key, seen in self.horizon.expired(partition, now_ms):
            placed = first_seen(self.records.get(key))
            if placed is not None and placed[0] == seen:  # still there, not rewritten since
                del self.records[key]
                purged += 1
        if purged:
            log.info("dedupe.expired", partition=partition, entries=purged)


def _intake_audit(
    valid: Sequence[Valid], dead: Sequence[DeadLetter], outcome: DedupeOutcome, now: dt.datetime
) -> list[AuditEntry]:
    at = now.isoformat()
    entries = [
        AuditEntry(
            Decision.VALIDATED,
            str(v.event.event_id),
            at,
            {"event_type": v.event.event_type, "offset": v.source.offset},
        )
        for v in valid
    ]
    entries += [
        AuditEntry(
            Decision.REJECTED,
            f"{d.source.topic}/{d.source.offset}",
            at,
            {"reason": d.reason, "sha256": hashlib.sha256(d.source.value).hexdigest()},
        )
        for d in dead
    ]
    entries += [
        AuditEntry(Decision.DEDUPLICATED, str(v.event.event_id), at, {"kind": kind})
        for kind, items in (("re-send", outcome.resent), ("re-submission", outcome.resubmitted))
        for v in items
    ]
    return entries
