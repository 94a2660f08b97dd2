"""The hub's guards on Faust's offset bookkeeping (at the seam: a stand-in consumer with
Faust's own fields and its real ``_new_offset``), the detector of skipped offsets, when a
timer may restore state (Faust's recovery fields), and the watchdog that reads a stalled
partition again."""

from __future__ import annotations

import asyncio
import inspect
import json
import time
from collections import defaultdict
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import aiokafka.errors as Errors
import faust
import pytest
from aiokafka.consumer.group_coordinator import GroupCoordinator
from aiokafka.protocol.group import JoinGroupRequest
from faust.tables.base import Collection as Table
from faust.tables.recovery import Recovery
from faust.transport.consumer import Consumer, ThreadDelegateConsumer
from faust.types import TP
from structlog.testing import capture_logs

from plumbing.errors import NotAMember
from streams.faust_internals import (
    ChangelogRuns,
    Ownership,
    Processed,
    Retries,
    Stalls,
    _commit_only_what_was_processed,
    _past_what_the_broker_deleted,
    _read_again_what_a_seek_reads_again,
    _seek_in_the_consumer_thread,
    _start_where_reading_starts,
    batches,
    bound_the_stop,
    fetch_less_while_streaming,
    guard_offsets,
    owns_at_stop,
    owns_restored,
    processed_or_reread,
    skip_undecodable_changelog_entries,
    start_tables_at_once,
    still_a_member,
    watch_stalls,
)

PART = TP("police", 1)


def _app(committed: int | None, acked: list[int]) -> Any:
    consumer = SimpleNamespace(
        _acked=defaultdict(list, {PART: list(acked)}),
        _acked_index=defaultdict(set, {PART: set(acked)}),
        _committed_offset=defaultdict(lambda: None, {PART: committed}),
        _gap=defaultdict(lambda: None),
    )
    consumer._new_offset = Consumer._new_offset.__get__(consumer)  # Faust's own logic
    return SimpleNamespace(consumer=consumer)


def test_faust_alone_commits_past_the_missing_offset() -> None:
    app = _app(committed=32, acked=[33, 34, 35])
    assert app.consumer._new_offset(PART) == 36  # offset 32 was never processed


def test_the_guard_waits_for_the_missing_offset_then_commits_the_run() -> None:
    app = _app(committed=32, acked=[33, 34, 35])
    processed = Processed()
    processed.offsets[PART] = {32, 33, 34, 35}
    _commit_only_what_was_processed(app, processed)
    assert app.consumer._new_offset(PART) is None
    app.consumer._acked[PART].append(32)
    assert app.consumer._new_offset(PART) == 36


class _Message(SimpleNamespace):
    __hash__ = object.__hash__  # Faust keeps messages in a set


def _message(offset: int, generation: int) -> _Message:
    return _Message(
        tp=PART, topic="police", offset=offset, generation_id=generation, acked=False, refcount=0
    )


def _consumer_of_a_new_group() -> Any:
    """A stand-in for Faust's consumer with nothing committed yet, its real ``ack`` and
    ``_new_offset``, and an ``on_partitions_assigned`` that records the partitions."""
    consumer = SimpleNamespace(
        _acked=defaultdict(list),
        _acked_index=defaultdict(set),
        _committed_offset=defaultdict(lambda: None),
        _gap=defaultdict(lambda: None),
        _read_offset=defaultdict(lambda: None),
        _unacked_messages=set(),
        _n_acked=0,
        _waiting_for_ack=None,
        app=SimpleNamespace(topics=SimpleNamespace(acks_enabled_for=lambda topic: True)),
        assigned=[],
    )
    consumer._new_offset = Consumer._new_offset.__get__(consumer)
    consumer.ack = Consumer.ack.__get__(consumer)

    async def on_partitions_assigned(partitions: set[TP], generation_id: int = 0) -> None:
        consumer.assigned.append((partitions, generation_id))

    consumer.on_partitions_assigned = on_partitions_assigned
    return consumer


def test_an_acknowledgement_between_revocation_and_assignment_is_forgotten() -> None:
    # Faust clears a partition's bookkeeping as it is revoked; its stream then skips the event
    # in hand (the flow is suspended) and acknowledges it, still in generation 1
    revoke = inspect.getsource(Consumer.on_partitions_revoked)
    assert "self._acked.pop(tp, None)" in revoke and "self._committed_offset.pop" in revoke
    stream = inspect.getsource(faust.Stream._py_aiter)
    assert "not self.app.flow_control.is_active()" in stream and "value is skipped_value" in stream
    consumer = _consumer_of_a_new_group()
    app = SimpleNamespace(consumer=consumer, consumer_generation_id=1)
    guard_offsets(cast(Any, app))
    skipped = _Message(tp=PART, topic="police", offset=0, generation_id=1, acked=False, refcount=0)
    assert consumer.ack(skipped)  # recorded: offset 0 was never processed
    app.consumer_generation_id = 2  # this worker keeps the partition in generation 2
    asyncio.run(consumer.on_partitions_assigned({PART}, 2))
    assert consumer.assigned == [({PART}, 2)]  # Faust's own assignment still runs
    assert consumer._new_offset(PART) is None  # nothing to commit: offset 0 is read again


def test_an_event_skipped_by_the_compiled_stream_is_not_committed_past() -> None:
    # Faust's compiled stream iterator records the acknowledgement of an event it skips
    # straight into the bookkeeping, not through the consumer's ack
    pyx = (Path(faust.__file__).parent / "_cython" / "streams.pyx").read_text()
    assert "acked_for_tp = consumer._acked[tp]" in pyx and "value is self._skipped_value" in pyx
    consumer = _consumer_of_a_new_group()
    app = SimpleNamespace(consumer=consumer, consumer_generation_id=2)
    guard_offsets(cast(Any, app))
    asyncio.run(consumer.on_partitions_assigned({PART}, 2))
    consumer._acked[PART].append(0)  # skipped, never processed
    consumer._acked_index[PART].add(0)
    for offset in (1, 2):  # processed by a batch
        assert consumer.ack(_message(offset, generation=2))
    assert consumer._new_offset(PART) is None  # nothing committed yet: offset 0 is missing
    assert consumer.ack(_message(0, generation=2))  # read again and processed
    assert consumer._new_offset(PART) == 3


