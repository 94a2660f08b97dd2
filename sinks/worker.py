"""The sinks: one plain Kafka consumer (librdkafka, its own group) writing what the streams
publish into the database, and having the board's figures recomputed whenever their inputs
changed (``sinks.refresh``, in a child beside the writes).

They run in their own process beside the Faust streams (``mash worker`` starts both), so the
database writes and the figures take the second core instead of the streams' time. Every
write is an idempotent upsert keyed by what the row is about, so a batch applied twice (a
crash before its commit, a rebalance between two sink processes) changes nothing: offsets are
committed only after the batch's transaction.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import json
import os
import signal
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from confluent_kafka import Consumer, KafkaError, KafkaException, Message
from sqlalchemy.exc import DBAPIError

from plumbing.errors import ContractError, SinkError
from plumbing.kafka import Record, confluent_config, credentials, require_topics
from plumbing.keys import audit_key
from plumbing.logs import get_logger
from plumbing.processes import PARENT_PID
from plumbing.settings import WorkerSettings
from schemas.alerts import Alert
from schemas.audit import admit
from schemas.childrens_services import LinkageDecision
from schemas.common import Envelope
from schemas.contracts import (
    ALERT,
    CONTACT_COUNT,
    EPISODE,
    EPISODE_FENCE,
    EPISODE_SWEEP,
    FENCE_SEEN_HEADER,
    IDENTITIES,
    LINK,
    POSSIBLE_MATCH,
)
from schemas.framing import Codec, unpack
from schemas.hub import EpisodeSnapshot, Link, PossibleMatch
from schemas.metrics import ContactCount
from schemas.registry import codec_for
from schemas.topics import AUDIT
from sinks.alerts import store_alerts
from sinks.facts import fact_of
from sinks.identities import identities_of, upsert_identities
from sinks.quarantine import Quarantine, Quarantines, isolate
from sinks.refresh import BoardRefresh, Changes, recompute
from sinks.reviews import store_decisions, store_possible_matches
from sinks.store import EpisodeChange, Store
from sinks.waiting import failure_reason, patiently

__all__ = [
    "PARENT_PID",
    "SINKS_PRINCIPAL",
    "Sinks",
    "run_sinks",
    "sink_group",
    "sink_topics",
]

log = get_logger(__name__)

SINKS_PRINCIPAL = "sinks"
"""The sinks' Kafka principal: reads what they consume, writes nothing to Kafka."""


def sink_group(settings: WorkerSettings) -> str:
    """The sinks' consumer group (the streams' group is the app id)."""
    return f"{settings.app_id}-sinks"


def sink_topics(settings: WorkerSettings) -> list[str]:
    """Every topic the sinks read."""
    return [
        settings.topic(CONTACT_COUNT.topic),
        settings.topic(LINK.topic),
        settings.topic(POSSIBLE_MATCH.topic),
        settings.topic(EPISODE.topic),
        settings.topic(ALERT.topic),
        settings.topic(IDENTITIES),
        settings.topic(AUDIT),
    ]


def episode_change(record: Record, snapshot: EpisodeSnapshot | None) -> EpisodeChange:
    """One message of the episodes topic as the store applies it (``snapshot`` None: a
    tombstone, the sweep marker or a linkage owner's fence)."""
    version = int(record.headers.get("mash.version", b"0"))
    if record.key == EPISODE_SWEEP:
        return EpisodeChange("", None, version, record.partition, sweep=True)
    if record.key == EPISODE_FENCE:  # no default: a fence read as "seen 0" would delete
        seen = record.headers.get(FENCE_SEEN_HEADER)  # every row its owner did not write
        if seen is None or not seen.isdigit() or not version:
            raise SinkError(
                f"episodes fence at {record.topic}/{record.partition}@{record.offset}: "
                f"no valid mash.version and {FENCE_SEEN_HEADER} headers"
            )
        return EpisodeChange("", None, version, record.partition, fence=int(seen))
    return EpisodeChange((record.key or b"").decode(), snapshot, version, record.partition)


