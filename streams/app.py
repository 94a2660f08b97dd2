"""The one Faust entry module: wires the pure stages to topics, tables and the sinks.

Agents read batches (``take_events``) and hand them to plain functions; table state is
partition-local (an event's partition decides its table partition), so the agents that write
tables run with concurrency 1 and every output is keyed so that replays are idempotent.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import hashlib
import os
import subprocess
import sys
import time
import weakref
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, cast

import faust
from faust.streams import _current_event  # the context var Faust's tables partition by

from mash.errors import ContractError
from mash.kafka import ensure_hub_topics
from mash.keys import audit_key
from mash.logs import audit_line, get_logger, write_lines
from mash.settings import WorkerSettings
from schemas.common import Envelope, ValidationClock
from schemas.contracts import (
    AGENCY_CONTRACTS,
    CONTACT_COUNT,
    EPISODE,
    EPISODE_SWEEP,
    IDENTITIES,
    LINK,
    POSSIBLE_MATCH,
)
from schemas.framing import Codec, blocks, encode, pack, unpack
from schemas.hub import EpisodeSnapshot, Link
from schemas.registry import codec_for
from sinks.worker import PARENT_PID, run_sinks
from streams.audit import AuditChain, AuditEntry, Decision
from streams.counting import count_contacts
from streams.dedupe import DedupeOutcome, Horizon, dedupe, first_seen
from streams.episodes import Hours, RagPolicy
from streams.hub import HubState
from streams.identities import from_state, to_state
from streams.records import DeadLetter, Incoming, Valid
from streams.validate import validate

__all__ = ["consumed_topics", "create_app", "run_worker"]

log = get_logger(__name__)


def faust_settings(settings: WorkerSettings) -> dict[str, Any]:
    """Faust's configuration, with timeouts short enough that a worker is ready in seconds."""
    return {
        "broker": [f"kafka://{host}" for host in settings.bootstrap_servers.split(",")],
        "store": settings.store,
        "datadir": str(settings.worker_path),
        "web_host": settings.web_host,
        "web_port": settings.web_port,
        "topic_partitions": settings.partitions,
        "topic_replication_factor": 1,
        "broker_session_timeout": settings.session_timeout_s,
        "broker_heartbeat_interval": settings.heartbeat_interval_s,
        "broker_rebalance_timeout": settings.rebalance_timeout_s,
        "broker_commit_interval": settings.commit_interval_s,
        "consumer_auto_offset_reset": "earliest",
        "table_standby_replicas": 0,
        "producer_acks": -1,
        "producer_max_batch_size": 512 * 1024,
        "producer_linger_ms": 5,
    }


@contextmanager
def _as_current(event: faust.types.EventT[Any]) -> Iterator[None]:
    """Make ``event`` current, so table reads and writes go to its partition.

    Faust sets this only while iterating one event at a time; batches need it set by hand.
    """
    token = _current_event.set(weakref.ref(event))
    try:
        yield
    finally:
        _current_event.reset(token)


def _by_partition(
    events: Sequence[faust.types.EventT[Any]],
) -> dict[int, list[faust.types.EventT[Any]]]:
    groups: dict[int, list[faust.types.EventT[Any]]] = defaultdict(list)
    for event in events:
        groups[event.message.partition].append(event)
    return groups


class Ownership:
    """Counts rebalances that took partitions away, so a batch can tell it was overtaken."""

    def __init__(self) -> None:
        self.revocations = 0
        self.next_offset: dict[Any, int] = {}
        """tp -> the offset expected next while this worker keeps the partition."""

    def revoked(self) -> None:
        self.revocations += 1
        self.next_offset.clear()

    def holes(
        self, events: Sequence[faust.types.EventT[Any]], committed: Mapping[Any, int | None]
    ) -> dict[Any, int]:
        """Partitions whose offsets skip one this worker never saw: tp -> the first missing.

        A partition is read from its committed offset on, one offset after another: none
        should be skipped (the hub's topics are neither compacted nor transactional), but
        Faust's consumer can pass over one across a rebalance; each is logged as an error.
        """
        missing: dict[Any, int] = {}
        for event in events:
            m = event.message
            expected = self.next_offset.get(m.tp)
            if expected is None:
                expected = committed.get(m.tp)
            if expected is not None and m.offset > expected and m.tp not in missing:
                log.error(
                    "consumer.offset_gap",
                    topic=m.topic,
                    partition=m.partition,
                    expected=expected,
                    got=m.offset,
                    batch=len(events),
                )
                missing[m.tp] = expected
            if expected is None or m.offset >= expected:
                self.next_offset[m.tp] = m.offset + 1
        for tp, offset in missing.items():
            self.next_offset[tp] = offset  # what the seek back re-reads fits in again
        return missing


