"""Linkage wiring: the single-partition hand-over topic through the person index and the
episode join, publishing links, possible matches and episode snapshots."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import gc
import os
import time
import weakref
from collections.abc import Awaitable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import faust

from plumbing.errors import ContractError, NotAMember
from plumbing.heap import give_back, resident_mb
from plumbing.logs import get_logger
from plumbing.processes import Ended
from plumbing.settings import WorkerSettings
from schemas.common import Envelope
from schemas.contracts import (
    EPISODE,
    EPISODE_FENCE,
    EPISODE_SWEEP,
    FENCE_SEEN_HEADER,
    LINK,
    POSSIBLE_MATCH,
)
from schemas.framing import Codec, encode, unpack
from schemas.hub import EpisodeSnapshot, Link
from schemas.topics import Stage, Table
from streams.durable import DurableMark, LinkageTable
from streams.episodes import Hours, RagPolicy
from streams.faust_internals import (
    active_offsets,
    as_current,
    still_a_member,
    store_files_reader,
    stored_items,
)
from streams.hub import HubOutput, HubState, preload_snapshot, restore_table
from streams.identities import (
    LinkageEntry,
    decision_key,
    encode_decision,
    table_entries,
)
from streams.linkage import Linker, PairDecision
from streams.model import load_model
from streams.outputs import AuditLog, Output, incoming
from streams.records import DeadLetter
from streams.scan_ahead import ScanAhead
from streams.snapshot import (
    CoveredCheck,
    IndexSnapshot,
    abandon,
    check_covered,
    checked,
    remove_stale_parts,
    save_ended,
    save_in_background,
    saved_blocks,
    saved_links,
    snapshot_path,
    snapshot_version,
    stop_check,
)

__all__ = ["DURABLE_KEY", "Linkage", "Pending", "Throttle", "linkage_batch_packs", "mark_key"]

log = get_logger(__name__)

DURABLE_KEY = "mark:durable"
"""The prefix of the linkage table's durable marks: ``mark:durable:<epoch>`` holds, for the
owner that restored at ``epoch``, the version of its last batch whose every output the broker
acknowledged, and the watermark then (written only after the acks; as it restores, before it
sends anything, with the version ``epoch``: none yet), the highest version its restore read,
and what its sweep covered (``streams.durable.DurableMark``). The key itself holds the
single mark of older tables, read as covering every version up to its own."""

STOP_SAVE_TAIL = 10_000
"""A clean stop saves the index only if at least this many of its records are not in the
snapshot on disk (``Linkage._recent_enough``): the restart would decode and file them, about
8,000 a second on the development machine (12.6-13.1 s for a tail of 97,000 at 400,000
records, measured), so such a tail costs it about a second more. A save costs the stop
about 15 us a record of the index (0.37-0.46 s for 30,000 in process): about 6 s at
400,000 records, 15 s at a million, within ``linkage_snapshot_stop_s`` on a quiet machine
(past it the save is abandoned and the restart files the tail)."""

TAIL_SHARE = 8
"""A save of the index is also due once the records indexed since the last save began reach
this share of the index (``Linkage._save_step``; at least ``SAVE_STEP_FLOOR`` records, or
the setting if lower, and at most ``linkage_snapshot_records``): a kill -9 leaves a restart
at most an eighth of the index or the floor, whichever is more (plus what was indexed while
a save ran), to decode and file, about 8,000 records a second here, on top of the
snapshot's load. A save costs about 15 us a record of the index, so saving every eighth
costs about 120 us of CPU a record indexed, in a forked child, while the share sets the
step (80,000-400,000 records with the defaults); below, the floor makes it cheaper; above,
the cap keeps the tail short and the cost grows with the index (about 300 us at a
million)."""

SAVE_STEP_FLOOR = 10_000
"""The fewest records indexed since the last save that make one due by count (unless
``linkage_snapshot_records`` is lower): below it a restart's tail files in about a second,
and a small index is not saved at every batch."""

IDLE_SAVE_S = 5.0
"""A worker that has linked no batch for this long saves its index if records were indexed
since its last save began (``Linkage.save_when_idle``): the restart of a hub gone quiet (a
deployment, a kill -9 after a burst) then loads the whole index from the snapshot and files
no tail (at 100,000 records the first new event came 5.2 s after a kill with no tail,
against 6.5-7.8 s with tails of 6,000-9,000: the bench, measured)."""

IDLE_SAVE_SPACING = 10
"""An idle save begins at least this many times the last save's seconds of CPU (its child's,
as reaped) after the last save began (``Linkage._spaced``): at a million records a save
takes its forked child about 15 s of CPU, so a hub whose events come 5 s or more apart saves
by idleness at most every 150 s, a tenth of a core, not after every event (events closer
than ``IDLE_SAVE_S`` make no idle save at all). CPU, not the wall time from the fork to the
reaping: a save reaped at the next batch, or slowed by the worker and the sinks on two
cores, took 6.9 s of wall time at 94,000 records, which held the idle save back for over a
minute."""

SAVE_RETRY_S = 60.0
"""After a save failed (its child, or the fork), none begins for this long, or for
``IDLE_SAVE_SPACING`` times the CPU seconds its child used if longer, and then the records
the snapshot on disk lacks make the next one due (``Linkage._reaped``): a full disk is not
written again at every batch, and a worker gone quiet retries its idle save instead of
leaving the restart a tail until new records come. The spacing bounds what a failure that
repeats costs to a tenth of a core (at a million records a save that fails as it ends has
used about 15 s of CPU: tried every 150 s, not every 60)."""

AHEAD_WAIT_S = 120.0
"""How long the first restore waits for the table read beside the preload
(``streams.scan_ahead``) before it reads the table itself: the read takes about 6 s of CPU a
million records, and a wait holds no interpreter lock (the consumer's heartbeat goes on)."""


async def _waited(path: Path, pid: int, deadline: float) -> Ended | None:
    """How the background save ``pid`` of ``path`` ended, waited for until ``deadline``
    (monotonic); None: abandoned then, unfinished (the last snapshot stays)."""
    while (ended := save_ended(pid)) is None:
        if time.monotonic() >= deadline:
            abandon(path, pid)
            return None
        await asyncio.sleep(0.02)
    return ended


def _how_it_ended(ended: Ended | None) -> dict[str, Any]:
    """A save's end as its log line gives it: why it failed (None: it did not; "out of
    time": abandoned, ``ended`` None) and, if it ended, its child's CPU seconds and peak
    (the peak counts the index it shared; ``mash bench`` reports it)."""
    if ended is None:
        return {"reason": "out of time"}
    return {
        "reason": None if ended.ok else "failed",
        "cpu_s": round(ended.cpu_s, 2),
        "peak_mb": round(ended.peak_mb),
    }


def _short_tail(state: HubState, saved: int) -> bool:
    """Whether a snapshot of ``saved`` records leaves a restart of ``state`` fewer than
    ``STOP_SAVE_TAIL`` records to file."""
    return len(state.linker.person) - saved < STOP_SAVE_TAIL


def mark_key(epoch: int) -> str:
    """The linkage table's key of the durable mark of the owner that restored at ``epoch``."""
    return f"{DURABLE_KEY}:{epoch}"


@dataclass
class Pending:
    """The entries and decisions a restore read past the durable point, which the owner
    writes again under its own version with its restore mark (``Linkage._write_again``)."""

    entries: list[LinkageEntry] = field(default_factory=list)
    decisions: list[PairDecision] = field(default_factory=list)


def linkage_batch_packs(settings: WorkerSettings) -> int:
    """The most packed messages in one linkage batch: intake sends about one pack per
    partition and batch, so this many are a few intake batches (bounded: a backlog must not
    make one huge linkage batch)."""
    return 4 * settings.partitions


class Throttle:
    """Whether to report now: at most once per interval while busy, and whenever a batch
    shows the stage has caught up (it was not full)."""

    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self.last = float("-inf")

    def restart(self, now: float) -> None:
        """Count the interval afresh from ``now``."""
        self.last = now

    def due(self, now: float, caught_up: bool) -> bool:
        """True if a report is due; the caller reports."""
        if caught_up or now - self.last >= self.interval_s:
            self.last = now
            return True
        return False


class Linkage:
    """The single-partition linkage stage: persons, links, reviews and episodes."""

    def __init__(self, app: faust.App, settings: WorkerSettings, codec: Codec) -> None:
        self.codec = codec
        # values are plain JSON (no value_type: Faust would treat it as a Record class)
        self.records = app.Table(Table.HUB_RECORDS, key_type=str, partitions=1)
        self.links = Output(app, settings.topic(LINK.topic))
        self.reviews = Output(app, settings.topic(POSSIBLE_MATCH.topic))
        self.episodes = Output(app, settings.topic(EPISODE.topic))
        self.dead_letters = Output(app, settings.deadletter_topic)
        self.audit = AuditLog(app, settings, Stage.LINKAGE, 1)
        self.policy = RagPolicy(
            hours={
                "RED": settings.rag_red_h,
                "AMBER": settings.rag_amber_h,
                "GREEN": settings.rag_green_h,
            },
            counting=Hours(settings.rag_hours),
            window=dt.timedelta(hours=settings.episode_window_h),
        )
        self.model = load_model(settings.linkage_model)
        self.state: HubState | None = None
        self.app = app
        self.partitions = settings.partitions
        self.epoch = 0
        self.batches = 0
        self.mark = DurableMark(0, 0, dt.datetime(1970, 1, 1, tzinfo=dt.UTC))
        """This owner's durable mark (epoch, last acknowledged version, watermark, what its
        restore saw and what its sweep covered), written with each batch."""
        self.mark_due = False
        """A restore happened and its mark (no batch acknowledged yet) is not written yet."""
        self.overtaken: int | None = None
        """What the restore found written by an older owner after a newer one restored."""
        self.complete = 0
        """What this owner's fence lets stand (``_fence``): ``LinkageTable.complete``."""
        self.resend: HubOutput | None = None
        """After a restore: what to send again (None: everything)."""
        self.republish_due = False
        """A restore happened and its republish has not been sent yet."""
        self.read_past = Pending()
        """The entries and decisions the restore read past the durable point, to be written
        again with the restore mark (``_write_again``)."""
        self.batch_packs = linkage_batch_packs(settings)
        self.report = Throttle(interval_s=2.0)
        self.snapshot = (
            snapshot_path(settings.worker_path) if settings.linkage_snapshot_s > 0 else None
        )
        self.snapshot_due = Throttle(interval_s=settings.linkage_snapshot_s)
        self.snapshot_records = settings.linkage_snapshot_records
        self.saved_records = 0
        """The index's size when the last save began, or the restored snapshot's."""
        self.saving_records = 0
        """The index's size in the save under way."""
        self.on_disk = 0
        """The records of the snapshot on disk, as far as this owner knows (the restored
        one's, or its own last save that ended well; 0: none known)."""
        self.saving: int | None = None
        """The pid of the background save under way."""
        self.save_began = float("-inf")
        """When (monotonic) the last background save began."""
        self.retry_at = float("-inf")
        """No save begins before this (monotonic): ``SAVE_RETRY_S`` (or ten times its CPU)
        after one failed."""
        self.save_cpu_s = 0.0
        """The seconds of CPU the last background save's child used (``_reaped``)."""
        self.last_batch = time.monotonic()
        """When the last batch's durable mark was written (``save_when_idle``)."""
        self.stopping = False
        """The stop's save has begun: no idle save may begin beside it."""
        self.sealed: tuple[weakref.ref[HubState], list[str], int] | None = None
        """The state whose blocks that save is writing (sealed), its records' ids in the
        save's order and its version: its arrays are held instead once it has ended well
        (``_take_arrays``). By weak reference: a state dropped meanwhile (a revocation, a
        failed batch) is freed at once, not kept until the save is reaped."""
        self.preloaded: IndexSnapshot | None = None
        """The snapshot loaded as the worker started (``preload``), until the first restore."""
        self.ahead: ScanAhead | None = None
        """The table read beside that load (``preload``), until the first restore."""
        self.checking: CoveredCheck | None = None
        """The check under way of the entries the last restore took from the snapshot."""
        self.releasing: set[asyncio.Future[None]] = set()
        """The releases under way of the stored bytes restores held (``_release``)."""
        self.indexed: int | None = None
        """The version the index reflects, its durable mark written (None: not restored, or
        no batch of this owner's acknowledged yet, or a batch changed the index after its
        last mark, or the state was dropped since): what a save at a stop, or by idleness,
        may claim."""
        self.stop_save_s = settings.linkage_snapshot_stop_s
        if self.snapshot is not None and (stale := remove_stale_parts(self.snapshot)):
            log.warning("linkage.snapshot_parts_removed", pids=stale)  # before any save

    def preload(self) -> None:
        """Load the index snapshot now, as the worker starts and before it joins its group
        (``streams.hub.preload_snapshot``), for the first restore."""
        if self.snapshot is None:
            return
        started = time.perf_counter()
        after = snapshot_version(self.snapshot, self.model.version)
        read = None if after is None else store_files_reader(self.records)
        if read is not None and after is not None:  # the table read beside the load
            self.ahead = ScanAhead.start(read, after, DURABLE_KEY)
        self.preloaded = preload_snapshot(self.snapshot, self.model.version)
        if self.preloaded is not None:
            log.info(
                "linkage.snapshot_preloaded",
                version=self.preloaded.version,
                records=len(self.preloaded.person),
                seconds=round(time.perf_counter() - started, 2),
                read_beside=self.ahead is not None,
            )
        elif self.ahead is not None:
            self._stop_ahead()

    def assigned_elsewhere(self) -> None:
        """Linkage went to another worker: the preloaded snapshot is of no use here."""
        if self.preloaded is not None:
            self.preloaded = None
            log.info("linkage.snapshot_preload_dropped", reason="linkage assigned elsewhere")
        self._stop_ahead()

    def _stop_ahead(self) -> None:
        """Stop the read beside the preload, if one is under way."""
        if self.ahead is not None:
            self.ahead.stop()
            self.ahead = None

    def restored(self) -> HubState:
        """The linkage state: held, or restored now from the changelogged table. A restore
        that fails keeps no state: the batch, read again, restores again (in full if the
        index snapshot failed it: ``streams.hub.restore_table``)."""
        if self.state is None:
            self.indexed = None
            self.state = HubState(policy=self.policy, linker=Linker(model=self.model))
            try:
                self._restore(self.state)
            except BaseException:
                self.state = None  # half restored
                raise
        return self.state

    def _restore(self, state: HubState) -> None:
        """Restore ``state`` and take up what the restore read (``_take_restored``); if that
        fails, the check begun by the read beside the preload goes too."""
        started = time.perf_counter()
        table, check = self._restore_table(state)
        try:
            self._take_restored(state, table, check, started)
        except BaseException:
            if check is not None and self.checking is not check:
                stop_check(check)  # not followed yet: stopped and reaped here
            raise

    def _take_restored(
        self, state: HubState, table: LinkageTable, check: CoveredCheck | None, started: float
    ) -> None:
        """After ``state`` was restored from ``table``: the snapshot's count, this owner's
        epoch and mark, what to send again, the restore's log line, the check of the entries
        a snapshot stood for, and the table's held bytes given back."""
        self.snapshot_due.restart(time.monotonic())
        self.on_disk = self.saved_records = (
            0 if table.from_snapshot is None else len(state.linker.person) - len(table.entries)
        )
        # versions: the restore time, then a batch counter. A worker that restores later
        # outranks anything an earlier owner sent, even messages still in flight.
        self.epoch = time.time_ns() // 1_000_000 * 1_000_000
        self.batches = 0
        # version = epoch: none of its batches acknowledged; the watermark from which
        # this restore sends clocks again, in case its own republish is lost
        self.complete = table.complete
        # seen: the durable point, not the highest version read; what the restore read
        # above it (a batch no mark covers, perhaps in part) it writes again under its
        # own version with its restore mark (``_write_again``), so that whatever a
        # later restore finds there is an older owner's late write (``overtaken``)
        seen = table.latest if table.durable is None else table.durable
        self.mark = DurableMark(self.epoch, self.epoch, table.durable_watermark, seen)
        self.mark_due, self.overtaken = True, table.overtaken
        late = set(table.after_durable)
        self.resend = (
            None
            if table.durable is None or table.overtaken is not None
            else state.republish(table.after_durable, table.durable_watermark)
        )
        self.read_past = Pending(
            [e for e in table.entries if e.record.record_id in late], table.late_decisions
        )
        log.info(
            "linkage.restored",
            records=table.records,
            decisions=len(table.decisions),
            after_durable=len(table.after_durable),
            durable=table.durable,
            overtaken=table.overtaken,
            seconds=round(time.perf_counter() - started, 2),
            model=self.model.version,
            snapshot=table.from_snapshot,
            read_beside=check is not None,
        )
        if table.unreadable:  # ids and reasons only: the values may hold names
            log.error(
                "linkage.unreadable_entries",
                count=len(table.unreadable),
                entries=[f"{key}: {why}" for key, why in table.unreadable[:20]],
            )
        if check is None:
            self._check(table.covered)
        else:  # the child that read the table checks them
            self._check_under_way(check)
        self.republish_due = True
        self._release(table.covered)

    def _restore_table(self, state: HubState) -> tuple[LinkageTable, CoveredCheck | None]:
        """Restore ``state`` from the table (``restore_table``): at the first restore, from
        the snapshot preloaded and the table read beside it where that read still stands
        for the table (``streams.scan_ahead``), with the check of the entries the snapshot
        stands for, under way in the child that read them (else None)."""
        preloaded, self.preloaded = self.preloaded, None  # once: a restore adopts it
        ahead, self.ahead = self.ahead, None
        taken = None
        if ahead is not None:
            try:
                version = None if preloaded is None else preloaded.version
                taken = ahead.take(version, active_offsets(self.records), AHEAD_WAIT_S)
            except BaseException:  # whatever failed, the child and its pipes go
                ahead.stop()
                raise
        scanned, check = (None, None) if taken is None else taken
        try:
            table = restore_table(
                state, stored_items(self.records), DURABLE_KEY, self.snapshot, preloaded, scanned
            )
        except BaseException:
            if check is not None:
                stop_check(check)
            raise
        if check is not None and (scanned is None or scanned.table is not table):
            stop_check(check)  # the snapshot did not fit what it read: the table was read
            check = None
        return table, check

    def _release(self, covered: list[Any]) -> None:
        """Free the stored bytes a restore held for the check (about 800 MB at a million
        records, in a million blocks: 1.5 s to free at once, measured), then give the memory
        back to the system (``plumbing.heap``). In a running worker a step at a time, the
        loop served between steps: the first batch after the restore does not wait for it,
        nor does the consumer's heartbeat thread wait for one long free."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # no loop (a restore called outside the worker): at once
            covered.clear()
            give_back("linkage restored")
            return
        release = asyncio.ensure_future(_release_in_steps(covered))
        self.releasing.add(release)  # held: the loop keeps only a weak reference to a task
        release.add_done_callback(self.releasing.discard)

    def _check(self, covered: list[tuple[str, int, bytes]]) -> None:
        """Decode in the background the entries the restore took from the snapshot, so that
        a damaged one is reported (``_checked``) as a full rebuild reports it."""
        if not covered:
            return
        if self.checking is not None:  # one at a time: the older goes on
            log.info(
                "linkage.covered_not_checked",
                entries=len(covered),
                reason="the check of an earlier restore is under way",
            )
            return
        try:
            self.checking = check_covered(covered)
        except OSError as exc:  # no fork left: the entries stay unchecked, and it is said
            log.warning(
                "linkage.covered_not_checked", entries=len(covered), reason=type(exc).__name__
            )

    def _check_under_way(self, check: CoveredCheck) -> None:
        """Follow ``check``, begun by the read beside the preload (the first restore's: no
        other check can be under way)."""
        if self.checking is not None:
            stop_check(check)
            log.info("linkage.covered_not_checked", entries=check.entries, reason="one at a time")
            return
        self.checking = check

    def _checked(self, wait: bool = False) -> None:
        """Log the finding of the check under way, if it has ended (``wait``: wait for it)."""
        check = self.checking
        if check is None:
            return
        try:
            found = checked(check, wait)
        except Exception as exc:  # a check that failed itself: linkage goes on
            self.checking = None
            with contextlib.suppress(OSError):
                os.close(check.reader)
            log.warning(
                "linkage.covered_not_checked", entries=check.entries, reason=type(exc).__name__
            )
            return
        if found is None:
            return
        self.checking = None
        count, named = found
        if count:  # ids and reasons only: the values may hold names
            log.error(
                "linkage.unreadable_entries",
                count=count,
                entries=[f"{key}: {why}" for key, why in named],
                covered_by_snapshot=True,
            )
        else:
            log.info("linkage.covered_checked", entries=check.entries)

    async def republish_now(self) -> None:
        """Send a restore's republish now and wait for the broker (a restore by the alert
        timer: no event may come for a while, and the republish must not wait for one)."""
        if self.state is None or not self.republish_due:
            return
        await asyncio.gather(*await self._republish(self.state))

    async def process(self, events: Sequence[faust.types.EventT[Any]]) -> None:
        """Link a batch and publish what changed."""
        if self.state is None and not await still_a_member(self.app):
            raise NotAMember(
                "the group no longer counts this worker a member: its batch is left to the "
                "partitions' next owner"
            )
        state = self.restored()
        if self.mark_due:  # before anything is sent: a later restore sees this one
            with as_current(events[-1]):
                self.records[mark_key(self.epoch)] = self.mark.encode()
                self._write_again()
            self.mark_due = False
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
        with self.dropped_on_failure():
            await self._link(state, decoded, events)

    @contextlib.contextmanager
    def dropped_on_failure(self) -> Iterator[None]:
        """A batch that fails part way (a send the broker never took, a write refused)
        leaves the state holding records the table or the topics may not: the state is
        dropped, so the batch read again meets the state restored from the table, and the
        restore sends again what its owner had not marked durable (never a record skipped
        as indexed while its entry, link or episode was lost)."""
        try:
            yield
        except Exception:
            self.state, self.indexed = None, None
            log.warning("linkage.state_dropped", reason="the batch failed part way")
            raise

    async def _link(
        self,
        state: HubState,
        decoded: list[Envelope],
        events: Sequence[faust.types.EventT[Any]],
    ) -> None:
        """Link the decoded events, write their table entries, send every output, and mark
        the batch durable once the broker has it all."""
        sent: list[Awaitable[Any]] = []
        if self.republish_due:
            sent += await self._republish(state)
        self.indexed = None  # until this batch's durable mark
        out = state.process(decoded, dt.datetime.now(dt.UTC).isoformat())
        version = self._version()
        # the audit first, its chain's head on the broker too: an entry the table holds was
        # audited, so a batch read again after a crash, whose records a restore finds indexed
        # and skips, lost no audit; a crash before the entries audits the batch again
        await self.audit.write(0, out.audit, events[-1])
        with as_current(events[-1]):
            for key, value in table_entries(out, version):
                self.records[key] = value
        sent += [await self._send_link(link, version) for link in out.links]
        for review in out.reviews:
            sent.append(
                await self.reviews.send(
                    key=review.record_id.encode(), value=encode(POSSIBLE_MATCH, review)
                )
            )
        for episode_id, snapshot in out.episodes.items():
            sent.append(await self._send_episode(episode_id, snapshot, version))
        await asyncio.gather(*sent)  # the broker has every output: a durable point
        with as_current(events[-1]):
            self._mark_durable(state, version)
        if self.state is state:  # not revoked meanwhile: a state restored since claims none
            self.indexed = version
        self.last_batch = time.monotonic()
        self._save_index(state, version)
        self._checked()
        if self.report.due(time.monotonic(), caught_up=len(events) < self.batch_packs):
            persons = len(set(state.linker.person.values()))
            log.info(
                "linkage.index",
                records=len(state.linker.records),
                persons=persons,
                frozen=gc.get_freeze_count(),  # kept from the collector: grows with the index
                resident_mb=_rounded(resident_mb()),  # the worker's memory beside its index
            )

    def _save_index(self, state: HubState, version: int, idle: bool = False) -> None:
        """Save the built index (``streams.snapshot``) when due, in the background: after
        the durable mark of ``version``, so that a restore finds the mark that tells the
        table holds all it reflects. One save at a time; the last one's end is logged.
        ``idle``: no batch came for ``IDLE_SAVE_S`` and the last save began long enough ago
        (``save_when_idle``), so any record indexed since makes one due."""
        if not self._reaped():
            return
        now, records = time.monotonic(), len(state.linker.person)
        if now < self.retry_at:
            return
        grown = records - self.saved_records
        if self.snapshot is None or not (
            self.snapshot_due.due(now, False)
            or 0 < self._save_step(records) <= grown
            or (idle and grown > 0)
        ):
            return
        self.snapshot_due.restart(now)
        self.save_began = now
        let_go = state.set_aside_episodes()  # as a restore leaves them: built when needed
        ids = list(state.linker.person)  # the save's order of the records (``save_snapshot``)
        state.linker.seal()
        try:
            self.saving = save_in_background(self.snapshot, state.linker, state.summaries, version)
        except OSError as exc:  # no fork left: linkage goes on, the table stays the truth
            state.linker.unseal()
            log.warning("linkage.snapshot_failed", reason=type(exc).__name__)
            self.retry_at = now + SAVE_RETRY_S
            return
        self.sealed = (weakref.ref(state), ids, version)
        self.saved_records = self.saving_records = records
        log.info(
            "linkage.snapshot_saving",
            version=version,
            pid=self.saving,
            records=records,
            grown=grown,
            episodes_let_go=let_go,
            idle=idle,
        )
        give_back("linkage index saving")  # what the batches since the last save freed

    def save_when_idle(self, now: float) -> None:
        """A timer's tick (``now``, monotonic): if no batch came for ``IDLE_SAVE_S``, save
        the index as its last batch left it, when records were indexed since the last save
        (``_save_index``). Only with the index at its last batch's durable mark (a batch
        sets ``indexed`` to None before it changes the state: the awaits before that, such
        as a dead letter's, leave it as that mark says), and never beside the stop's save."""
        state, version = self.state, self.indexed
        if self.stopping or state is None or version is None:
            return
        if now - self.last_batch >= IDLE_SAVE_S and self._reaped() and self._spaced(now):
            self._save_index(state, version, idle=True)  # a save that ended is reaped first

    def _spaced(self, now: float) -> bool:
        """Whether an idle save may begin ``now``: ``IDLE_SAVE_SPACING`` times the last
        save's seconds of CPU after it began."""
        return now - self.save_began >= IDLE_SAVE_SPACING * self.save_cpu_s

    def _save_step(self, records: int) -> int:
        """How many records indexed since the last save began make a save due, for an index
        of ``records`` (0: by time only): an eighth of it (``TAIL_SHARE``), bounded by
        ``SAVE_STEP_FLOOR`` and ``linkage_snapshot_records``."""
        return min(self.snapshot_records, max(SAVE_STEP_FLOOR, records // TAIL_SHARE))

    def end_check(self) -> None:
        """At a stop: log the check's finding if it has ended, else stop it (its entries are
        checked again by the next restore from the snapshot)."""
        self._checked()
        if (check := self.checking) is not None:
            self.checking = None
            stop_check(check)
            log.info("linkage.covered_not_checked", entries=check.entries, reason="stopped")
        for release in list(self.releasing):  # the process ends: its memory goes with it
            release.cancel()
        self._stop_ahead()

    def _reaped(self) -> bool:
        """Whether no background save is under way (one that has ended is reaped and its
        end logged; one that ended well is the snapshot on disk)."""
        if self.saving is None:
            return True
        ended = save_ended(self.saving)
        if ended is None:
            return False
        ok, self.save_cpu_s = ended.ok, ended.cpu_s
        log.info(
            "linkage.snapshot_saved" if ok else "linkage.snapshot_failed", **_how_it_ended(ended)
        )
        self.saving = None
        if ok:
            self.on_disk = self.saving_records
        else:  # what the disk lacks is due again, once the pause is over
            self.saved_records = self.on_disk
            pause = max(SAVE_RETRY_S, IDLE_SAVE_SPACING * ended.cpu_s)
            self.retry_at = time.monotonic() + pause
        self._take_arrays(ok)
        return True

    def _take_arrays(self, ok: bool) -> None:
        """Hold the blocks and links the save that has ended wrote as its arrays, letting the
        Python ones it sealed go (``Blocks.adopt``, then ``Links.adopt``: a live worker's
        index is then mostly arrays, as a restarted one's); if the save failed, or its arrays
        cannot be read back, hold the sealed ones again. Nothing to do if the state was
        dropped since."""
        sealed, self.sealed = self.sealed, None
        if sealed is None or self.snapshot is None:
            return
        held, ids, version = sealed
        state = held()
        if state is None or state is not self.state:
            return
        started = time.perf_counter()
        found = saved_blocks(self.snapshot, version, ids) if ok else "the save failed"
        if isinstance(found, str):
            state.linker.unseal()
            log.warning("linkage.blocks_not_compacted", version=version, reason=found)
            return
        state.linker.blocks.adopt(found)  # the blocks' arrays held before go first
        links = saved_links(self.snapshot, version, ids)
        if isinstance(links, str):
            state.linker.links.unseal()
            log.warning("linkage.links_not_compacted", version=version, reason=links)
        else:
            state.linker.links.adopt(links)
        log.info(
            "linkage.blocks_compacted",
            version=version,
            records=len(ids),
            slots=len(found),
            linked=None if isinstance(links, str) else len(links),
            seconds=round(time.perf_counter() - started, 3),
        )
        give_back("linkage blocks compacted")

    async def save_at_stop(self, owned: bool) -> None:
        """At a clean stop, save the index as it is now (``owned``: this worker still holds
        linkage, ``faust_internals.owns_at_stop``), so that the restart loads it and indexes
        only what comes after, not everything since a save up to ``linkage_snapshot_s``
        old. Only an index that reflects exactly its last durable mark's version is saved,
        the version the periodic save claims. In a forked child as that save, waited for,
        and abandoned past ``linkage_snapshot_stop_s`` (a child can be stopped, a save in
        this process not). A background save under way is waited for within the same bound
        if it leaves the restart a short tail (``_nearly_whole``; ended well, it is then
        the snapshot on disk and no new save is begun), else abandoned if this one
        supersedes it."""
        self.stopping = True
        self.end_check()
        path = self.snapshot
        if path is None or self.stop_save_s <= 0:
            return
        started = time.monotonic()
        deadline = started + self.stop_save_s
        state = self.state if owned else None
        version = self.indexed if state is not None else None
        self._reaped()  # a save that ended since the last batch counts as on disk
        recent = state is not None and self._recent_enough(state)
        late = False
        if self.saving is not None:
            pid, self.saving = self.saving, None
            if recent or (version is not None and not self._nearly_whole(state)):
                abandon(path, pid)
                why = "the snapshot on disk is recent enough" if recent else "superseded at stop"
                log.info("linkage.snapshot_abandoned", pid=pid, reason=why)
            else:  # it too reflects a durable mark: kept if it ends in time
                ended = await _waited(path, pid, deadline)
                ok = ended is not None and ended.ok
                (log.info if ok else log.warning)(
                    "linkage.snapshot_saved" if ok else "linkage.snapshot_failed",
                    pid=pid,
                    **_how_it_ended(ended),
                )
                if ok:
                    self.on_disk = self.saving_records
                    recent = state is not None and self._recent_enough(state)
                late = ended is None  # abandoned at the deadline: no time for another
        if state is None or version is None or recent or late:
            why = (
                "not the owner"
                if state is None
                else "the snapshot on disk is recent enough"
                if recent
                else "not at a durable mark"
                if version is None
                else "out of time"
            )
            log.info("linkage.snapshot_not_saved_at_stop", reason=why, on_disk=self.on_disk)
            return
        try:
            pid = save_in_background(path, state.linker, state.summaries, version)
        except OSError as exc:  # no fork left: the last snapshot stays
            log.warning("linkage.snapshot_failed", reason=type(exc).__name__)
            return
        ended = await _waited(path, pid, deadline)
        ok = ended is not None and ended.ok
        (log.info if ok else log.warning)(
            "linkage.snapshot_saved_at_stop" if ok else "linkage.snapshot_failed",
            version=version,
            records=len(state.linker.person),
            seconds=round(time.monotonic() - started, 2),
            **_how_it_ended(ended),
        )

    def _nearly_whole(self, state: HubState | None) -> bool:
        """Whether the background save under way would leave the restart so short a tail
        that a stop waits for it rather than begin its own (which would write as much again,
        from the start: at a million records about 15 s of the stop's 20)."""
        return state is not None and _short_tail(state, self.saving_records)

    def _recent_enough(self, state: HubState) -> bool:
        """Whether the snapshot on disk leaves the restart so short a tail that a save at
        the stop is not worth it: fewer than ``STOP_SAVE_TAIL`` records indexed since it.
        (Until 2026-12-06, fewer than 3/8 of the index, which weighed the stop's time
        against the restart's: with a save every 100,000 records, a restart at 400,000
        then filed a tail of 97,000, 12.6 s of its 17.1 s, measured.)"""
        return self.on_disk > 0 and _short_tail(state, self.on_disk)

    async def _dead_letter(self, event: faust.types.EventT[Any], frame: bytes, reason: str) -> None:
        """An event intake passed that linkage cannot decode (a schema registry down, a
        worker of another version): to the dead-letter topic with the reason, not lost."""
        letter = DeadLetter(dataclasses.replace(incoming(event), value=frame), "linkage", reason)
        log.error("linkage.undecodable", offset=event.message.offset, reason=reason)
        await self.dead_letters.send(key=None, value=frame, headers=letter.headers())

    def _version(self) -> int:
        self.batches += 1
        return self.epoch + self.batches

    async def _send_link(self, link: Link, version: int) -> Awaitable[Any]:
        stamped = link.model_copy(update={"version": version})
        return await self.links.send(key=link.record_id.encode(), value=encode(LINK, stamped))

    async def _send_episode(
        self, episode_id: str, snapshot: EpisodeSnapshot | None, version: int
    ) -> Awaitable[Any]:
        value = (
            None
            if snapshot is None
            else encode(EPISODE, snapshot.model_copy(update={"version": version}))
        )
        return await self.episodes.send(
            key=episode_id.encode(), value=value, headers=[("mash.version", str(version).encode())]
        )

    def _write_again(self) -> None:
        """Write what the restore read past the durable point again, under this owner's
        first version (its restore mark written just before): a later restore then takes it
        for this owner's unacknowledged batch (sent again, scoped) until this owner's first
        mark covers it, and finds between the restore mark's ``seen`` and its epoch only an
        older owner's writes that landed after this restore (``streams.durable``). Written
        with the restore mark, not after a batch: a restore whose first batch never ends
        (a kill, a rebalance, a failed send) would leave them there, for the next restore
        to take for late writes and send everything again. (Call with an event current.)"""
        version = self.epoch + 1
        for entry in self.read_past.entries:
            self.records[entry.record.record_id] = replace(entry, version=version).encode()
        for decision in self.read_past.decisions:
            self.records[decision_key(decision)] = encode_decision(decision, version)
        self.read_past = Pending()

    def _mark_durable(self, state: HubState, version: int) -> None:
        """Write this owner's durable mark: every batch of its epoch up to ``version`` had
        its outputs acknowledged (what its restore wrote again, under its first version,
        among them: its republish was sent with the first batch, or before it). The mark
        keeps what the restore saw and what its acknowledged sweep covered. (Call with the
        batch's event current.)

        The mark is this owner's alone (its key holds its epoch) and covers only its own
        versions: a previous owner's batch still in flight at a rebalance, written to the
        table after this owner restored, is covered only by that owner's own mark.
        """
        self.mark = self.mark._replace(version=version, watermark=state.watermark)
        self.records[mark_key(self.epoch)] = self.mark.encode()

    async def _republish(self, state: HubState) -> list[Awaitable[Any]]:
        """After a restore, send again what may have been lost with a previous owner.

        With durable marks: the links and episodes of the clusters changed in a batch no
        owner's mark covers (and tombstones of their episodes that exist no more). Without
        any (a table written before durable points were kept), or when an older owner wrote
        after a newer one restored (``LinkageTable.overtaken``): every link and episode, then
        a sweep of older episodes (their tombstones may have been lost too).
        """
        fenced = await self._fence()
        version = self._version()
        self.republish_due = False
        scoped, self.resend = self.resend, None
        out = scoped or HubOutput(
            links=[state.reissue(r) for r in state.linker.records],
            episodes=dict(state.snapshots),
        )
        sent = [*fenced, *[await self._send_link(link, version) for link in out.links]]
        for episode_id, snapshot in out.episodes.items():
            sent.append(await self._send_episode(episode_id, snapshot, version))
        for partition in range(self.partitions if scoped is None else 0):
            sent.append(
                await self.episodes.send(
                    EPISODE_SWEEP, None, [("mash.version", str(version).encode())], partition
                )
            )
        log.info(
            "linkage.republished",
            links=len(out.links),
            episodes=len(out.episodes),
            scoped=scoped is not None,
        )
        return [*sent, self._then_sweep(sent, scoped)]

    async def _fence(self) -> list[Awaitable[Any]]:
        """This owner's fence on every episodes partition, before any episode of its own
        (``sinks.fences``): episodes of an older owner's batches past the durable point the
        restore read (versions between it and this owner's epoch) are not stored, whenever
        they arrive; this owner sends again what of them stands (its republish, and the
        batches' events linked again).

        The durable point, not the highest version read: the table writes of the last batch
        before a freeze can be on the changelog in part (Faust sends them one by one from
        its buffer), so the restore reads part of a batch whose outputs were all sent. A
        fence at the highest version read let those outputs stand while the new owner,
        lacking the rest of the batch, never deleted the episodes it named (the frozen-worker
        test, 2026-12-03: 55 extra episodes, all of the batch at the fence's version). A
        mark is written after its batch's table writes, on the same partition, so a batch a
        mark covers was read whole.

        After a restore that read no mark, that point is 0: no older owner's batch was ever
        durable, so none of its episodes stands (the frozen-worker test, 2026-12-03: the new
        owner restored an empty table, sent no fence, and the dropped owner's late batch left
        289 episodes). Only an owner may restore: a worker stopping, whose closed table reads
        as empty, never does (``streams.faust_internals``), or its fence would delete every
        episode (CI, 2026-12-02)."""
        headers = [
            ("mash.version", str(self.epoch).encode()),
            (FENCE_SEEN_HEADER, str(self.complete).encode()),
        ]
        return [
            await self.episodes.send(EPISODE_FENCE, None, headers, partition)
            for partition in range(self.partitions)
        ]

    async def _then_sweep(self, sent: list[Awaitable[Any]], scoped: HubOutput | None) -> None:
        """Once a full republish and its sweep are acknowledged, the next durable mark says
        so (``swept``); if the republish fails, the next batch sends it again (unless a new
        restore replaced it)."""
        epoch = self.epoch
        try:
            await asyncio.gather(*sent)
        except Exception:
            if self.epoch == epoch and self.state is not None:
                self.resend, self.republish_due = scoped, True
            raise
        if self.epoch == epoch and scoped is None and self.overtaken is not None:
            self.mark = self.mark._replace(swept=self.overtaken)  # the sweep is done


RELEASE_STEP = 50_000
"""Held entries freed between two turns of the loop (about 75 ms each, measured at a million)."""


async def _release_in_steps(rows: list[Any], step: int = RELEASE_STEP) -> None:
    """Free ``rows`` from the end, ``step`` at a time, yielding to the loop after each; then
    give the freed memory back."""
    while rows:
        del rows[-step:]
        await asyncio.sleep(0)
    give_back("linkage restored")


def _rounded(mb: float | None) -> int | None:
    return None if mb is None else round(mb)