class _Fetching(SimpleNamespace):
    """A stand-in for Faust's consumer that runs Faust's real fetch loop (``_drain_messages``)
    over fetches given in advance, passing each message on to ``on_message``."""

    def __init__(self, fetches: list[list[int]], on_message: Any) -> None:
        stopped = asyncio.Event()

        async def getmany(timeout: float) -> Any:
            if not fetches:
                stopped.set()
                return
            for offset in fetches.pop(0):
                message = _message(offset, generation=1)
                message.key = message.value = b""
                yield PART, message

        async def callback(message: Any) -> None:
            self.passed_on.append(message.offset)
            await on_message(self, message)

        async def wait_first(*coros: Any) -> None:
            await coros[0]
            for other in coros[1:]:
                other.close()

        async def sleep(seconds: float) -> None:
            await asyncio.sleep(0)

        super().__init__(
            passed_on=[],
            callback=callback,
            getmany=getmany,
            _stopped=stopped,
            _read_offset=defaultdict(lambda: None),
            diag=SimpleNamespace(set_flag=lambda flag: None, unset_flag=lambda flag: None),
            _commit_every=None,
            app=SimpleNamespace(topics=SimpleNamespace(acks_enabled_for=lambda topic: True)),
            should_stop=False,
            sleep=sleep,
            wait_first=wait_first,
            suspend_flow=asyncio.Event(),
            consumer_stopped_errors=(),
            log=SimpleNamespace(dev=lambda *args: None),
        )

    def drain(self) -> None:
        fetcher = SimpleNamespace(_stopped=self._stopped)
        asyncio.run(Consumer._drain_messages(cast(Any, self), fetcher))


async def _seek_back_at_43(consumer: Any, message: Any) -> None:
    if message.offset == 43 and consumer.passed_on.count(43) == 1:
        consumer._read_offset[PART] = 1  # Faust's seek: what the next fetch returns
        # (the hole detector found 1 to 42 skipped; 44 was fetched already)


def test_faust_alone_drops_what_a_seek_back_fetches_again() -> None:
    # issue 15 (two workers, 17 records left in CI): the message fetched before the seek
    # raises the read offset past the point sought, and the fetch after it is dropped
    consumer = _Fetching([[43, 44], list(range(1, 46))], _seek_back_at_43)
    consumer.drain()
    assert consumer.passed_on == [43, 44, 44, 45]  # 1 to 43 never reach the streams


def test_what_a_seek_back_fetches_again_reaches_the_streams() -> None:
    consumer = _Fetching([[43, 44], list(range(1, 46))], _seek_back_at_43)
    _read_again_what_a_seek_reads_again(cast(Any, SimpleNamespace(consumer=consumer)))
    consumer.drain()
    assert consumer.passed_on == [43, 44, *range(1, 46)]
    assert consumer._read_offset.get(PART) == 45  # still kept, as Faust keeps it


class _ConsumerThread:
    """A stand-in for the consumer's thread: what runs through ``call_thread`` runs there."""

    def __init__(self) -> None:
        self.here = False
        self.sought: list[tuple[TP, int, bool]] = []

    async def call_thread(self, fun: Any, *args: Any) -> Any:
        self.here = True
        try:
            return await fun(*args)
        finally:
            self.here = False

    def seek(self, tp: TP, offset: int) -> None:
        self.sought.append((tp, offset, self.here))


def test_a_seek_runs_in_the_consumer_thread() -> None:
    # Faust's own seek calls aiokafka's from the app's thread, racing the consumer's thread
    assert "self._thread.seek(partition, offset)" in inspect.getsource(ThreadDelegateConsumer)
    thread = _ConsumerThread()
    consumer = SimpleNamespace(
        _thread=thread,
        _read_offset=defaultdict(lambda: None),
        log=SimpleNamespace(dev=lambda *args: None),
    )
    _seek_in_the_consumer_thread(cast(Any, SimpleNamespace(consumer=consumer)))
    asyncio.run(Consumer.seek(cast(Any, consumer), PART, 70))  # Faust's seek, as called
    assert thread.sought == [(PART, 70, True)]
    assert consumer._read_offset[PART] == 70


def _group(consumer: Any, committed: int | None) -> None:
    """Give a stand-in consumer Faust's consumer thread, whose aiokafka consumer says the
    group's committed offset of every partition is ``committed``."""

    async def group_committed(tp: TP) -> int | None:
        return committed

    async def call_thread(fun: Any, *args: Any) -> Any:
        return await fun(*args)

    client = SimpleNamespace(committed=group_committed)
    consumer._thread = SimpleNamespace(_ensure_consumer=lambda: client, call_thread=call_thread)


def test_a_partition_with_nothing_committed_is_read_from_its_log_start() -> None:
    # issue 15 (2026-12-03): a new group's first event of a partition lost, no gap logged
    consumer = _app(committed=None, acked=[1, 2]).consumer
    _group(consumer, committed=None)
    asked: list[tuple[TP, ...]] = []

    async def earliest_offsets(*tps: TP) -> dict[TP, int]:
        asked.append(tps)
        return dict.fromkeys(tps, 0)

    consumer.earliest_offsets = earliest_offsets
    processed = Processed()
    processed.offsets[PART] = {1, 2}
    app = cast(Any, SimpleNamespace(consumer=consumer))
    _commit_only_what_was_processed(app, processed)
    events = [_event(1), _event(2)]  # offset 0 never reached the stream
    assert Ownership().in_order(events, consumer._committed_offset).holes == {}  # Faust alone
    asyncio.run(_start_where_reading_starts(app, events))
    reading = Ownership().in_order(events, consumer._committed_offset)
    assert reading == ([], {PART: 0})  # nothing processed before offset 0 is read
    assert consumer._new_offset(PART) is None  # and never committed past
    asyncio.run(_start_where_reading_starts(app, events))
    assert asked == [(PART,)]  # looked up once


def test_a_restarted_group_reads_on_from_its_committed_offset_before_faust_knows_it() -> None:
    # issue 15 (2026-12-03, kill -9 test): the first batch came before Faust's recovery had
    # sought to the committed offsets; taken as the log start, 182 events a partition looked
    # skipped and were read again after the ones behind them
    consumer = _app(committed=None, acked=[]).consumer
    _group(consumer, committed=182)

    async def earliest_offsets(*tps: TP) -> dict[TP, int]:
        return dict.fromkeys(tps, 0)

    consumer.earliest_offsets = earliest_offsets
    app = cast(Any, SimpleNamespace(consumer=consumer))
    events = [_event(182), _event(183)]
    asyncio.run(_start_where_reading_starts(app, events))
    assert consumer._committed_offset[PART] == 182
    assert Ownership().in_order(events, consumer._committed_offset) == (events, {})


