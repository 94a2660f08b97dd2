"""Every use of Faust's private internals, in one place, with the version they were read from.

Faust (faust-streaming) has no public API for what the hub needs: processing a batch with its
partition's tables (the current-event context variable), batches (``take_events``), and
guards on its offset bookkeeping (an off-by-one in the committed run, acknowledgements of
messages from an older consumer generation, acknowledgements recorded between a partition's
revocation and its next assignment), a watchdog that reads a stalled partition again, and a
bulk copy of the changelogs into the tables' stores before the group (their layout).
Each was written against ``FAUST_VERSION``;
``check_faust_version`` refuses to start on another, so an upgrade is a deliberate re-read of
this module (and of ``tests/unit/streams/test_faust_internals.py``), not a silent change.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import os
import re
import signal
import threading
import time
import weakref
from collections import defaultdict
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    Mapping,
    MutableMapping,
    Sequence,
    Set,
)
from contextlib import contextmanager, suppress
from importlib.metadata import version
from typing import Any, NamedTuple, cast

import faust
from aiokafka.errors import KafkaError
from aiokafka.protocol.group import JoinGroupRequest
from faust.exceptions import KeyDecodeError
from faust.streams import _current_event  # the context var Faust's tables partition by
from faust.tables.manager import TableManager
from faust.types import TP

from plumbing.errors import EXIT_FAILED, ConfigError
from plumbing.kafka import Record, partition_ends, read_ranges
from plumbing.logs import get_logger
from plumbing.settings import WorkerSettings
from streams.scan_ahead import StoreRead

__all__ = [
    "FAUST_VERSION",
    "ChangelogRuns",
    "Ownership",
    "Processed",
    "Retries",
    "Stalls",
    "active_offsets",
    "as_current",
    "batches",
    "bound_store_logs",
    "bound_the_stop",
    "catch_up_stores",
    "check_faust_version",
    "fetch_less_while_streaming",
    "guard_offsets",
    "owns_at_stop",
    "owns_restored",
    "processed_or_reread",
    "set_delivered",
    "skip_undecodable_changelog_entries",
    "start_tables_at_once",
    "still_a_member",
    "store_files_reader",
    "stored_items",
    "watch_stalls",
]

log = get_logger(__name__)

FAUST_VERSION = "0.15.3"
"""The faust-streaming release whose internals this module was written against."""


def check_faust_version(installed: str | None = None) -> None:
    """Refuse to run on a Faust whose internals this module has not been checked against."""
    found = installed or version("faust-streaming")
    if found != FAUST_VERSION:
        raise ConfigError(
            f"faust-streaming {found} is installed; streams/faust_internals.py was written "
            f"against {FAUST_VERSION}: re-check it and its tests before changing the pin"
        )


def bound_the_stop(
    worker: faust.Worker, deadline_s: float, exit: Callable[[int], Any] = os._exit
) -> threading.Event:
    """End the worker's process ``deadline_s`` after a stop signal unless the returned event
    is set first (the caller sets it once the streams have stopped; 0: no deadline). Faust's
    stop can wait without end: with the broker gone, a worker sent SIGTERM logged "Fetcher:
    Stopping..." and was still there minutes later (measured). Past the deadline the process
    leaves as a kill -9 would, which the hub recovers from (outputs are idempotent, offsets
    committed only for what was processed), after an error line. mode's worker (mode-streaming
    0.7.1, Faust's) routes SIGTERM and SIGINT through ``_schedule_shutdown``; ``exit`` is the
    seam for tests."""
    stopped = threading.Event()
    if deadline_s <= 0:
        return stopped
    schedule = worker._schedule_shutdown

    def overdue(signal_name: str) -> None:
        if stopped.wait(deadline_s):  # a daemon thread: a process that ends takes it along
            return
        try:
            log.error(
                "worker.stop_overdue",
                signal=signal_name,
                deadline_s=deadline_s,
                action="the process ends now; a restart recovers as after a kill -9",
            )
            for handler in logging.getLogger().handlers:
                with suppress(Exception):
                    handler.flush()
        finally:  # whatever the log does: it may be what holds the stop up
            exit(EXIT_FAILED)

    def schedule_with_deadline(sig: signal.Signals) -> None:
        if not worker._signal_stop_time:  # the first signal starts the clock
            threading.Thread(
                target=overdue, args=(sig.name,), name="stop-deadline", daemon=True
            ).start()
        schedule(sig)

    worker._schedule_shutdown = schedule_with_deadline  # type: ignore[method-assign,assignment]
    return stopped


def fetch_less_while_streaming(app: faust.App, streaming_bytes: int, recovery_bytes: int) -> None:
    """The most one fetch brings of a partition: ``recovery_bytes`` while the worker's
    tables recover (a rebalance until Faust's "Worker ready": a new owner reads a changelog
    one fetch at a time), ``streaming_bytes`` after. Faust hands the streams every record
    fetched at once, and its delivery waits on each agent's full queue: with a backlog on an
    agency topic, 8 MiB a partition left the linkage stage unread for minutes while intake
    worked through what was fetched (a 100,000-event drain: linkage's first batch 6.5 min
    after the worker was ready, against 47 s at 1 MiB, on the same loaded machine). One
    aiokafka consumer does both, so its fetcher's size is set as each phase begins (read in
    Faust 0.15.3: ``on_rebalance_start`` from the consumer thread's rebalance listener,
    ``on_rebalance_end`` as recovery ends; aiokafka 0.14 builds each fetch request from
    ``Fetcher._max_partition_fetch_bytes``)."""
    started, ended = app.on_rebalance_start, app.on_rebalance_end

    def rebalance_started() -> None:
        if not app.should_stop:  # a stop's revocation: no recovery follows
            _fetch_size(app, recovery_bytes, "recovery")
        started()

    def rebalance_ended() -> None:
        ended()
        _fetch_size(app, streaming_bytes, "streams")

    app.on_rebalance_start = rebalance_started  # type: ignore[method-assign]
    app.on_rebalance_end = rebalance_ended  # type: ignore[method-assign]


def _fetch_size(app: faust.App, size: int, phase: str) -> None:
    """Set the consumer's fetch size of a partition, logged (no consumer yet: it starts
    with the configured one, ``consumer_max_fetch_size``, the recovery's)."""
    try:
        consumer = getattr(getattr(app.consumer, "_thread", None), "_consumer", None)
        fetcher = getattr(consumer, "_fetcher", None)
        if fetcher is None or fetcher._max_partition_fetch_bytes == size:
            return
        fetcher._max_partition_fetch_bytes = size
    except Exception as exc:  # never in the way of Faust's own rebalance upkeep
        log.warning("consumer.fetch_size_unset", phase=phase, reason=type(exc).__name__)
        return
    log.info("consumer.fetch_size", partition_bytes=size, phase=phase)