async def _batches(
    app: faust.App,
    stream: faust.StreamT[bytes],
    settings: WorkerSettings,
    owner: Ownership,
    size: int,
) -> AsyncIterator[Sequence[faust.types.EventT[Any]]]:
    """Batches of events: the stages work a batch at a time, never one event at a time.

    Only events that were processed while their partition stayed with this worker are
    acknowledged. Events of partitions lost before the batch started are skipped, and a batch
    overtaken by a rebalance is not acknowledged at all: either way the partition's owner
    re-reads them from the last committed offset (outputs are idempotent, so a second pass
    changes nothing). Faust's ``take_events`` acknowledges the whole buffer, so the events not
    to acknowledge are marked as already acknowledged, which makes Faust skip them.
    """
    take = cast(faust.Stream[bytes], stream).take_events  # StreamT does not declare it
    async for events in take(size, settings.batch_within_s):
        committed = cast(Any, app.consumer)._committed_offset  # not in ConsumerT
        for tp, offset in owner.holes(events, committed).items():
            # read the partition again from the first offset it skipped (what comes twice
            # changes nothing; the commit cannot pass the hole meanwhile, see below)
            await app.consumer.seek(tp, offset)
        revocations = owner.revocations
        owned = app.consumer.assignment()
        mine = [e for e in events if e.message.tp in owned]
        if len(mine) < len(events):
            log.info("batch.skipped_revoked", events=len(events) - len(mine))
        if mine:
            yield mine
        overtaken = owner.revocations != revocations
        if overtaken:
            log.info("batch.overtaken_by_rebalance", events=len(events))
        for event in events if overtaken else (e for e in events if e.message.tp not in owned):
            event.message.acked = True  # never commit past an event this worker did not finish


class Output:
    """A topic the hub writes to, straight through Faust's producer.

    Faust's own ``Topic.send`` costs several times more per message (futures and callbacks
    for each); the producer is the same one Faust flushes before it commits offsets.
    """

    def __init__(self, app: faust.App, name: str) -> None:
        self.app = app
        self.name = name
        self.topic = _raw_topic(app, name)

    async def send(
        self, key: bytes | None, value: bytes | None, headers: list[tuple[str, bytes]] | None = None
    ) -> Awaitable[Any]:
        """Queue one message; the result resolves once the broker has it (the commit's flush
        waits for every message anyway, so most callers need not)."""
        return cast(
            Awaitable[Any], await self.app.producer.send(self.name, key, value, None, None, headers)
        )


def _raw_topic(app: faust.App, *names: str) -> faust.TopicT:
    """A topic of plain bytes: the hub frames and decodes its own Avro."""
    return app.topic(*names, key_serializer="raw", value_serializer="raw")


def _incoming(event: faust.types.EventT[Any]) -> Incoming:
    m = event.message
    return Incoming(m.topic, m.partition, m.offset, m.key, m.value or b"")


BLOCK_BYTES = 256 * 1024
"""Largest message the hub packs (well under Kafka's default 1 MB limit)."""


class AuditLog:
    """Chains the decisions of one stage, one chain per partition, onto the audit topic."""

    def __init__(
        self, app: faust.App, settings: WorkerSettings, stage: str, partitions: int
    ) -> None:
        self.key = audit_key(settings)
        self.stage = stage
        self.app_id = settings.app_id
        self.topic = Output(app, settings.topic("audit"))
        self.heads = app.Table(
            f"audit-heads-{stage}", key_type=str, value_type=str, partitions=partitions
        )
        self.chains: dict[str, AuditChain] = {}

    async def write(
        self, partition: int, entries: Sequence[AuditEntry], current: faust.types.EventT[Any]
    ) -> None:
        """Chain and send ``entries``; the head is kept in a changelogged table, written only
        once the broker has the records, so that a restart never resumes the chain past a
        record that was lost with a killed worker (it may resume before records that were
        delivered: a later record of the same position supersedes, see ``sinks.audit``)."""
        if not entries:
            return
        chain_id = f"{self.app_id}.{self.stage}.p{partition}"
        with _as_current(current):
            chain = self.chains.pop(chain_id, None) or self._resume(chain_id)
        records = chain.append(entries)
        texts = [record.to_json() for record in records]
        write_lines(
            "".join(audit_line(r.decision, t) + "\n" for r, t in zip(records, texts, strict=True))
        )
        # a few messages per batch: blocks of consecutive records of the chain, in order
        delivered = [
            await self.topic.send(key=chain_id.encode(), value=b"\n".join(block))
            for block in blocks([t.encode() for t in texts], BLOCK_BYTES, overhead=1)
        ]
        await asyncio.gather(*delivered)  # a failure leaves the chain to resume from the table
        with _as_current(current):
            self.heads[chain_id] = f"{chain.seq}|{chain.head}"
        self.chains[chain_id] = chain

    def _resume(self, chain_id: str) -> AuditChain:
        head = self.heads.get(chain_id)
        if head is None:
            return AuditChain(self.key, chain_id)
        seq, mac = head.split("|")
        return AuditChain(self.key, chain_id, int(seq), mac)