def test_a_log_start_the_broker_cannot_give_leaves_the_batch_as_it_was() -> None:
    consumer = _app(committed=None, acked=[]).consumer
    _group(consumer, committed=None)

    async def earliest_offsets(*tps: TP) -> dict[TP, int]:
        raise Errors.KafkaTimeoutError()

    consumer.earliest_offsets = earliest_offsets
    app = cast(Any, SimpleNamespace(consumer=consumer))
    asyncio.run(_start_where_reading_starts(app, [_event(1)]))
    assert consumer._committed_offset[PART] is None  # asked again with the next batch


def _batch_consumer() -> Any:
    consumer = SimpleNamespace(sought=[], _read_offset=defaultdict(lambda: None))

    async def seek(tp: TP, offset: int) -> None:
        consumer.sought.append((tp, offset))

    consumer.seek = seek
    return consumer


def _events(*offsets: int) -> list[Any]:
    return [SimpleNamespace(message=_message(offset, generation=1)) for offset in offsets]


def test_a_failed_batch_is_read_again_by_the_same_agent_after_a_pause() -> None:
    # a crash would restart the agent, and Faust's crashed stream would go on acknowledging
    app = SimpleNamespace(consumer=_batch_consumer())
    owner, retries = Ownership(), Retries(first_s=0.0)
    events = _events(7, 8, 9)

    async def fails(batch: Any) -> None:
        raise NotAMember("the group no longer counts this worker a member")

    asyncio.run(processed_or_reread(cast(Any, app), owner, events, fails, retries))  # no raise
    assert app.consumer.sought == [(PART, 7)]  # read again from the batch's first offset
    assert all(e.message.acked for e in events)  # so Faust never counts them done
    assert owner.next_offset[PART] == 7 and retries.failed == 1
    with capture_logs() as logs:  # fetched before the seek back: a hole of the hub's making
        assert owner.in_order([_event(10)], {}) == ([], {PART: 7})
    assert [(e["event"], e["log_level"]) for e in logs] == [("consumer.offset_gap_again", "info")]

    async def works(batch: Any) -> None:
        return None

    asyncio.run(processed_or_reread(cast(Any, app), owner, _events(7, 8), works, retries))
    assert retries.failed == 0


def test_a_partition_taken_away_before_its_seek_back_does_not_crash_the_agent() -> None:
    consumer = _batch_consumer()

    async def seek(tp: TP, offset: int) -> None:
        raise Errors.IllegalStateError("not assigned")  # aiokafka's, for a revoked partition

    consumer.seek = seek
    app, retries = SimpleNamespace(consumer=consumer), Retries(first_s=0.0)

    async def fails(batch: Any) -> None:
        raise NotAMember("the group no longer counts this worker a member")

    events = _events(3)
    asyncio.run(processed_or_reread(cast(Any, app), Ownership(), events, fails, retries))
    assert events[0].message.acked and retries.failed == 1


def test_the_pause_before_a_batch_is_read_again_doubles_up_to_a_bound() -> None:
    retries = Retries(first_s=0.5, most_s=30.0)
    pauses = []
    for _ in range(9):
        retries.failed += 1
        pauses.append(retries.pause_s())
    assert pauses == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]


def _event(offset: int) -> Any:
    return SimpleNamespace(
        message=SimpleNamespace(tp=PART, topic="police", partition=1, offset=offset)
    )


def _offsets(events: list[Any]) -> list[int]:
    return [e.message.offset for e in events]


def test_a_skipped_offset_is_found_and_fits_in_when_read_again() -> None:
    owner = Ownership()
    committed = {PART: 30}
    assert owner.in_order([_event(n) for n in range(30, 32)], committed).holes == {}
    ready, holes = owner.in_order([_event(31), _event(33), _event(34)], committed)
    assert (_offsets(ready), holes) == ([31], {PART: 32})  # 33 and 34 wait for 32
    ready, holes = owner.in_order([_event(n) for n in range(32, 40)], committed)  # read again
    assert (_offsets(ready), holes) == (list(range(32, 40)), {})
    owner.revoked()
    assert owner.in_order([_event(71)], {PART: 70}) == ([], {PART: 70})  # past the committed
    owner.revoked()
    assert owner.in_order([_event(70)], {}).holes == {}  # nothing committed yet: starts there


def test_events_past_a_hole_wait_until_it_is_read_even_in_the_same_batch() -> None:
    # fetched before the seek back (34, 35), then the hole and what follows it: each offset
    # is processed once its predecessors are, and no seek is needed once the hole is read
    owner = Ownership()
    committed = {PART: 30}
    ready, holes = owner.in_order([_event(30), _event(32), _event(33)], committed)
    assert (_offsets(ready), holes) == ([30], {PART: 31})
    ready, holes = owner.in_order([_event(n) for n in (34, 35, 31, 32, 33, 34)], committed)
    assert (_offsets(ready), holes) == ([31, 32, 33, 34], {})
    ready, holes = owner.in_order([_event(35), _event(36)], committed)
    assert (_offsets(ready), holes) == ([35, 36], {})


def test_a_hole_the_broker_deleted_is_logged_and_reading_goes_on_from_the_log_start() -> None:
    # retention passed the committed offset while the hub was down: a seek back to it lands
    # at the log start again, and the events there would wait for good
    consumer = _app(committed=30, acked=[]).consumer
    starts = {PART: 50}

    async def earliest_offsets(*tps: TP) -> dict[TP, int]:
        return {tp: starts[tp] for tp in tps}

    consumer.earliest_offsets = earliest_offsets
    app = cast(Any, SimpleNamespace(consumer=consumer))
    owner = Ownership()
    reading = owner.in_order([_event(50), _event(51)], consumer._committed_offset)
    assert reading == ([], {PART: 30})
    with capture_logs() as logs:
        seek = asyncio.run(_past_what_the_broker_deleted(app, owner, reading.holes))
    assert seek == {PART: 50}
    assert [(e["event"], e["events"]) for e in logs] == [("consumer.offsets_deleted", 20)]
    assert consumer._committed_offset[PART] == 50  # the commit guard goes on from there
    events = [_event(50), _event(51)]
    assert owner.in_order(events, consumer._committed_offset) == (events, {})
    starts[PART] = 30  # a hole the broker still has is read again from its first offset
    assert asyncio.run(_past_what_the_broker_deleted(app, owner, {PART: 40})) == {PART: 40}
    starts[PART] = 60

    async def revoked_meanwhile(*tps: TP) -> dict[TP, int]:
        owner.revoked()  # a rebalance while the broker is asked
        return {tp: starts[tp] for tp in tps}

    consumer.earliest_offsets = revoked_meanwhile
    assert asyncio.run(_past_what_the_broker_deleted(app, owner, {PART: 55})) == {}
    assert owner.next_offset == owner.pending == owner.log_start == {}  # not carried over