class Sinks:
    """Applies batches of the streams' output topics to the store."""

    def __init__(
        self, settings: WorkerSettings, store: Store, codec: Codec, quarantine: Quarantines
    ) -> None:
        self.codec = codec
        self.quarantine = quarantine
        self.store = store
        self.wait_s = settings.database_wait_s
        self.audit_key = audit_key(settings)
        self.refused_audit = 0
        """Audit records refused by ``admit`` (forged, or out of their chain's order)."""
        t = settings.topic
        self.writers: dict[str, Callable[[Sequence[Any]], bool]] = {
            t(CONTACT_COUNT.topic): self._counts,
            t(LINK.topic): self._links,
            t(POSSIBLE_MATCH.topic): self._reviews,
            t(EPISODE.topic): self._episodes,
            t(ALERT.topic): self._alerts,
            t(IDENTITIES): self._facts,
            t(AUDIT): self._audit,
        }

    def apply(self, records: Mapping[str, Sequence[Any]]) -> bool:
        """Write each topic's records (in partition order); True if the figures' inputs moved.
        A record that cannot be decoded or stored is quarantined, and the rest are written."""
        moved = False
        for topic, batch in records.items():
            moved |= isolate(self._waiting(self.writers[topic], topic), batch, self.quarantine)
        return moved

    def _waiting(
        self, write: Callable[[Sequence[Any]], bool], topic: str
    ) -> Callable[[Sequence[Any]], bool]:
        """``write``, waiting for the database while it is unavailable (the same records
        written again: every write is an idempotent upsert)."""
        return lambda batch: patiently(lambda: write(batch), self.wait_s, topic)

    def _decoded(self, batch: Sequence[Record], packed: bool = False) -> list[Any]:
        """Each record's value decoded (a packed one: each of its events).

        The streams wrote these records after validating them, so one that does not decode is
        junk written by someone else, or a broken deployment (a worker of another version):
        `SinkError` naming it, and ``isolate`` quarantines it (to replay once fixed).
        """
        decoded = []
        for r in batch:
            if not r.value:
                continue
            try:
                decoded += [
                    self.codec.decode(f) for f in (unpack(r.value) if packed else [r.value])
                ]
            except ContractError as exc:
                raise SinkError(
                    f"cannot decode {r.topic} partition {r.partition} offset {r.offset}: {exc}"
                ) from exc
        return decoded

    def _counts(self, batch: Sequence[Any]) -> bool:
        rows = [r for r in self._decoded(batch) if isinstance(r, ContactCount)]
        self.store.upsert_contact_counts(rows)
        return False

    def _links(self, batch: Sequence[Any]) -> bool:
        self.store.upsert_links([r for r in self._decoded(batch) if isinstance(r, Link)])
        return True

    def _reviews(self, batch: Sequence[Any]) -> bool:
        rows = [r for r in self._decoded(batch) if isinstance(r, PossibleMatch)]
        store_possible_matches(self.store, rows, dt.datetime.now(dt.UTC))
        return False

    def _alerts(self, batch: Sequence[Any]) -> bool:
        store_alerts(self.store, [r for r in self._decoded(batch) if isinstance(r, Alert)])
        return False

    def _episodes(self, batch: Sequence[Any]) -> bool:
        changes = []
        for r in batch:
            if r.key in (EPISODE_SWEEP, EPISODE_FENCE) or not r.value:  # a marker, a tombstone
                changes.append(episode_change(r, None))
            else:
                decoded = self._decoded([r])
                if decoded and isinstance(decoded[0], EpisodeSnapshot):
                    changes.append(episode_change(r, decoded[0]))
        fenced = self.store.apply_episodes(changes)
        if fenced.dropped or fenced.deleted or fenced.stale:  # an older owner's, late
            fences = [(c.partition, c.version) for c in changes if c.fence is not None]
            log.warning(
                "episodes.fenced",
                dropped=fenced.dropped,
                deleted=fenced.deleted,
                stale=fenced.stale,
                fences=fences,
            )
        return True

    def _facts(self, batch: Sequence[Any]) -> bool:
        events = self._decoded(batch, packed=True)
        events = [e for e in events if isinstance(e, Envelope)]
        self.store.upsert_facts([fact_of(e) for e in events])  # a decision's: in no figure
        upsert_identities(self.store, [row for e in events for row in identities_of(e)])
        store_decisions(self.store, (e for e in events if isinstance(e, LinkageDecision)))
        return True

    def _audit(self, batch: Sequence[Any]) -> bool:
        lines = [line for r in batch for line in (r.value or b"").decode().splitlines() if line]
        previous = self.store.audit_macs(_predecessors(lines))
        admitted, refused = admit(lines, previous, self.audit_key)
        if any(chain == "?" for chain, _, _ in refused):  # junk, not a refused record
            raise SinkError(f"{len(refused)} lines of the audit batch are not audit records")
        for chain, seq, reason in refused:
            self.refused_audit += 1
            log.error(
                "audit.record_refused",
                chain=chain,
                seq=seq,
                reason=reason,
                refused_total=self.refused_audit,
            )
        self.store.insert_audit(admitted)
        return False