class Intake:
    """Agency topics: validate, de-duplicate, count, and hand fresh events to linkage."""

    def __init__(self, app: faust.App, settings: WorkerSettings, codec: Codec) -> None:
        self.settings = settings
        self.skew = dt.timedelta(seconds=settings.clock_skew_s)
        self.codec = codec
        self.records = app.Table("seen-records", key_type=str, value_type=str)
        self.horizon_ms = int(settings.dedupe_horizon_days * 86_400_000)
        self.horizon: Horizon | None = None
        self.counts = app.Table("contact-counts", key_type=str, value_type=int, default=int)
        self.dead_letters = Output(app, settings.deadletter_topic)
        self.contact_counts = Output(app, settings.topic(CONTACT_COUNT.topic))
        self.topic = _raw_topic(app, *(settings.topic(c.topic) for c in AGENCY_CONTRACTS))
        self.identities = Output(app, settings.topic(IDENTITIES))
        self.audit = AuditLog(app, settings, "intake", settings.partitions)

    async def process(self, events: Sequence[faust.types.EventT[Any]]) -> None:
        """Run one batch through every stage, a partition at a time."""
        clock = ValidationClock(skew=self.skew)
        for partition, group in _by_partition(events).items():
            valid, dead = validate([_incoming(e) for e in group], clock, self.codec)
            now_ms = int(time.time() * 1000)
            with _as_current(group[-1]):
                outcome = dedupe(valid, self.records, now_ms)
                for key, entry in outcome.records.items():
                    self.records[key] = entry
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
                await self.dead_letters.send(
                    key=letter.source.key, value=letter.source.value, headers=letter.headers()
                )
            for count in updated:
                await self.contact_counts.send(
                    key=count.key.encode(), value=encode(CONTACT_COUNT, count)
                )
            # re-sends go on too: linkage ignores an event id it has, and forwarding them keeps
            # an event whose first forward was lost in a crash (after its id was marked seen);
            # packed, a few messages per batch
            frames = [item.source.value for item in [*outcome.fresh, *outcome.resent]]
            for block in blocks(frames, BLOCK_BYTES, overhead=4):
                await self.identities.send(key=str(partition).encode(), value=pack(block))
            await self.audit.write(partition, _intake_audit(valid, dead, outcome), group[-1])

    def _forget_expired(self, partition: int, outcome: DedupeOutcome, now_ms: int) -> None:
        """Delete this partition's de-duplication entries older than the horizon (the event
        current is of this partition, so the deletions reach its changelog)."""
        if self.horizon is None:  # after a start or a rebalance: index what the table holds
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
    valid: Sequence[Valid], dead: Sequence[DeadLetter], outcome: DedupeOutcome
) -> list[AuditEntry]:
    at = dt.datetime.now(dt.UTC).isoformat()
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