class _Take:
    """A stand-in for Faust's ``take_events``: yields ``batches`` (``between`` runs before
    each after the first) and acknowledges each buffer as the agent goes on or as it is
    closed (``faust/streams.py``), skipping the events marked acknowledged already."""

    def __init__(self, *batches: list[Any], between: Any = None) -> None:
        self.batches, self.between = batches, between
        self.acknowledged: list[int] = []
        self.it: Any = None

    def take_events(self, size: int, within: float) -> Any:
        self.it = self._take()
        return self.it

    async def _take(self) -> Any:
        for n, events in enumerate(self.batches):
            if n and self.between:
                self.between()
            try:
                yield list(events)
            finally:
                for event in events:
                    if not event.message.acked:
                        event.message.acked = True
                        self.acknowledged.append(event.message.offset)


def _acked_event(offset: int) -> Any:
    message = _Message(tp=PART, topic="police", partition=1, offset=offset, acked=False)
    return SimpleNamespace(message=message)


def _batches_app(consumer: Any, log_start: int = 0) -> Any:
    async def earliest_offsets(*tps: TP) -> dict[TP, int]:
        return dict.fromkeys(tps, log_start)

    async def seek(tp: TP, offset: int) -> None:
        consumer.sought.append((tp, offset))

    consumer.sought, consumer.earliest_offsets, consumer.seek = [], earliest_offsets, seek
    consumer.assignment = lambda: {PART}
    return SimpleNamespace(consumer=consumer)


async def _take_one_batch(app: Any, stream: _Take, events: list[Any], cut_short: bool) -> None:
    within = cast(Any, SimpleNamespace(batch_within_s=0.1))
    batch = batches(app, cast(Any, stream), within, Ownership(), 10)
    assert _offsets(await anext(batch)) == [30]
    assert [e.message.acked for e in events] == [False, True, True]  # 32 and 33 wait for 31
    if cut_short:
        await batch.aclose()
    else:
        assert [b async for b in batch] == []
    await stream.it.aclose()


def test_events_past_a_hole_are_never_acknowledged_even_if_the_batch_is_cut_short() -> None:
    # the agent cancelled mid-batch: Faust's take_events acknowledges its buffer as it is
    # closed, events past the hole included unless marked before the agent had the batch
    for cut_short in (False, True):
        app = _batches_app(_app(committed=30, acked=[]).consumer)
        events = [_acked_event(n) for n in (30, 32, 33)]
        stream = _Take(events)
        with capture_logs():
            asyncio.run(_take_one_batch(app, stream, events, cut_short))
        assert app.consumer.sought == [(PART, 31)]
        assert stream.acknowledged == ([] if cut_short else [30])


def test_the_log_start_past_a_deleted_hole_outlasts_faust_s_seek_to_the_group_s_offset() -> None:
    # Faust's recovery (or a fetch while its flow is stopped) seeks to the group's committed
    # offset and sets it back, below the log start: the commit guard would wait for good
    consumer = _app(committed=30, acked=[]).consumer
    processed = Processed()
    _commit_only_what_was_processed(cast(Any, SimpleNamespace(consumer=consumer)), processed)
    app = _batches_app(consumer, log_start=50)
    first = [_acked_event(50), _acked_event(51)]  # 30 to 49 deleted by retention
    again = [_acked_event(n) for n in (50, 51, 52)]
    stream = _Take(first, again, between=lambda: consumer._committed_offset.update({PART: 30}))
    within = cast(Any, SimpleNamespace(batch_within_s=0.1))

    async def agent() -> None:
        async for batch in batches(app, cast(Any, stream), within, Ownership(), 10):
            for event in batch:  # Faust's ack, through the hub's guard, reduced
                offset = event.message.offset
                processed.offsets.setdefault(PART, set()).add(offset)
                consumer._acked[PART].append(offset)
                consumer._acked_index[PART].add(offset)

    with capture_logs():
        asyncio.run(agent())
    assert app.consumer.sought == [(PART, 50)]
    assert consumer._new_offset(PART) == 53


def test_a_group_coordinator_that_does_not_answer_leaves_the_batch_as_it_was() -> None:
    # aiokafka's committed retries while the coordinator is unknown, closing or not: bounded
    # in the consumer's thread, where it runs, not only in the agent's loop
    consumer = _app(committed=None, acked=[]).consumer
    _group(consumer, committed=None)

    async def never(tp: TP) -> int | None:
        await asyncio.Event().wait()
        return None

    consumer._thread._ensure_consumer().committed = never

    async def earliest_offsets(*tps: TP) -> dict[TP, int]:
        return dict.fromkeys(tps, 0)

    consumer.earliest_offsets = earliest_offsets
    app = cast(Any, SimpleNamespace(consumer=consumer))
    asked = _start_where_reading_starts(app, [_event(3)], timeout_s=0.01)
    with capture_logs() as logs:
        asyncio.run(asyncio.wait_for(asked, 5.0))
    assert consumer._committed_offset[PART] is None  # the next batch asks again
    assert [e["event"] for e in logs] == ["consumer.log_start_unknown"]


def test_a_hole_is_logged_as_an_error_once_until_it_is_read() -> None:
    owner = Ownership()
    with capture_logs() as logs:
        assert owner.in_order([_event(30), _event(32)], {PART: 30}).holes == {PART: 31}
        # fetched before the seek back: the same hole, sought again, not a new error
        assert owner.in_order([_event(33), _event(34)], {PART: 30}).holes == {PART: 31}
        assert owner.in_order([_event(n) for n in range(31, 36)], {PART: 30}).holes == {}
        assert owner.in_order([_event(37)], {PART: 30}).holes == {PART: 36}  # a new hole
    assert [(e["event"], e["log_level"]) for e in logs] == [
        ("consumer.offset_gap", "error"),
        ("consumer.offset_gap_again", "info"),
        ("consumer.offset_gap_read", "info"),
        ("consumer.offset_gap", "error"),
    ]