def start_tables_at_once(app: faust.App) -> None:
    """Start the app's table manager without the second Faust sleeps first (its
    ``on_start``: ``await self.sleep(1.0)``, time for tables declared as agents start to
    register). Every hub table is declared before the worker starts (``create_app``), so the
    sleep only delayed every start and restart by a second before recovery began. Call it
    once the tables are declared: a table declared later would have no changelog channel."""
    manager = cast(TableManager, app.tables)

    async def on_start() -> None:
        if not manager.should_stop:
            await manager._update_channels()
            await manager.recovery.start()

    manager.on_start = on_start  # type: ignore[method-assign]


STORE_LOGS_KEPT = 5
"""RocksDB info logs kept per store database, the one in use among them
(``bound_store_logs``)."""

STORE_LOG_BYTES = 1 << 20
"""The size at which a store database's info log is rolled to a new one."""


def bound_store_logs(app: faust.App) -> None:
    """Bound each RocksDB table store's info logs (``LOG``, ``LOG.old.*``). RocksDB rolls
    the log at every open of a database and keeps 1,000 by default, and a worker opens one
    per table and partition at every start and rebalance (each kill -9's restart too), so
    the old logs only grew; now each database keeps ``STORE_LOGS_KEPT`` in all, each of at
    most about ``STORE_LOG_BYTES`` (they hold RocksDB's statistics and events, no table data).
    Faust's rocksdict options take no such setting, so its options are wrapped. Call it
    once the tables are declared."""
    from faust.stores.rocksdb import Store as RocksDBStore

    for table in app.tables.values():
        store: Any = table.data
        if not isinstance(store, RocksDBStore) or not store.use_rocksdict:
            continue
        options = store.rocksdb_options
        made = options.as_options

        def as_options(made: Callable[[], Any] = made) -> Any:
            db_options = made()
            db_options.set_keep_log_file_num(STORE_LOGS_KEPT)
            db_options.set_max_log_file_size(STORE_LOG_BYTES)
            return db_options

        options.as_options = as_options  # type: ignore[method-assign]  # rocksdict takes no such option through Faust


UNDECODABLE = b"\x00mash:undecodable"
"""The key an undecodable changelog entry is read as, with no value: a deletion of a key no
table has, so the entry's offset is read and the table keeps what it had."""


def skip_undecodable_changelog_entries(app: faust.App) -> None:
    """A changelog entry whose key or value the table cannot decode, or with no key (written
    by hand with the hub's credentials, or damaged), is logged as an error with its position
    and read as a deletion of nothing (``UNDECODABLE``), in its place in the changelog.

    Faust's recovery otherwise loses it: the decode error is thrown into the changelog
    queue, the recovery logs a warning and goes on without the entry's offset, and waits
    for that offset for ever (an outside probe: one junk entry stalled every restart, the
    health page still answering OK). An entry with no key decodes, and then fails every
    write of the recovery's buffer, the entries after it with it (a review)."""
    manager = cast(TableManager, app.tables)
    update_channels = manager._update_channels
    guarded: weakref.WeakSet[Any] = weakref.WeakSet()

    async def update_then_guard() -> None:
        await update_channels()
        for table, channel in manager._channels.items():
            if channel in guarded:  # the channels are updated again at each rebalance
                continue
            guarded.add(channel)
            skip = _skipping(app, manager, table.name)
            channel.on_key_decode_error = skip  # type: ignore[method-assign,assignment]
            channel.on_value_decode_error = skip  # type: ignore[method-assign,assignment]
            channel.decode = _keyed(channel.decode)  # type: ignore[method-assign,assignment]

    manager._update_channels = update_then_guard  # type: ignore[method-assign]