class Linkage:
    """The single-partition linkage stage: persons, links, reviews and episodes."""

    def __init__(self, app: faust.App, settings: WorkerSettings, codec: Codec) -> None:
        self.codec = codec
        # values are plain JSON (no value_type: Faust would treat it as a Record class)
        self.records = app.Table("hub-records", key_type=str, partitions=1)
        self.links = Output(app, settings.topic(LINK.topic))
        self.reviews = Output(app, settings.topic(POSSIBLE_MATCH.topic))
        self.episodes = Output(app, settings.topic(EPISODE.topic))
        self.dead_letters = Output(app, settings.deadletter_topic)
        self.audit = AuditLog(app, settings, "linkage", 1)
        self.policy = RagPolicy(
            hours={
                "RED": settings.rag_red_h,
                "AMBER": settings.rag_amber_h,
                "GREEN": settings.rag_green_h,
            },
            counting=Hours(settings.rag_hours),
            window=dt.timedelta(hours=settings.episode_window_h),
        )
        self.state: HubState | None = None
        self.app = app
        self.partitions = settings.partitions
        self.epoch = 0
        self.batches = 0
        self.republish = False
        self.reported = 0.0
        self.batch_size = settings.batch_size

    def _state(self) -> HubState:
        if self.state is None:
            self.state = HubState(policy=self.policy)
            stored = [from_state(v) for v in self.records.values()]
            self.state.restore(stored)
            # versions: the restore time, then a batch counter. A worker that restores later
            # outranks anything an earlier owner sent, even messages still in flight.
            self.epoch = time.time_ns() // 1_000_000 * 1_000_000
            self.batches = 0
            self.republish = True
            log.info("linkage.restored", records=len(stored))
        return self.state

    async def process(self, events: Sequence[faust.types.EventT[Any]]) -> None:
        """Link a batch and publish what changed."""
        state = self._state()
        decoded = []
        for event in events:
            try:
                frames = unpack(event.message.value or b"")
            except ContractError as exc:
                await self._dead_letter(event, event.message.value or b"", str(exc))
                continue
            for frame in frames:
                try:
                    model = self.codec.decode(frame)
                except ContractError as exc:  # validated by intake: a broken deployment
                    await self._dead_letter(event, frame, str(exc))
                    continue
                if isinstance(model, Envelope):
                    decoded.append(model)
        if self.republish:
            await self._republish(state)
        out = state.process(decoded, dt.datetime.now(dt.UTC).isoformat())
        with _as_current(events[-1]):
            for record_id, (record, summary) in out.records.items():
                self.records[record_id] = to_state(record, summary)
        version = self._version()
        for link in out.links:
            await self._send_link(link, version)
        for review in out.reviews:
            await self.reviews.send(
                key=review.record_id.encode(), value=encode(POSSIBLE_MATCH, review)
            )
        for episode_id, snapshot in out.episodes.items():
            await self._send_episode(episode_id, snapshot, version)
        await self.audit.write(0, out.audit, events[-1])
        now = time.monotonic()
        if now - self.reported > 2 or len(events) < self.batch_size:  # caught up: say so
            self.reported = now
            persons = len(set(state.linker.person.values()))
            log.info("linkage.index", records=len(state.linker.records), persons=persons)

    async def _dead_letter(self, event: faust.types.EventT[Any], frame: bytes, reason: str) -> None:
        """An event intake passed that linkage cannot decode (a schema registry down, a
        worker of another version): to the dead-letter topic with the reason, not lost."""
        letter = DeadLetter(dataclasses.replace(_incoming(event), value=frame), "linkage", reason)
        log.error("linkage.undecodable", offset=event.message.offset, reason=reason)
        await self.dead_letters.send(key=None, value=frame, headers=letter.headers())

    def _version(self) -> int:
        self.batches += 1
        return self.epoch + self.batches

    async def _send_link(self, link: Link, version: int) -> None:
        stamped = link.model_copy(update={"version": version})
        await self.links.send(key=link.record_id.encode(), value=encode(LINK, stamped))

    async def _send_episode(
        self, episode_id: str, snapshot: EpisodeSnapshot | None, version: int
    ) -> None:
        value = (
            None
            if snapshot is None
            else encode(EPISODE, snapshot.model_copy(update={"version": version}))
        )
        await self.episodes.send(
            key=episode_id.encode(), value=value, headers=[("mash.version", str(version).encode())]
        )

    async def _republish(self, state: HubState) -> None:
        """After a restore, state every link and episode again, then sweep older episodes.

        What the previous owner sent last may have been lost with it; the sweep removes
        episodes that exist no more (their tombstone may have been lost too).
        """
        version = self._version()
        for record_id in state.linker.records:
            await self._send_link(state.reissue(record_id), version)
        for episode_id, snapshot in state.snapshots.items():
            await self._send_episode(episode_id, snapshot, version)
        for partition in range(self.partitions):
            await self.app.producer.send(
                self.episodes.name,
                EPISODE_SWEEP,
                None,
                partition,
                None,
                [("mash.version", str(version).encode())],
            )
        self.republish = False
        log.info(
            "linkage.republished", records=len(state.linker.records), episodes=len(state.snapshots)
        )


def consumed_topics(settings: WorkerSettings) -> list[str]:
    """Every topic the streams' agents consume (all of it processed means: drained)."""
    return [*(settings.topic(c.topic) for c in AGENCY_CONTRACTS), settings.topic(IDENTITIES)]