def test_a_timer_restores_state_only_when_recovered_and_the_partition_is_assigned() -> None:
    # the fields read, as Faust has them (a stand-in app below carries the same)
    assert Recovery.in_recovery is False and faust.App.rebalancing is False
    assert isinstance(faust.App.should_stop, property)  # mode's Service: stopped or crashed
    assert "self.completed = Event()" in inspect.getsource(Recovery.__init__)
    recovery = SimpleNamespace(in_recovery=False, completed=asyncio.Event())
    assigned = {TP("police", 0), TP("identities", 0)}
    app = SimpleNamespace(
        should_stop=False,
        rebalancing=False,
        tables=SimpleNamespace(recovery=recovery),
        consumer=SimpleNamespace(assignment=lambda: assigned),
    )
    assert not owns_restored(cast(Any, app), "identities")  # recovery has not finished
    recovery.completed.set()
    assert owns_restored(cast(Any, app), "identities")
    assert not owns_restored(cast(Any, app), "health")  # another worker holds it
    app.rebalancing = True
    assert not owns_restored(cast(Any, app), "identities")
    app.rebalancing, recovery.in_recovery = False, True
    assert not owns_restored(cast(Any, app), "identities")
    recovery.in_recovery = False
    app.should_stop = True  # stopping: its tables may be closed and read as empty
    assert not owns_restored(cast(Any, app), "identities")
    app.should_stop = False
    assigned.discard(TP("identities", 0))
    assert not owns_restored(cast(Any, app), "identities")


def test_a_partition_is_stalled_once_its_commit_stays_behind_the_log_end() -> None:
    stalls = Stalls(after_s=60)
    other = TP("police", 2)
    assert stalls.stalled(0, {PART: 32, other: 5}, {PART: 40, other: 5}) == []
    assert stalls.stalled(59, {PART: 32}, {PART: 40}) == []
    assert stalls.stalled(60, {PART: 32}, {PART: 40}) == [PART]
    assert stalls.stalled(61, {PART: 32}, {PART: 40}) == []  # its clock starts again
    assert stalls.stalled(120, {PART: 32}, {PART: 40}) == [PART]
    assert stalls.stalled(130, {PART: 35}, {PART: 40}) == []  # it moved
    assert stalls.stalled(189, {PART: 35}, {PART: 40}) == []
    assert stalls.stalled(190, {PART: 40}, {PART: 40}) == []  # done
    assert stalls.stalled(400, {PART: None}, {PART: 3}) == []  # nothing committed yet
    assert stalls.stalled(460, {PART: None}, {PART: 3}) == [PART]


def _settled_app(consumer: Any) -> Any:
    recovery = SimpleNamespace(in_recovery=False, completed=asyncio.Event())
    recovery.completed.set()
    return SimpleNamespace(
        should_stop=False,
        rebalancing=False,
        tables=SimpleNamespace(recovery=recovery),
        consumer=consumer,
    )


def _held_consumer(end: int) -> Any:
    """A stand-in for Faust's consumer holding PART with offset 32 committed and 33 to 35
    processed, its real ``_new_offset``, ``seek``, ``resume_partitions`` and active set."""
    consumer = _app(committed=32, acked=[33, 34, 35]).consumer
    consumer.__dict__.update(
        _unacked_messages=set(),
        _read_offset=defaultdict(lambda: None, {PART: 36}),
        _active_partitions=None,
        _paused_partitions=set(),
        _buffered_partitions=set(),
        assignment=lambda: {PART},
        log=SimpleNamespace(dev=lambda *args: None),
        sought=[],
    )
    for name in ("seek", "resume_partitions", "_get_active_partitions", "_set_active_tps"):
        setattr(consumer, name, getattr(Consumer, name).__get__(consumer))

    async def highwaters(*tps: TP) -> dict[TP, int]:
        return dict.fromkeys(tps, end)

    async def _seek(tp: TP, offset: int) -> None:
        consumer.sought.append((tp, offset))

    consumer.highwaters, consumer._seek = highwaters, _seek
    return consumer


def test_a_commit_held_at_an_event_nobody_reads_again_is_read_again() -> None:
    # issue 15: the guard holds the commit at 32 (never acknowledged); nothing else reads 32
    # again, so the worker went idle with the partition unfinished
    consumer = _held_consumer(end=40)
    processed = Processed()
    processed.offsets[PART] = {33, 34, 35}
    app = _settled_app(consumer)
    _commit_only_what_was_processed(app, processed)
    stalls = Stalls(after_s=0)
    assert consumer._new_offset(PART) is None
    assert asyncio.run(watch_stalls(app, stalls, {"police"})) == []  # its clock starts
    assert consumer._new_offset(PART) is None
    assert asyncio.run(watch_stalls(app, stalls, {"police"})) == [PART]
    assert consumer.sought == [(PART, 32)]  # read again from the committed offset
    assert consumer._read_offset[PART] == 32  # Faust's filter lets 32 through again
    processed.offsets[PART].add(32)  # 32 read again and processed
    consumer._acked[PART].append(32)
    assert consumer._new_offset(PART) == 36


def test_a_stalled_partition_being_processed_is_reported_not_read_again() -> None:
    consumer = _held_consumer(end=40)
    consumer._unacked_messages.add(_message(36, generation=1))  # a batch still has it
    app, stalls = _settled_app(consumer), Stalls(after_s=0)
    for _ in range(2):
        found = asyncio.run(watch_stalls(app, stalls, {"police"}))
    assert found == [PART] and consumer.sought == []


def test_a_stalled_partition_left_out_of_fetching_is_resumed() -> None:
    consumer = _held_consumer(end=40)
    consumer._get_active_partitions().discard(PART)  # back-pressure never lifted
    consumer._buffered_partitions.add(PART)
    app, stalls = _settled_app(consumer), Stalls(after_s=0)
    for _ in range(2):
        asyncio.run(watch_stalls(app, stalls, {"police"}))
    assert PART in consumer._get_active_partitions() and not consumer._buffered_partitions
    assert consumer.sought == [(PART, 32)]


def test_the_watchdog_waits_while_a_rebalance_is_under_way() -> None:
    consumer = _held_consumer(end=40)
    app, stalls = _settled_app(consumer), Stalls(after_s=0)
    asyncio.run(watch_stalls(app, stalls, {"police"}))
    app.rebalancing = True
    assert asyncio.run(watch_stalls(app, stalls, {"police"})) == []
    app.rebalancing = False
    assert asyncio.run(watch_stalls(app, stalls, {"police"})) == []  # afresh
    assert asyncio.run(watch_stalls(app, stalls, {"health"})) == []  # not ours
    assert consumer.sought == []