def _predecessors(lines: Sequence[str]) -> set[tuple[str, int]]:
    """The (chain, seq) of the record before each audit line (unreadable lines: none)."""
    found = set()
    for line in lines:
        try:
            data = json.loads(line)
            found.add((str(data["chain"]), int(data["seq"]) - 1))
        except (ValueError, KeyError, TypeError):
            continue
    return found


_PASSING = {
    KafkaError._PARTITION_EOF,
    KafkaError.UNKNOWN_TOPIC_OR_PART,
    KafkaError._MAX_POLL_EXCEEDED,
}
"""Consumer errors that are news, not failures: a topic the streams have not created yet; the
consumer left its group after a long wait between two reads (the broker down for minutes, a
commit waiting for it: an outside probe saw the sinks die of it once), and the next read
joins again, the uncommitted records read again (the writes are idempotent)."""


def _by_topic(messages: Sequence[Message]) -> dict[str, list[Record]]:
    """The consumed messages by topic, each topic's in partition order."""
    records: dict[str, list[Record]] = defaultdict(list)
    for m in messages:
        error = m.error()
        if error is not None:
            if error.code() not in _PASSING and not error.retriable():
                raise KafkaException(error)
            log.info("sinks.consumer_notice", reason=error.str())
            continue
        topic = cast(str, m.topic())
        records[topic].append(
            Record(
                topic,
                cast(int, m.partition()),
                cast(int, m.offset()),
                m.key(),
                m.value(),
                dict(cast(list[tuple[str, bytes]], m.headers() or [])),
            )
        )
    return records


_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Started by a worker: be killed when it dies (Linux), and stop if it already has (the
    worker made this process give way to its streams as it started it)."""
    parent = os.environ.get(PARENT_PID)
    if parent is None:
        return
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != int(parent):  # the worker died before the line above
        raise SystemExit(0)


def run_sinks(settings: WorkerSettings, stop: threading.Event | None = None) -> None:
    """Consume the streams' outputs into the database until stopped (SIGTERM/SIGINT or
    ``stop``); the figures are recomputed after changes, within a tenth of the time."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
    _die_with_parent()
    settings = settings.as_principal(SINKS_PRINCIPAL)
    require_topics(settings, sink_topics(settings))
    store = Store(settings.database)
    quarantine = Quarantine(settings)
    sinks = Sinks(settings, store, codec_for(settings), quarantine)
    consumer = Consumer(
        {
            **confluent_config(credentials(settings)),
            "group.id": sink_group(settings),
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "session.timeout.ms": int(settings.session_timeout_s * 1000),
            "heartbeat.interval.ms": int(settings.heartbeat_interval_s * 1000),
            "topic.metadata.refresh.interval.ms": 5000,  # topics created after the start
            "queued.max.messages.kbytes": 16384,  # what is fetched ahead, bounded
        }
    )
    consumer.subscribe(sink_topics(settings))
    log.info("sinks.started", group=sink_group(settings), topics=len(sink_topics(settings)))
    refresh: BoardRefresh | None = None
    try:
        last = patiently(store.figures_provenance, settings.database_wait_s, "figures")
        changes = Changes.resumed(settings.metrics_interval_s, last, time.monotonic())
        refresh = BoardRefresh(changes, recompute(settings, store), before_fork=store.close)
        while not stop.is_set():
            messages = consumer.consume(num_messages=settings.batch_size, timeout=0.2)
            if messages:
                if sinks.apply(_by_topic(messages)):
                    changes.touch()
                quarantine.flush()  # delivered before the offsets pass them
                try:
                    consumer.commit(asynchronous=False)  # what was consumed is what was written
                except KafkaException as exc:  # e.g. a rebalance: the new owner re-applies them
                    log.warning("sinks.commit_failed", reason=str(exc))
            refresh.tick(time.monotonic())  # beside the writes, never waited for
    except (SinkError, DBAPIError) as exc:  # the worker restarts them; they read it again
        log.error("sinks.failed", reason=failure_reason(exc))
        raise SystemExit(1) from None
    finally:
        if refresh is not None:
            refresh.stop()
        consumer.close()
        store.close()
        log.info("sinks.stopped", quarantined=quarantine.summary())