def create_app(settings: WorkerSettings) -> faust.App:
    """A Faust app with the hub's agents: intake and linkage (the sinks run beside it)."""
    app = faust.App(settings.app_id, **faust_settings(settings))
    codec = codec_for(settings.schema_registry_url)
    intake = Intake(app, settings, codec)
    linkage = Linkage(app, settings, codec)
    owner = Ownership()

    async def intake_agent(stream: faust.StreamT[bytes]) -> None:
        async for events in _batches(app, stream, settings, owner, settings.batch_size):
            await intake.process(events)

    async def linkage_agent(stream: faust.StreamT[bytes]) -> None:
        # intake sends about one pack per partition and batch: this many packs are a few
        # batches of events (bounded: a backlog must not make one huge linkage batch)
        async for events in _batches(app, stream, settings, owner, 4 * settings.partitions):
            await linkage.process(events)

    async def forget(sender: Any, *_: Any, **__: Any) -> None:
        # state kept in memory is only valid while this worker owns the partitions it came
        # from; after a rebalance it is rebuilt from the changelogged tables
        owner.revoked()
        linkage.state = None
        intake.audit.chains.clear()
        intake.horizon = None
        linkage.audit.chains.clear()

    _ack_only_the_current_generation(app)
    _commit_only_what_was_processed(app)
    app.on_partitions_revoked.connect(forget)  # type: ignore[arg-type]  # mode's stub wants a signal kwarg
    app.agent(intake.topic, name="intake", concurrency=1)(intake_agent)
    app.agent(intake.identities.topic, name="linkage", concurrency=1)(linkage_agent)
    return app


def _commit_only_what_was_processed(app: faust.App) -> None:
    """Never commit past an offset that was not acknowledged.

    Faust's consumer commits the run of acknowledged offsets that follows the committed
    offset, but counts "next after committed + 1" as following it (an off-by-one: the
    committed offset is the next one to read), and papers over offsets it saw skipped; either
    way one unprocessed event could be committed past. Here the run must start exactly at the
    committed offset, or nothing is committed until the missing event is processed.
    """
    consumer: Any = app.consumer  # Faust's Consumer: its bookkeeping is not in ConsumerT
    new_offset = consumer._new_offset
    acked, committed, gaps = consumer._acked, consumer._committed_offset, consumer._gap

    def contiguous(tp: Any) -> int | None:
        gaps.pop(tp, None)
        done, start = acked.get(tp), committed.get(tp)
        if done and start is not None and min(done) > start:
            return None
        return cast(int | None, new_offset(tp))

    consumer._new_offset = contiguous


def _ack_only_the_current_generation(app: faust.App) -> None:
    """Never acknowledge a message fetched before the latest rebalance.

    Faust's stream skips a message of an older consumer generation *and acknowledges it*
    ("otherwise the lag would increase"), so its offset can be committed in the new
    generation while the re-fetched copy never reaches the stream: an event lost (seen here
    with two workers, about one run in eight). Such a message is read again from the committed
    offset by whoever owns its partition now, so the acknowledgement is simply not recorded.
    """
    consumer = app.consumer
    ack = consumer.ack

    def ack_current(message: Any) -> bool:
        fetched_in = message.generation_id
        if fetched_in is not None and fetched_in != app.consumer_generation_id:
            return False
        return ack(message)

    consumer.ack = ack_current  # type: ignore[method-assign]


def run_worker(settings: WorkerSettings) -> None:
    """Run the streams in the foreground until stopped (SIGINT/SIGTERM), and unless the role
    says otherwise the sinks beside them in a child process that dies with this one."""
    if settings.role == "sinks":
        run_sinks(settings)
        return
    settings.worker_path.mkdir(parents=True, exist_ok=True)
    ensure_hub_topics(settings)
    app = create_app(settings)
    sinks = _Sinks() if settings.role == "all" else None
    if sinks is not None:
        app.timer(1.0)(sinks.watch)
    worker = faust.Worker(app, loglevel=settings.log_level, override_logging=False, quiet=True)
    try:
        worker.execute_from_commandline()
    finally:
        if sinks is not None:
            sinks.stop()


class _Sinks:
    """The sinks' process beside the streams: `mash worker` with the sinks' role, sharing
    this process's settings and output, restarted (with a growing pause) if it exits."""

    def __init__(self) -> None:
        self.pause_s = 1.0
        self.process = self._start()

    @staticmethod
    def _start() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "mash.cli", "worker"],
            env={**os.environ, "MASH_ROLE": "sinks", PARENT_PID: str(os.getpid())},
            stdin=subprocess.DEVNULL,
        )

    async def watch(self) -> None:
        """Never a worker without its sinks: restart them if they exited."""
        if self.process.poll() is None:
            return
        log.error("sinks.exited", status=self.process.returncode, restart_in_s=self.pause_s)
        await asyncio.sleep(self.pause_s)
        self.pause_s = min(self.pause_s * 2, 60.0)
        self.process = self._start()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