def _member(answer: type[Errors.KafkaError] | None, member_id: str = "faust-1") -> Any:
    """A stand-in app whose consumer thread holds a coordinator with aiokafka's own heartbeat
    and rejoin logic; the broker answers each heartbeat with ``answer`` (None: no error)."""
    sent: list[Any] = []

    async def send_req(request: Any) -> Any:
        sent.append(request)
        return SimpleNamespace(error_code=0 if answer is None else answer.errno)

    coordinator = SimpleNamespace(
        group_id="hub",
        generation=4,
        member_id=member_id,
        coordinator_id=1,
        _send_req=send_req,
        _rejoin_needed_fut=asyncio.get_running_loop().create_future(),
        _coordinator_dead_fut=asyncio.get_running_loop().create_future(),
    )
    for name in ("_do_heartbeat", "reset_generation", "request_rejoin", "need_rejoin"):
        setattr(coordinator, name, getattr(GroupCoordinator, name).__get__(coordinator))
    consumer = SimpleNamespace(
        _coordinator=coordinator,
        _subscription=SimpleNamespace(subscription=SimpleNamespace(assignment=object())),
    )

    async def call_thread(fun: Any, *args: Any) -> Any:
        return await fun(*args)

    thread = SimpleNamespace(_ensure_consumer=lambda: consumer, call_thread=call_thread)
    return SimpleNamespace(should_stop=False, consumer=SimpleNamespace(_thread=thread), sent=sent)


def test_a_worker_still_in_its_generation_is_a_member() -> None:
    async def case() -> None:
        app = _member(None)
        assert await still_a_member(cast(Any, app))
        assert len(app.sent) == 1  # asked the broker now, not from memory

    asyncio.run(case())


def test_a_worker_dropped_while_frozen_learns_it_before_it_restores() -> None:
    async def case() -> None:
        # the broker dropped it while it was stopped; its first heartbeat after says so
        app = _member(Errors.UnknownMemberIdError)
        assert not await still_a_member(cast(Any, app))
        coordinator = app.consumer._thread._ensure_consumer()._coordinator
        assert coordinator.member_id == JoinGroupRequest.UNKNOWN_MEMBER_ID
        assert not await still_a_member(cast(Any, app))  # stays out, without asking again
        assert len(app.sent) == 1

    asyncio.run(case())


def test_a_worker_is_not_taken_as_owner_while_its_group_rebalances() -> None:
    async def case() -> None:
        assert not await still_a_member(cast(Any, _member(Errors.RebalanceInProgressError)))
        assert not await still_a_member(cast(Any, _member(Errors.IllegalGenerationError)))

    asyncio.run(case())


def test_no_answer_from_the_consumer_thread_is_not_membership() -> None:
    async def case() -> None:
        app = _member(None)

        async def stuck(fun: Any, *args: Any) -> Any:
            await asyncio.sleep(60)

        app.consumer._thread.call_thread = stuck
        assert not await still_a_member(cast(Any, app), timeout_s=0.05)

    asyncio.run(case())


def test_a_worker_stopping_takes_nothing_over() -> None:
    async def case() -> None:
        app = _member(None)
        app.should_stop = True
        assert not await still_a_member(cast(Any, app))
        assert app.sent == []

    asyncio.run(case())


def _stopping(answer: type[Errors.KafkaError] | None) -> Any:
    """A stand-in app stopping cleanly (``on_before_shutdown``): its tables recovered, the
    identities partition assigned, its consumer still in the group (asked with ``answer``)."""
    app = _member(answer)
    app.should_stop = True
    app.rebalancing = False
    app.tables = SimpleNamespace(
        recovery=SimpleNamespace(in_recovery=False, completed=asyncio.Event())
    )
    app.tables.recovery.completed.set()
    app.consumer.assignment = lambda: {TP("police", 0), TP("identities", 0)}
    return app


def test_a_stopping_worker_owns_linkage_while_assigned_recovered_and_a_member() -> None:
    async def case() -> None:
        app = _stopping(None)
        assert await owns_at_stop(cast(Any, app), "identities")
        assert len(app.sent) == 1  # asked the broker now
        assert not await owns_at_stop(
            cast(Any, _stopping(Errors.UnknownMemberIdError)), "identities"
        )
        assert not await owns_at_stop(
            cast(Any, _stopping(Errors.RebalanceInProgressError)), "identities"
        )
        for change in (
            lambda a: setattr(a, "rebalancing", True),
            lambda a: setattr(a.tables.recovery, "in_recovery", True),
            lambda a: a.tables.recovery.completed.clear(),
            lambda a: setattr(a.consumer, "assignment", lambda: {TP("police", 0)}),
        ):
            app = _stopping(None)
            change(app)
            assert not await owns_at_stop(cast(Any, app), "identities")
            assert app.sent == []  # told without asking

    asyncio.run(case())


class _Offsets:
    """A store's remembered changelog offsets (RocksDB's ``persisted_offset`` and setter)."""

    def __init__(self, remembers: bool = True) -> None:
        self.remembers = remembers
        self.kept: dict[TP, int] = {}

    def persisted_offset(self, tp: TP) -> int | None:
        return self.kept.get(tp)

    def set_persisted_offset(self, tp: TP, offset: int) -> None:
        if self.remembers:
            self.kept[tp] = offset


CHANGELOG = TP("hub-records-changelog", 0)


class _Changelog:
    """A table with Faust's own ``_on_changelog_sent`` over a stand-in store, whose sends
    are acknowledged when the test says, at the offset it says, as Faust's producer calls
    the callback it was given at the send."""

    def __init__(self, store: _Offsets, settled: bool = True) -> None:
        recovery = SimpleNamespace(in_recovery=False, completed=asyncio.Event())
        if settled:
            recovery.completed.set()
        self.app = SimpleNamespace(
            should_stop=False, rebalancing=False, tables=SimpleNamespace(recovery=recovery)
        )
        self.table = SimpleNamespace(
            app=SimpleNamespace(in_transaction=False),
            data=store,
            partitions=1,
            changelog_topic=SimpleNamespace(get_topic_name=lambda: CHANGELOG.topic),
        )
        self.table._on_changelog_sent = Table._on_changelog_sent.__get__(self.table)
        self.sent: list[tuple[Any, Any]] = []

        def send_changelog(*_: Any, **__: Any) -> Any:
            future = asyncio.get_running_loop().create_future()
            self.sent.append((future, self.table._on_changelog_sent))  # taken as it sends
            return future

        self.table.send_changelog = send_changelog
        self.runs = ChangelogRuns(cast(Any, self.app), cast(Any, self.table))

    def send(self) -> Any:
        return self.table.send_changelog(0, "key", "value")

    async def acked(self, future: Any, offset: int) -> None:
        callback = next(c for f, c in self.sent if f is future)
        future.set_result(SimpleNamespace(topic_partition=CHANGELOG, offset=offset))
        callback(future)
        await asyncio.sleep(0)  # done callbacks run