def _keyed(decode: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """``decode`` of a changelog channel, with an entry that has no key a key decode error
    (the conductor then calls the channel's ``on_key_decode_error``)."""

    async def keyed(message: Any, *, propagate: bool = False) -> Any:
        if message.key is None:
            raise KeyDecodeError("a table's changelog entry has no key")
        return await decode(message, propagate=propagate)

    return keyed


def _skipping(
    app: faust.App, manager: TableManager, table: str
) -> Callable[[Exception, Any], Awaitable[None]]:
    async def skip(exc: Exception, message: Any) -> None:
        _undecodable(table, message.topic, message.partition, message.offset, type(exc).__name__)
        stand_in = copy.copy(message)
        stand_in.key, stand_in.value = UNDECODABLE, None
        # as the conductor puts an event when the queue has room: its flow control was just
        # acquired for this message, and a waiting put would be cancelled by a revocation
        manager.changelog_queue.force_put_nowait(app.create_event(None, None, None, stand_in))

    return skip


def _undecodable(table: str, topic: str, partition: int, offset: int, error: str) -> None:
    log.error(
        "changelog.undecodable",
        table=table,
        topic=topic,
        partition=partition,
        offset=offset,
        error=error,
        note="read as a deletion of nothing: the table keeps what it had",
    )


def catch_up_stores(
    app: faust.App,
    settings: WorkerSettings,
    least: int = 10_000,
    values_read_by_owner: Set[str] = frozenset(),
) -> None:
    """Before the worker joins its group: copy into each RocksDB table's local store the
    changelog entries it lacks, in bulk, where a table lacks ``least`` or more (a new owner of
    the partitions, a lost disk). Faust's own recovery then starts at the offset this leaves
    and reads only what was written since.

    Faust's recovery reads a changelog one message at a time through its stream machinery,
    about 6,000 entries a second here with the worker half idle (33 s for a table of 100,000
    records); librdkafka's bulk reads (``plumbing.kafka.read_ranges``) with one write batch
    per consume read it in about 2 s. The copy writes what ``Store.apply_changelog_batch``
    writes: each message's key and value bytes as they are (a tombstone deletes), into the
    partition's database
    (``Store.partition_path``, opened with the store's own options), and the last offset under
    ``Store.offset_key`` as text, in the same write batch, so a copy cut short is a store
    Faust recovers on from where it stopped. The group has assigned nothing yet, so the
    partitions copied are those this worker's store has held before (a restart's), or every
    one on a new disk (a new worker: with several workers it copies more than it will own,
    and a store ahead of what Faust would read is only one it need not read again). A
    failure is logged: Faust's recovery remains.

    An entry Faust's recovery would not read (``_undecodable_as``) is not copied, its offset
    is: as ``skip_undecodable_changelog_entries`` reads it. Values are checked too, except
    in the tables of ``values_read_by_owner``, whose owner reads every stored value with its
    own check (the linkage table's restore: a million values' decode would cost the copy
    about 6 s)."""
    from faust.stores.rocksdb import Store as RocksDBStore

    stores = {
        table.changelog_topic.get_topic_name(): (table.name, table.data)
        for table in app.tables.values()
        if isinstance(table.data, RocksDBStore)
    }
    started = time.monotonic()
    try:
        ends = partition_ends(settings, stores) if stores else {}
    except Exception as exc:  # Faust's recovery reads what the copy does not
        log.warning("store.catch_up_failed", error=type(exc).__name__)
        return
    looked = {"changelog ends": round(time.monotonic() - started, 2)}
    for topic, (name, store) in stores.items():
        started = time.monotonic()
        try:
            values = name not in values_read_by_owner
            copied = _catch_up(store, settings, topic, ends.get(topic, {}), least, values)
        except Exception as exc:
            log.warning("store.catch_up_failed", table=name, error=type(exc).__name__)
            continue
        finally:
            looked[name] = round(time.monotonic() - started, 2)
        if copied:
            log.info("store.caught_up", table=name, entries=copied, seconds=looked[name])
    # where the phase's seconds went (a kill -9 restart at a million records once spent 3.2 s
    # here, unexplained: a killed store's write-ahead log replayed in 0.2 s on its own)
    log.info("store.catch_up_looked", seconds=looked)


def _catch_up(
    store: Any,
    settings: WorkerSettings,
    topic: str,
    ends: Mapping[int, tuple[int, int]],
    least: int,
    values: bool,
) -> int:
    """The entries copied into ``store`` from ``topic`` (0 if it lacks fewer than ``least``;
    ``ends``: each partition's first offset and end)."""
    if sum(end - first for first, end in ends.values()) < least or not store.use_rocksdict:
        return 0  # a table this small is Faust's to read: no database opened twice
    store.partition_path(0).parent.mkdir(parents=True, exist_ok=True)
    with_data = [p for p, (first, end) in ends.items() if end > first]
    held = [p for p in with_data if store.partition_path(p).exists()]
    dbs: dict[int, Any] = {}
    try:
        ranges = {}
        for p in held or with_data:  # what this worker held before; on a new disk, all
            dbs[p] = db = store.rocksdb_options.open(store.partition_path(p))
            first, end = ends[p]
            stored = db.get(store.offset_key)
            start = max(first, int(stored) + 1 if stored is not None else 0)
            if start < end:
                ranges[p] = (start, end)
        if sum(end - start for start, end in ranges.values()) < least:
            return 0
        copied = 0
        for records in read_ranges(settings, settings.app_id, topic, ranges):
            copied += _write(store, dbs, records, values)
        return copied
    finally:
        for db in dbs.values():
            db.close()


def _write(store: Any, dbs: Mapping[int, Any], records: Sequence[Record], values: bool) -> int:
    """One write batch per partition of ``records``: their keys and values (those Faust's
    recovery would read; ``values``: their values checked), and the offset."""
    import rocksdict

    if not records:
        return 0
    batches: dict[int, Any] = {}
    last: dict[int, int] = {}
    for r in records:
        batch = batches.get(r.partition)
        if batch is None:
            batch = batches[r.partition] = rocksdict.WriteBatch(raw_mode=True)
        last[r.partition] = r.offset
        error = _undecodable_as(store, r.key, r.value if values else None)
        if error is not None or r.key is None:  # as Faust's recovery reads it: offset read
            _undecodable(store.table_name, r.topic, r.partition, r.offset, error or "")
        elif r.value is None:
            batch.delete(r.key)
        else:
            batch.put(r.key, r.value)
    for p, batch in batches.items():
        batch.put(store.offset_key, str(last[p]).encode())
        dbs[p].write(batch)
    return len(records)


def _undecodable_as(store: Any, key: bytes | None, value: bytes | None) -> str | None:
    """Why Faust's recovery would not read this entry (no key, or the table's codecs refuse
    its key or value: None is not checked), as the name of its error; None if it would."""
    if key is None:
        return "KeyDecodeError"
    json = getattr(store, "key_serializer", "json") == "json"
    if not (json and _json_text(key)) and not _decodes(store._decode_key, key):
        return "KeyDecodeError"
    if value is not None and not _decodes(store._decode_value, value):
        return "ValueDecodeError"
    return None


_UNESCAPED = re.compile(rb'"[^"\\\x00-\x1f]*"')
"""A JSON string without escapes: a ``str`` key of Faust's ``json`` codec, read without it."""


def _json_text(key: bytes) -> bool:
    if _UNESCAPED.fullmatch(key) is None:
        return False
    try:
        key.decode()
    except UnicodeDecodeError:
        return False
    return True


def _decodes(decode: Callable[[bytes], Any], raw: bytes) -> bool:
    try:
        decode(raw)
    except Exception:  # the codecs' errors are of every kind
        return False
    return True


def guard_offsets(app: faust.App) -> None:
    """Install the guards on the app's consumer: commit only what was processed (acknowledged
    through ``ack``), never acknowledge a message of an older generation, and start each
    assignment afresh."""
    processed = Processed()
    _read_again_what_a_seek_reads_again(app)
    _seek_in_the_consumer_thread(app)
    _ack_only_the_current_generation(app, processed)
    _commit_only_what_was_processed(app, processed)
    _start_each_assignment_afresh(app, processed)


def owns_restored(app: faust.App, topic: str) -> bool:
    """Whether this worker holds ``topic``'s partition 0 with its tables restored and no
    rebalance under way: state read from those tables now is whole (a timer, which has no
    event to wait for, asks before it restores state that no event has restored yet)."""
    if not _settled(app):
        return False
    return any(tp.topic == topic and tp.partition == 0 for tp in app.consumer.assignment())


async def owns_at_stop(app: faust.App, topic: str, timeout_s: float = 5.0) -> bool:
    """At a clean stop, before the consumer leaves the group (``App.on_before_shutdown``):
    whether this worker still holds ``topic``'s partition 0, its tables were restored, no
    rebalance is under way, and the group coordinator still counts it a member (asked
    now). State built in memory from those tables is then still this owner's (its tables
    are closed by now: nothing may be read from them)."""
    if not _settled(app, stopping=True):
        return False
    if not any(tp.topic == topic and tp.partition == 0 for tp in app.consumer.assignment()):
        return False
    return await _member(app, timeout_s)


def _settled(app: faust.App, stopping: bool = False) -> bool:
    """Not stopping (its tables may be closed already, and read as empty; ``stopping``:
    allowed), no rebalance under way, and the tables of this worker's assignment restored."""
    recovery = cast(Any, app.tables).recovery  # TableManager has it; its protocol does not
    if (app.should_stop and not stopping) or app.rebalancing or recovery.in_recovery:
        return False
    return bool(recovery.completed.is_set())


async def still_a_member(app: faust.App, timeout_s: float = 10.0) -> bool:
    """Whether the group coordinator still counts this worker a member of its generation,
    asked now with a heartbeat from the consumer's own thread (False if it cannot say).

    A worker frozen past its session (stopped, starved of CPU, a long pause) is dropped by
    the group, but learns it only at its next heartbeat; its timers and its buffered batch
    run first. Restoring linkage then makes it a new owner in its own eyes: it sends fences
    that outrank the real owner's episodes and deletes them (seen in the frozen-worker test,
    2026-12-02). A restore asks first. What remains is a freeze between this answer and the
    fences (microseconds of code, no await)."""
    if app.should_stop:  # a worker stopping takes nothing over
        return False
    return await _member(app, timeout_s)


async def _member(app: faust.App, timeout_s: float) -> bool:
    """Whether the group coordinator counts this worker a member now (``still_a_member``)."""
    thread: Any = cast(Any, app.consumer)._thread  # the consumer runs in its own thread
    try:
        return bool(await asyncio.wait_for(thread.call_thread(_heartbeat_now, thread), timeout_s))
    except (TimeoutError, KafkaError) as exc:
        log.warning("consumer.membership_unknown", error=type(exc).__name__)
        return False


async def _heartbeat_now(thread: Any) -> bool:
    """In the consumer's thread: a heartbeat of this generation, and its answer."""
    consumer = thread._ensure_consumer()
    coordinator = consumer._coordinator
    if coordinator.member_id == JoinGroupRequest.UNKNOWN_MEMBER_ID:
        return False  # already told it was dropped
    answered = await coordinator._do_heartbeat()  # resets the generation if dropped
    subscription = consumer._subscription.subscription
    return bool(
        answered
        and subscription is not None
        and coordinator.member_id != JoinGroupRequest.UNKNOWN_MEMBER_ID
        and not coordinator.need_rejoin(subscription)  # a rebalance under way: not yet
    )


class ChangelogRuns:
    """Make a table's store remember a changelog offset only while every record before it is
    in the store as the changelog has it, so that a recovery reading on from it misses
    nothing.

    Faust's RocksDB store remembers the offset of the last changelog record this worker
    wrote, and a recovery reads only what follows it. When two workers wrote one partition's
    changelog in turn (one dropped by the group went on with a batch in flight while the
    other had taken its partitions), records of the other worker lie before that offset and
    would never be read: a linkage restore would miss records and durable marks (seen with a
    worker frozen past its session, then resumed). So each write this worker makes must land
    right after the offset the store remembers (its last write, or the last record its
    recovery read). The store remembers nothing (-1), and the next recovery reads the whole
    changelog and remembers where it ended, after a write that does not (another worker
    wrote in between), one sent during a rebalance or a recovery, or acknowledged after a
    revocation (its recovery may have put an older value over it: a hostile review's case),
    and after a send that failed (the store has a value the changelog lacks). Before, every
    revocation did that, so a worker that kept its linkage partition across a rebalance, or
    got it back, read the whole changelog again (about 21-40 s a million records).
    A store that remembers no offsets (``memory://``) reads the whole changelog anyway.
    """

    def __init__(self, app: faust.App, table: faust.types.TableT[Any, Any]) -> None:
        self.app, self.table = app, cast(Any, table)  # Faust's Collection: not in TableT
        self.epoch = 0
        """Revocations so far: a write acknowledged in a later one than it was sent in is
        not counted as in the store."""
        self.in_flight: set[asyncio.Future[Any]] = set()
        self._faust_sent = self.table._on_changelog_sent
        self._faust_send = self.table.send_changelog
        self._bound: tuple[int, bool] | None = None
        self.table.send_changelog = self._send

    async def revoked(self, wait_s: float = 5.0) -> None:
        """At a revocation, before the next recovery: wait (at most ``wait_s``) for this
        worker's changelog writes in flight; any acknowledged later is not counted."""
        if self.in_flight:
            await asyncio.wait(list(self.in_flight), timeout=wait_s)
        self.epoch += 1

    def _send(self, *args: Any, **kwargs: Any) -> Any:
        # Faust takes the callback as it sends (``callback=self._on_changelog_sent``)
        bound = (self.epoch, _settled(self.app, stopping=True))  # a clean stop's last batches
        if bound != self._bound:
            self.table._on_changelog_sent = self._on_sent(*bound)
            self._bound = bound
        future = self._faust_send(*args, **kwargs)
        self.in_flight.add(future)
        future.add_done_callback(self._done)
        return future

    def _done(self, future: asyncio.Future[Any]) -> None:
        self.in_flight.discard(future)
        if not future.cancelled() and future.exception() is not None:
            log.warning("changelog.send_failed", error=type(future.exception()).__name__)
            for partition in range(self.table.partitions or 1):
                self._forget(TP(self.table.changelog_topic.get_topic_name(), partition))

    def _forget(self, tp: TP) -> None:
        self.table.data.set_persisted_offset(tp, -1)  # -1: the next recovery reads it all

    def _on_sent(self, epoch: int, settled: bool) -> Callable[[Any], None]:
        def on_sent(future: Any) -> None:
            written = future.result()
            tp, data = written.topic_partition, self.table.data
            before = data.persisted_offset(tp)
            self._faust_sent(future)
            if data.persisted_offset(tp) is None:
                return  # a store that remembers no offsets
            in_turn = settled and epoch == self.epoch
            if in_turn and written.offset == (-1 if before is None else before) + 1:
                return
            if before != -1:
                log.warning(
                    "changelog.read_whole_next",
                    topic=tp.topic,
                    partition=tp.partition,
                    remembered=before,
                    written=written.offset,
                    why="a write in between, or a gap"
                    if in_turn
                    else "sent or acknowledged across a rebalance",
                )
            self._forget(tp)

        return on_sent


def set_delivered(table: faust.types.TableT[Any, Any], key: Any, value: Any) -> Awaitable[Any]:
    """``table[key] = value``, returning the changelog send that Faust's setter drops: it
    resolves once the broker has the entry, or fails with the send. (Call with an event
    current: the entry goes to its partition.)

    The same steps as the setter: Faust's ``Table.on_key_set`` sends the entry
    (``send_changelog``, ``ChangelogRuns``'s where it is installed) and counts it for the
    monitor, then mode's ``ManagedUserDict.__setitem__`` stores it. A windowed table's
    expiry is left out: no table written this way is windowed."""
    managed: Any = table  # Faust's Table: send_changelog and the sensor are not in TableT
    future = managed.send_changelog(managed.partition_for_key(key), key, value)
    managed._sensor_on_set(managed, key, value)
    managed.data[key] = value
    return cast(Awaitable[Any], future)


def stored_items(table: faust.types.TableT[Any, Any]) -> Iterator[tuple[str, Any]]:
    """The entries of ``table``, each value as its store keeps it: the JSON bytes of a
    RocksDB store, not decoded (Faust's ``items`` decodes every value as it reads it, and a
    restore from the linkage index snapshot decodes only the few entries written after it:
    ``streams.durable.scan_table``); a store that keeps values decoded (``memory://``)
    gives them as they are.

    Reads ``SerializedStore._iteritems`` (the raw (key, value) pairs of the partitions this
    worker holds, as ``items`` reads them) and decodes each key as Faust's ``json`` codec
    does a ``str`` key (``_str_keys``)."""
    store: Any = table.data  # the Store: its raw iteration is not in its protocol
    raw = getattr(store, "_iteritems", None)
    if raw is None or getattr(table, "key_serializer", None) != "json":
        yield from table.items()
        return
    yield from _str_keys(raw(), store._decode_key)


def _str_keys(
    raw: Iterable[tuple[bytes, bytes]], decode_key: Callable[[bytes], Any]
) -> Iterator[tuple[str, bytes]]:
    """Raw (key, value) pairs with each key decoded as Faust's ``json`` codec decodes a
    ``str`` key: a JSON string without escapes sliced (the codec's work for the rest)."""
    for key, value in raw:
        if key[:1] == b'"' and key[-1:] == b'"' and b"\\" not in key:
            yield key[1:-1].decode(), value
        else:
            yield decode_key(key), value


def store_files_reader(table: faust.types.TableT[Any, Any]) -> Callable[[], StoreRead] | None:
    """How to read ``table``'s RocksDB store as its files on disk are now, read-only, beside
    the worker (in a forked child, before the worker opens them: ``streams.scan_ahead``), or
    None if it has no such files (another store, a JSON key serializer it was not written
    for, or no partition on disk yet: the group has assigned nothing, so the partitions read
    are those this store held before). Each database is opened read-only with every table
    file opened at once (``max_open_files`` -1: a compaction by the worker, which deletes
    files, cannot take one from under the read)."""
    from faust.stores.rocksdb import Store as RocksDBStore

    store: Any = table.data
    if not isinstance(store, RocksDBStore) or not store.use_rocksdict:
        return None
    if getattr(table, "key_serializer", None) != "json":
        return None
    paths = {
        p: store.partition_path(p)
        for p in range(table.changelog_topic.partitions or table.app.conf.topic_partitions)
        if store.partition_path(p).exists()
    }
    if not paths:
        return None

    def read() -> StoreRead:
        import rocksdict

        offsets: dict[int, int | None] = {}
        dbs = []
        for p, path in paths.items():
            options = store.rocksdb_options.as_options()
            options.create_if_missing(False)
            options.set_max_open_files(-1)
            db = rocksdict.Rdict(
                str(path), options=options, access_type=rocksdict.AccessType.read_only()
            )
            stored = db.get(store.offset_key)
            offsets[p] = None if stored is None else int(stored)
            dbs.append(db)
        return offsets, _str_keys(_visible(dbs, store.offset_key), store._decode_key)

    return read


_SCAN_READAHEAD = 4 << 20
"""Bytes RocksDB reads ahead of a whole-table scan (``_visible``)."""


def _visible(dbs: Sequence[Any], offset_key: bytes) -> Iterator[tuple[bytes, bytes]]:
    """The (key, value) pairs of ``dbs`` but Faust's offset entry, each database closed once
    read: in key order, reading ahead and past the block cache (read once; checksums still
    verified), 1.3 s against 2.2 s for a 1.2 million-entry table (measured in process on the
    bench's million store, 2026-12-07 night)."""
    import rocksdict

    scan = rocksdict.ReadOptions()
    scan.fill_cache(False)  # type: ignore[call-arg]  # its stub lacks the flag its binding takes
    scan.set_readahead_size(_SCAN_READAHEAD)
    for db in dbs:
        try:
            for key, value in db.items(read_opt=scan):
                if key != offset_key:
                    yield key, value
        finally:
            db.close()


def active_offsets(table: faust.types.TableT[Any, Any]) -> dict[int, int | None]:
    """Each partition of ``table`` this worker holds as active, with the changelog offset its
    store has persisted (None: none): what ``store_files_reader`` read must match it for a
    read made before the worker joined its group to stand for the table now. Empty for a
    store that is not RocksDB."""
    from faust.stores.rocksdb import Store as RocksDBStore

    store: Any = table.data
    if not isinstance(store, RocksDBStore):
        return {}
    actives = table.app.assignor.assigned_actives()
    topic = table.changelog_topic_name  # type: ignore[attr-defined]
    return {p: store.persisted_offset(TP(topic, p)) for p in store._dbs if TP(topic, p) in actives}


@contextmanager
def as_current(event: faust.types.EventT[Any]) -> Iterator[None]:
    """Make ``event`` current, so table reads and writes go to its partition.

    Faust sets this only while iterating one event at a time; batches need it set by hand.
    """
    token = _current_event.set(weakref.ref(event))
    try:
        yield
    finally:
        _current_event.reset(token)


class Processed:
    """What this worker processed in its current assignment, as its guards see it."""

    def __init__(self) -> None:
        self.offsets: dict[Any, set[int]] = {}
        """tp -> offsets acknowledged through the consumer's ``ack`` (the hub's batches), not
        committed yet."""
        self.missing: dict[Any, int] = {}
        """tp -> the lowest offset acknowledged without being processed, not committed yet."""

    def clear(self) -> None:
        self.offsets.clear()
        self.missing.clear()


class Stalls:
    """Partitions left behind: records past the committed offset, and the committed offset
    unmoved for ``after_s`` seconds with no rebalance under way.

    Nothing else notices one. The commit guard holds a partition at an event that was never
    acknowledged until that event is processed, but nothing reads it again; Faust drops
    fetched records silently in a few places (its read-offset filter, the rest of a fetch when
    the generation changes), which only a seek to the committed offset reads again. Either
    way the worker goes idle with the partition unfinished (issue 15: 208 records left after
    900 s, cause not found).
    """

    def __init__(self, after_s: float) -> None:
        self.after_s = after_s
        self.since: dict[Any, tuple[int | None, float]] = {}
        """tp -> its committed offset when it last moved or fell behind, and when."""

    def clear(self) -> None:
        self.since.clear()

    def stalled(
        self, now: float, committed: Mapping[Any, int | None], ends: Mapping[Any, int]
    ) -> list[Any]:
        """The partitions of ``ends`` (tp -> log end offset) stalled at ``now``; the clock of
        each restarts, so one still stalled is reported again ``after_s`` later."""
        found = []
        for tp, end in ends.items():
            start = committed.get(tp)
            seen = self.since.get(tp)
            if end <= (start or 0):
                self.since.pop(tp, None)  # nothing left to read
            elif seen is None or seen[0] != start:
                self.since[tp] = (start, now)
            elif now - seen[1] >= self.after_s:
                found.append(tp)
                self.since[tp] = (start, now)
        return found


_BOOKKEEPING = ("_acked", "_acked_index", "_gap", "_committed_offset")
"""Faust's per-partition offset bookkeeping, which it clears as a partition is revoked."""


class Ownership:
    """Counts rebalances that took partitions away, so a batch can tell it was overtaken."""

    def __init__(self) -> None:
        self.revocations = 0
        self.next_offset: dict[Any, int] = {}
        """tp -> the offset expected next while this worker keeps the partition."""
        self.pending: dict[Any, int] = {}
        """tp -> the first offset of a hole sought back to and not read again yet."""
        self.log_start: dict[Any, int] = {}
        """tp -> the log start a hole the broker deleted moved reading to: the committed
        offset Faust knows is kept at least there (its recovery's seek sets it back to the
        group's, below the log start, and the commit guard would then wait for good)."""

    def revoked(self) -> None:
        self.revocations += 1
        self.next_offset.clear()
        self.pending.clear()
        self.log_start.clear()

    def keep_log_starts(self, committed: MutableMapping[Any, int | None]) -> None:
        """Raise each committed offset below its partition's ``log_start`` to it."""
        for tp, start in self.log_start.items():
            if (committed.get(tp) or 0) < start:
                committed[tp] = start

    def in_order(
        self, events: Sequence[faust.types.EventT[Any]], committed: Mapping[Any, int | None]
    ) -> InOrder:
        """The events of a batch that may be processed now, in each partition's order, and the
        holes before the others: tp -> the first offset this worker has not seen.

        A partition is read from its committed offset on, one offset after another: none
        should be skipped (the hub's topics are neither compacted nor transactional), but
        Faust's consumer can pass over some across a rebalance or a restart; each hole is
        logged as an error. An event past a hole waits (it is not processed, and comes again
        after the seek back to the hole): processed before the events in the hole, it would
        make the result depend on the order of reading (issue 15, 2026-12-03: the second of
        two events saying the same was kept after a kill -9). Messages fetched before the
        seek back still come after it, each batch of them seen as the same hole again:
        sought back again (the seek is cheap, and a lost one would stall the partition) but
        logged at info, until the hole's first offset is read.
        """
        ready: list[faust.types.EventT[Any]] = []
        found: dict[Any, int] = {}
        for event in events:
            m = event.message
            expected = self.next_offset.get(m.tp)
            if expected is None:
                expected = committed.get(m.tp)
            if m.offset == self.pending.get(m.tp):
                del self.pending[m.tp]
                log.info("consumer.offset_gap_read", topic=m.topic, partition=m.partition)
            if expected is not None and m.offset > expected:
                if found.get(m.tp) != expected:
                    again = self.pending.get(m.tp) == expected
                    (log.info if again else log.error)(
                        "consumer.offset_gap_again" if again else "consumer.offset_gap",
                        topic=m.topic,
                        partition=m.partition,
                        expected=expected,
                        got=m.offset,
                        batch=len(events),
                    )
                found[m.tp] = self.pending[m.tp] = self.next_offset[m.tp] = expected
                continue  # waits for the hole to be read
            if expected is None or m.offset >= expected:
                self.next_offset[m.tp] = m.offset + 1
            ready.append(event)
        holes = {tp: offset for tp, offset in found.items() if self.pending.get(tp) == offset}
        return InOrder(ready, holes)


class InOrder(NamedTuple):
    """A batch sorted out by ``Ownership.in_order``."""

    ready: list[faust.types.EventT[Any]]
    """The events to process now, in each partition's order."""
    holes: dict[Any, int]
    """tp -> the first offset not seen yet, still to be read (seek back to it)."""


async def batches(
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
    changes nothing). Events past a hole in their partition wait for it to be read
    (``Ownership.in_order``). Faust's ``take_events`` acknowledges the whole buffer, so the
    events not to acknowledge are marked as already acknowledged, which makes Faust skip them.
    """
    take = cast(faust.Stream[bytes], stream).take_events  # StreamT does not declare it
    async for events in take(size, settings.batch_within_s):
        committed = cast(Any, app.consumer)._committed_offset  # not in ConsumerT
        await _start_where_reading_starts(app, events)
        owner.keep_log_starts(committed)
        reading = owner.in_order(events, committed)
        holes = await _past_what_the_broker_deleted(app, owner, reading.holes)
        for tp, offset in holes.items():
            # read the partition again from the first offset it skipped (what comes twice
            # changes nothing; the commit cannot pass the hole meanwhile, see below)
            await _seek_back(app, tp, offset)
        revocations = owner.revocations
        owned = app.consumer.assignment()
        mine = [e for e in reading.ready if e.message.tp in owned]
        if len(mine) < len(reading.ready):
            log.info("batch.skipped_revoked", events=len(reading.ready) - len(mine))
        given = {id(e) for e in mine}
        for event in (e for e in events if id(e) not in given):
            event.message.acked = True  # withheld or not this worker's: never acknowledged
        finished = False
        try:
            if mine:
                yield mine
            finished = True
        finally:
            # closed at the yield (the agent cancelled mid-batch), ``take_events`` would
            # acknowledge the whole buffer as it is closed
            overtaken = owner.revocations != revocations
            if overtaken:
                log.info("batch.overtaken_by_rebalance", events=len(events))
            if overtaken or not finished:
                for event in mine:
                    event.message.acked = True  # never commit past what was not finished


async def _start_where_reading_starts(
    app: faust.App, events: Sequence[faust.types.EventT[Any]], timeout_s: float = 10.0
) -> None:
    """Give each partition Faust has no committed offset for the one where its reading
    starts: the group's committed offset, or its log start (``earliest``) if the group has
    none.

    Faust counts a partition with nothing committed (a new group) as committed nowhere, so
    neither the hole detector nor the commit guard could tell that its first events were
    skipped: Faust committed the run after them (issue 15: the first event of a partition
    lost with two workers, 2026-12-03, no gap logged). Faust also learns a restarted group's
    committed offsets only once its recovery has sought to them, and the first batch can
    come before that: taken as the log start, every committed event looked skipped (issue
    15: a false hole of 182 events a partition after a kill -9, read again out of order).
    Looked up once a partition; if the broker cannot say, the batch goes on without it and
    the next one asks again."""
    consumer: Any = app.consumer  # Faust's Consumer: its bookkeeping is not in ConsumerT
    committed = consumer._committed_offset
    unknown = {e.message.tp for e in events if committed.get(e.message.tp) is None}
    if not unknown:
        return
    try:
        starts = {**await consumer.earliest_offsets(*unknown)}
        for tp, offset in (await _committed_by_group(consumer, unknown, timeout_s)).items():
            if offset is not None:
                starts[tp] = offset
    except (TimeoutError, KafkaError) as exc:
        log.warning("consumer.log_start_unknown", error=type(exc).__name__)
        return
    for tp, start in starts.items():
        if committed.get(tp) is None and tp in unknown:  # a commit may have come meanwhile
            committed[tp] = start


async def _committed_by_group(
    consumer: Any, tps: Set[TP], timeout_s: float
) -> dict[TP, int | None]:
    """The group's committed offset of each partition, asked of the broker (None: none)."""
    thread = consumer._thread  # Faust's consumer thread owns the aiokafka consumer
    return cast(
        dict[TP, int | None], await thread.call_thread(_committed_here, thread, [*tps], timeout_s)
    )


async def _committed_here(thread: Any, tps: list[TP], timeout_s: float) -> dict[TP, int | None]:
    """In the consumer's thread: aiokafka's ``committed``, bounded there. It retries until
    the group's coordinator answers (forever while it is unknown, even once the consumer is
    closing); a bound in the app's loop would leave it running, holding one of the two
    workers that every call to the consumer's thread (fetch, seek, commit) waits for."""
    client = thread._ensure_consumer()
    asked = asyncio.gather(*(client.committed(tp) for tp in tps))
    return dict(zip(tps, await asyncio.wait_for(asked, timeout_s), strict=True))


async def _past_what_the_broker_deleted(
    app: faust.App, owner: Ownership, holes: Mapping[Any, int]
) -> dict[Any, int]:
    """The offsets to seek back to for ``holes``: each hole's first offset, or the log start
    where the broker has deleted it (retention passed it while the hub was down). A seek to
    a deleted offset lands at the log start again, and the events past the hole would wait
    for good: the deleted ones are logged as an error (they cannot be read by anyone) and
    the partition goes on from its log start, the commit guard with it. If the broker
    cannot say, the seek goes to the hole, and the next batch asks again."""
    if not holes:
        return {}
    consumer: Any = app.consumer  # Faust's Consumer: its bookkeeping is not in ConsumerT
    revocations = owner.revocations
    try:
        starts = await consumer.earliest_offsets(*holes)
    except (TimeoutError, KafkaError) as exc:
        log.warning("consumer.log_start_unknown", error=type(exc).__name__)
        return dict(holes)
    if owner.revocations != revocations:  # what was found is another assignment's
        return {}
    committed = consumer._committed_offset
    seek = dict(holes)
    for tp, offset in holes.items():
        start = starts.get(tp)
        if start is None or start <= offset:
            continue
        log.error(
            "consumer.offsets_deleted",
            topic=tp.topic,
            partition=tp.partition,
            first=offset,
            log_start=start,
            events=start - offset,
        )
        seek[tp] = owner.next_offset[tp] = owner.pending[tp] = owner.log_start[tp] = start
    owner.keep_log_starts(committed)  # nothing before the log start can be committed or read
    return seek


async def _seek_back(app: faust.App, tp: TP, offset: int) -> None:
    """Seek ``tp`` back to ``offset`` to read it again. A partition taken away meanwhile
    cannot be sought: its next owner reads it from the committed offset anyway, and the
    agent must not crash for it (see ``processed_or_reread``)."""
    try:
        await app.consumer.seek(tp, offset)
    except KafkaError as exc:
        log.warning(
            "consumer.seek_failed",
            topic=tp.topic,
            partition=tp.partition,
            offset=offset,
            error=type(exc).__name__,
        )


class Retries:
    """One agent's failed batches in a row, and the pause before it reads one again."""

    def __init__(self, first_s: float = 0.5, most_s: float = 30.0) -> None:
        self.first_s, self.most_s = first_s, most_s
        self.failed = 0

    def pause_s(self) -> float:
        """Doubling with each failure in a row, up to ``most_s``."""
        return min(self.most_s, self.first_s * 2.0 ** max(0, self.failed - 1))


async def processed_or_reread(
    app: faust.App,
    owner: Ownership,
    events: Sequence[faust.types.EventT[Any]],
    process: Callable[[Sequence[faust.types.EventT[Any]]], Awaitable[None]],
    retries: Retries,
) -> None:
    """Process a batch; if that fails, none of it is acknowledged, each of its partitions
    is read again from the batch's first offset, and the same agent goes on after a pause
    (``retries``), logging the error.

    Without the reread, Faust's ``take_events`` acknowledges the whole buffer as the failed
    batch's generator is closed, and the commit passes events that were neither processed
    nor dead-lettered (issue 15: the valid events behind an oversized dead letter were
    lost). The agent is not left to crash and restart: Faust's restarted agent takes a new
    stream, while the crashed one's background drain goes on taking the same messages and
    acknowledging them past the hub's ``ack`` (CI, 2026-12-03: linkage crashed on
    ``NotAMember`` with the broker down, then every batch it processed again was counted
    unprocessed, and the commit guard held the partition for good).
    """
    try:
        await process(events)
    except Exception as exc:
        retries.failed += 1
        first: dict[Any, int] = {}
        for event in events:
            event.message.acked = True  # makes Faust skip it: never committed as done
            tp, offset = event.message.tp, event.message.offset
            first[tp] = min(offset, first.get(tp, offset))
        for tp, offset in first.items():
            log.error(
                "batch.failed",
                topic=tp.topic,
                partition=tp.partition,
                offset=offset,
                events=len(events),
                error=type(exc).__name__,
                reason=str(exc)[:200],  # the hub's errors name records by id only
                failed_in_a_row=retries.failed,
                retry_in_s=retries.pause_s(),
            )
            # what was fetched past it comes first: a hole of the hub's own making (info)
            owner.next_offset[tp] = owner.pending[tp] = offset
            await _seek_back(app, tp, offset)
        await asyncio.sleep(retries.pause_s())
    else:
        retries.failed = 0


def _commit_only_what_was_processed(app: faust.App, processed: Processed) -> None:
    """Never commit past an offset that was not processed.

    Faust's consumer commits the run of acknowledged offsets that follows the committed
    offset, but counts "next after committed + 1" as following it (an off-by-one: the
    committed offset is the next one to read), and papers over offsets it saw skipped; either
    way one unprocessed event could be committed past. Here the run must start exactly at the
    committed offset, or nothing is committed until the missing event is processed.

    Faust's compiled stream iterator also records the acknowledgement of each event it
    *skips* (flow suspended or an older generation, during a rebalance) straight into the
    bookkeeping, past the consumer's ``ack`` and so past the generation guard; with no offset
    committed yet (a new group) nothing else stops a commit past such an event (issue 15:
    the first event of a partition lost with two workers). Only offsets acknowledged through
    ``ack`` count: the others are dropped (the lowest is remembered, and stands for the
    committed offset while there is none), and counted once their event is processed.
    """
    consumer: Any = app.consumer  # Faust's Consumer: its bookkeeping is not in ConsumerT
    new_offset = consumer._new_offset
    acked, index = consumer._acked, consumer._acked_index
    committed, gaps = consumer._committed_offset, consumer._gap

    def contiguous(tp: Any) -> int | None:
        gaps.pop(tp, None)
        done, start = acked.get(tp), committed.get(tp)
        mine = processed.offsets.get(tp, set())
        if done and not mine.issuperset(done):
            dropped = min(offset for offset in done if offset not in mine)
            log.warning("consumer.unprocessed_ack", topic=tp.topic, partition=tp.partition)
            processed.missing[tp] = min(dropped, processed.missing.get(tp, dropped))
            done[:] = [offset for offset in done if offset in mine]
            index[tp].intersection_update(done)
        floor = start if start is not None else processed.missing.get(tp)
        if done and floor is not None and min(done) > floor:
            return None  # the run does not start where reading starts
        upto = cast(int | None, new_offset(tp))
        if upto is not None:
            mine.difference_update([offset for offset in mine if offset < upto])
            if processed.missing.get(tp, upto) < upto:
                del processed.missing[tp]
        return upto

    consumer._new_offset = contiguous


class _ReadOffsets(defaultdict[Any, int | None]):
    """Faust's read offsets (per partition, the last offset passed on to the streams), kept
    as Faust keeps them, but never used to drop a fetched message.

    Faust's fetch loop drops each fetched message below its partition's read offset
    ("DROPPED MESSAGE ROFF"). After a seek back (the hub's hole detector, its reread of a
    failed batch, the watchdog) the messages fetched before the seek, past the point sought,
    still go through and raise the read offset again; the messages the seek fetches again are
    then dropped, silently. The hole is never filled, and the commit guard holds the
    partition there for good (issue 15: two workers, 17 records left after 900 s in CI). A
    message passed on twice changes nothing (the outputs are idempotent); one dropped is lost.
    """

    def __getitem__(self, tp: Any) -> int | None:
        return None  # what the fetch loop compares with: nothing is below it


def _read_again_what_a_seek_reads_again(app: faust.App) -> None:
    """Pass on every fetched message, however far the read offset went (``_ReadOffsets``)."""
    consumer: Any = app.consumer  # Faust's Consumer: its read offsets are not in ConsumerT
    consumer._read_offset = _ReadOffsets(lambda: None, consumer._read_offset)


def _seek_in_the_consumer_thread(app: faust.App) -> None:
    """Seek in the thread the Kafka consumer runs in, as its every other call does.

    Faust's seek calls aiokafka's straight from the app's thread, while the consumer's own
    thread may be handing out fetched records: it sets the partition's position after the
    last record it handed out, over the position just sought, and the records in between are
    never fetched again (seen with two workers: a seek back to 70 for a hole, the next
    records 78 on, again and again). In the consumer's thread the seek waits for that to end.
    """
    consumer: Any = app.consumer  # Faust's Consumer: its thread is not in ConsumerT

    async def seek(partition: TP, offset: int) -> None:
        thread = consumer._thread
        await thread.call_thread(_seek_here, thread, partition, offset)

    consumer._seek = seek


async def _seek_here(thread: Any, partition: TP, offset: int) -> None:
    """In the consumer's thread: aiokafka's seek."""
    thread.seek(partition, offset)


def _ack_only_the_current_generation(app: faust.App, processed: Processed) -> None:
    """Never acknowledge a message fetched before the latest rebalance; note each offset
    acknowledged in ``processed``.

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
        processed.offsets.setdefault(message.tp, set()).add(message.offset)
        return ack(message)

    consumer.ack = ack_current  # type: ignore[method-assign]


def _start_each_assignment_afresh(app: faust.App, processed: Processed) -> None:
    """Forget what was acknowledged before an assignment, for the partitions it assigns.

    Faust clears a partition's bookkeeping as the partition is revoked, but a message can be
    acknowledged after that and before the next generation begins (a batch that ends while
    the partitions are being revoked, an event skipped then). A worker that keeps the
    partition would start the new generation with that offset acknowledged. Every partition
    assigned is read again from its committed offset, so an acknowledgement from before its
    assignment is never needed.
    """
    consumer: Any = app.consumer  # Faust's Consumer: its bookkeeping is not in ConsumerT
    assign = consumer.on_partitions_assigned

    async def assigned(partitions: Set[TP], generation_id: int = 0) -> None:
        processed.clear()
        for name in _BOOKKEEPING:
            book = getattr(consumer, name)
            for tp in partitions:
                book.pop(tp, None)
        await assign(partitions, generation_id)

    consumer.on_partitions_assigned = assigned


async def watch_stalls(app: faust.App, stalls: Stalls, topics: Set[str]) -> list[Any]:
    """One look of the watchdog: each stalled partition of ``topics`` this worker holds is
    logged as an error (offsets only) and, unless a batch of it is being processed, read again
    from its committed offset (outputs are idempotent), its fetching resumed if it was left
    out. Returns the stalled partitions."""
    if not _settled(app):
        stalls.clear()  # every assignment starts the clocks afresh
        return []
    consumer: Any = app.consumer  # Faust's Consumer: its bookkeeping is not in ConsumerT
    held = [tp for tp in consumer.assignment() if tp.topic in topics]
    ends = await consumer.highwaters(*held) if held else {}
    if not _settled(app):
        stalls.clear()
        return []
    found = stalls.stalled(time.monotonic(), consumer._committed_offset, ends)
    for tp in found:
        await _read_again(consumer, tp, ends[tp])
    return found


async def _read_again(consumer: Any, tp: TP, end: int) -> None:
    committed = consumer._committed_offset.get(tp)
    acked = consumer._acked.get(tp) or []
    in_flight = sum(1 for m in consumer._unacked_messages if m.tp == tp and not m.acked)
    active = tp in consumer._get_active_partitions()
    log.error(
        "consumer.stalled",
        topic=tp.topic,
        partition=tp.partition,
        committed=committed,
        end=end,
        read_offset=consumer._read_offset.get(tp),
        first_acked=min(acked, default=None),
        acked=len(acked),
        in_flight=in_flight,
        active=active,
        buffered=tp in consumer._buffered_partitions,
        paused=tp in consumer._paused_partitions,
        action="wait for the batch" if in_flight else "read again",
    )
    if in_flight:
        return
    if not active:
        consumer._buffered_partitions.discard(tp)
        consumer.resume_partitions({tp})
    # nothing committed: from the start. Events read again come before the offset the hole
    # detector expects next (``Ownership``): not taken for skipped ones, whatever is queued
    await consumer.seek(tp, committed or 0)