def test_a_changelog_another_worker_wrote_in_between_is_read_whole_next_time() -> None:
    async def run() -> list[Any]:
        store = _Offsets()
        store.kept[CHANGELOG] = 99  # the recovery read up to 99
        log = _Changelog(store)
        await log.acked(log.send(), 100)
        await log.acked(log.send(), 101)
        assert store.kept[CHANGELOG] == 101  # an unbroken run: a recovery reads on from 102
        with capture_logs() as logs:
            await log.acked(log.send(), 150)  # 102-149 written by another worker
            await log.acked(log.send(), 151)
        assert store.kept[CHANGELOG] == -1  # the next recovery reads it whole
        return logs

    assert [e["event"] for e in asyncio.run(run())] == ["changelog.read_whole_next"]  # once


def test_a_first_write_to_an_empty_changelog_is_remembered() -> None:
    async def run() -> None:
        store = _Offsets()
        log = _Changelog(store)
        await log.acked(log.send(), 0)
        assert store.kept[CHANGELOG] == 0
        store.kept.clear()
        await log.acked(log.send(), 3)  # the recovery read nothing, yet others wrote 0-2
        assert store.kept[CHANGELOG] == -1

    asyncio.run(run())


def test_a_write_acknowledged_after_a_revocation_is_not_counted_in_the_store() -> None:
    # review of d082fdb: acknowledged after the next recovery began from the offset before
    # it, that recovery may put the key's older value over the newer one in the store
    async def run() -> None:
        store = _Offsets()
        store.kept[CHANGELOG] = 9
        log = _Changelog(store)
        early, late = log.send(), log.send()
        waiting = asyncio.create_task(log.runs.revoked(wait_s=0.05))
        await log.acked(early, 10)  # acknowledged while the revocation waits: counted
        await waiting
        assert store.kept[CHANGELOG] == 10
        await log.acked(late, 11)  # after it: the next recovery reads it all
        assert store.kept[CHANGELOG] == -1

    asyncio.run(run())


def test_a_write_sent_before_the_tables_are_recovered_is_not_counted_in_the_store() -> None:
    async def run() -> None:
        store = _Offsets()
        store.kept[CHANGELOG] = 9
        log = _Changelog(store, settled=False)  # a rebalance or a recovery under way
        await log.acked(log.send(), 10)
        assert store.kept[CHANGELOG] == -1

    asyncio.run(run())


def test_a_failed_write_makes_the_next_recovery_read_it_all() -> None:
    # Faust calls no callback for a failed send; the store holds what the changelog lacks
    async def run() -> list[Any]:
        store = _Offsets()
        store.kept[CHANGELOG] = 9
        log = _Changelog(store)
        with capture_logs() as logs:
            log.send().set_exception(Errors.KafkaTimeoutError())
            await asyncio.sleep(0)
        assert store.kept[CHANGELOG] == -1 and not log.runs.in_flight
        return logs

    assert [e["event"] for e in asyncio.run(run())] == ["changelog.send_failed"]


def test_a_store_that_remembers_no_offsets_is_left_alone() -> None:
    async def run() -> list[Any]:
        store = _Offsets(remembers=False)  # ``memory://``: a recovery reads it all anyway
        log = _Changelog(store)
        with capture_logs() as logs:
            await log.acked(log.send(), 7)
        assert store.kept == {}
        return logs

    assert asyncio.run(run()) == []


def test_the_tables_start_without_fausts_one_second_sleep() -> None:
    # Faust's table manager slept 1 s before starting recovery: every restart paid it
    app = faust.App("t-tables", broker="kafka://127.0.0.1:1")
    app.Table("declared", key_type=str, value_type=str)
    start_tables_at_once(app)
    done: list[str] = []

    async def channels() -> None:
        done.append("channels")

    async def recovery_start() -> None:
        done.append("recovery")

    manager = cast(Any, app.tables)
    manager._update_channels = channels
    manager._recovery = SimpleNamespace(start=recovery_start)
    started = time.monotonic()
    asyncio.run(manager.on_start())
    assert done == ["channels", "recovery"]  # what Faust's on_start does, in its order
    assert time.monotonic() - started < 0.5


def test_an_undecodable_changelog_entry_is_read_in_its_place_as_a_deletion_of_nothing() -> None:
    # Faust threw the decode error into its recovery's queue: the entry's offset never read,
    # the recovery waited for it for ever; an entry with no key decoded, then failed every
    # write of the recovery's buffer
    from faust.exceptions import KeyDecodeError
    from faust.types.tuples import Message

    from streams.faust_internals import UNDECODABLE

    app = faust.App("t-junk", broker="kafka://127.0.0.1:1")
    table = app.Table("declared", key_type=str, value_type=str)
    manager = cast(Any, app.tables)

    class Channel:  # a changelog channel as Faust's conductor calls it
        async def decode(self, message: Any, *, propagate: bool = False) -> Any:
            return "decoded"

        async def on_key_decode_error(self, exc: Exception, message: Any) -> None:
            raise AssertionError("Faust's own: replaced")

        on_value_decode_error = on_key_decode_error

    channel = Channel()

    async def channels() -> None:
        manager._channels[table] = channel

    tp = TP("t-junk-declared-changelog", 2)

    def message(key: bytes | None) -> Any:
        return Message(tp.topic, tp.partition, 7, 0.0, 0, [], key, b"{}", None, tp=tp)

    async def run() -> list[Any]:
        await manager._update_channels()  # Faust's (its stand-in here), then the guard
        await manager._update_channels()  # again, as at each rebalance: guarded once
        assert await channel.decode(message(b'"k"'), propagate=True) == "decoded"
        with pytest.raises(KeyDecodeError):  # what the conductor then hands to the guard
            await channel.decode(message(None), propagate=True)
        await channel.on_key_decode_error(KeyError("junk"), message(b"\xff"))
        await channel.on_value_decode_error(ValueError("junk"), message(b'"k"'))
        return [manager.changelog_queue.get_nowait() for _ in range(2)]

    manager._update_channels = channels
    skip_undecodable_changelog_entries(app)  # over the stand-in of Faust's own
    events = asyncio.run(run())
    for event in events:
        assert (event.message.tp, event.message.offset) == (tp, 7)
        assert (event.message.key, event.message.value) == (UNDECODABLE, None)


def test_a_copied_changelog_is_what_faust_would_have_applied(tmp_path: Path) -> None:
    """The bulk copy writes each entry's key and value bytes as Faust's own
    ``apply_changelog_batch`` does (a tombstone deletes, a later value wins), and the last
    offset where Faust's store reads its persisted offset, as text."""
    from faust.stores.rocksdb import RocksDBOptions
    from faust.stores.rocksdb import Store as RocksDBStore

    from plumbing.kafka import Record
    from streams.faust_internals import _write

    options = RocksDBOptions()
    store = SimpleNamespace(
        offset_key=RocksDBStore.offset_key,
        table_name="t",
        _decode_key=json.loads,
        _decode_value=json.loads,
    )
    dbs = {p: options.open(tmp_path / f"t-{p}.db") for p in (0, 1)}
    try:
        records = [
            Record("t", 0, 10, b'"a"', b"1", {}),
            Record("t", 1, 4, b'"b"', b"2", {}),
            Record("t", 0, 11, b'"a"', b"3", {}),  # a later value of one key
            Record("t", 0, 12, b'"c"', b"4", {}),
            Record("t", 0, 13, b'"c"', None, {}),  # a tombstone
            Record("t", 0, 14, b'"e\\n"', b"7", {}),  # an escape: the codec reads it
        ]
        # what Faust's recovery would not read is not kept, its offset is (a review's cases)
        junk = [b"\xff\xfe", b'"\xff"', b'"a"b"', b'"a\nb"', b'"', None]
        records += [Record("t", 1, 5 + n, key, b"5", {}) for n, key in enumerate(junk)]
        records.append(Record("t", 1, 11, b'"d"', b"\xff junk", {}))  # a value no codec reads
        assert _write(store, dbs, records, values=True) == len(records)
        assert dbs[0].get(b'"a"') == b"3" and dbs[0].get(b'"c"') is None
        assert dbs[0].get(b'"e\\n"') == b"7"
        assert dbs[1].get(b'"b"') == b"2" and dbs[1].get(b'"a"') is None
        assert all(dbs[1].get(key) is None for key in [*junk[:-1], b'"d"'])
        assert dbs[0].get(RocksDBStore.offset_key) == b"14"
        assert dbs[1].get(RocksDBStore.offset_key) == b"11"  # the junk's offsets read
        # a table whose owner checks its own values (the linkage table) keeps them as they are
        assert _write(store, dbs, [Record("t", 1, 12, b'"d"', b"\xff junk", {})], values=False)
        assert dbs[1].get(b'"d"') == b"\xff junk"
    finally:
        for db in dbs.values():
            db.close()


def test_a_stop_past_its_deadline_ends_the_process_after_an_error_line() -> None:
    import signal
    import threading

    import mode

    # mode's worker sends both stop signals through the method the deadline wraps
    for handler in (mode.Worker._on_sigterm, mode.Worker._on_sigint):
        assert "self._schedule_shutdown(" in inspect.getsource(handler)
    scheduled: list[signal.Signals] = []
    exits: list[int] = []
    exited = threading.Event()

    def exit(code: int) -> None:
        exits.append(code)
        exited.set()

    worker: Any = SimpleNamespace(_signal_stop_time=None, _schedule_shutdown=scheduled.append)
    bound_the_stop(worker, 0.3, exit=exit)
    with capture_logs() as logs:
        worker._schedule_shutdown(signal.SIGTERM)
        assert scheduled == [signal.SIGTERM]  # Faust's own stop goes on
        worker._signal_stop_time = 1.0
        worker._schedule_shutdown(signal.SIGINT)  # a second signal: no second clock
        assert not exited.wait(0.1)  # not yet
        assert exited.wait(10)
        time.sleep(0.3)  # a second clock would have ended it again by now
    assert exits == [5]  # EXIT_FAILED, once
    assert [(e["event"], e["signal"], e["log_level"]) for e in logs] == [
        ("worker.stop_overdue", "SIGTERM", "error")
    ]


def test_streams_stopped_in_time_call_the_deadline_off() -> None:
    import signal

    exits: list[int] = []
    worker: Any = SimpleNamespace(_signal_stop_time=None, _schedule_shutdown=lambda _s: None)
    stopped = bound_the_stop(worker, 0.2, exit=exits.append)
    worker._schedule_shutdown(signal.SIGTERM)
    stopped.set()  # the streams ended (the sinks' stop, after, has its own bound)
    time.sleep(0.5)
    assert exits == []


def test_no_deadline_leaves_the_stop_alone() -> None:
    worker: Any = SimpleNamespace(_signal_stop_time=None, _schedule_shutdown=print)
    bound_the_stop(worker, 0, exit=lambda code: pytest.fail(f"exited {code}"))
    assert worker._schedule_shutdown is print


def test_a_fetch_brings_less_of_a_partition_once_the_tables_are_recovered() -> None:
    from aiokafka.consumer.fetcher import Fetcher
    from faust.tables.recovery import Recovery
    from faust.transport.drivers import aiokafka as driver

    # where Faust and aiokafka call and read what is wrapped and set (read in their code)
    assert "thread.app.on_rebalance_start()" in inspect.getsource(driver)
    assert "app.on_rebalance_end()" in inspect.getsource(Recovery)
    assert "self._max_partition_fetch_bytes)" in inspect.getsource(Fetcher._get_actions_per_node)
    calls: list[str] = []
    fetcher = SimpleNamespace(_max_partition_fetch_bytes=8 << 20)
    app: Any = SimpleNamespace(
        should_stop=False,
        on_rebalance_start=lambda: calls.append("start"),
        on_rebalance_end=lambda: calls.append("end"),
        consumer=SimpleNamespace(
            _thread=SimpleNamespace(_consumer=SimpleNamespace(_fetcher=fetcher))
        ),
    )
    fetch_less_while_streaming(app, 1 << 20, 8 << 20)
    with capture_logs() as logs:
        app.on_rebalance_end()  # the first recovery ends: the streams read
        assert fetcher._max_partition_fetch_bytes == 1 << 20
        app.on_rebalance_start()  # a rebalance: a new owner may read a changelog whole
        assert fetcher._max_partition_fetch_bytes == 8 << 20
        app.on_rebalance_end()
        assert fetcher._max_partition_fetch_bytes == 1 << 20
        app.should_stop = True  # a stop's revocation: no recovery follows, no size for one
        app.on_rebalance_start()
        assert fetcher._max_partition_fetch_bytes == 1 << 20
    assert calls == ["end", "start", "end", "start"]  # Faust's own go on
    assert [(e["phase"], e["partition_bytes"]) for e in logs] == [
        ("streams", 1 << 20),
        ("recovery", 8 << 20),
        ("streams", 1 << 20),
    ]
    no_consumer: Any = SimpleNamespace(
        should_stop=False,
        on_rebalance_start=lambda: None,
        on_rebalance_end=lambda: None,
        consumer=None,
    )
    fetch_less_while_streaming(no_consumer, 1 << 20, 8 << 20)
    no_consumer.on_rebalance_start()  # nothing to set yet: nothing said
