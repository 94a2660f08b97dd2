"""The hub's guards on Faust's offset bookkeeping (at the seam: a stand-in consumer with
Faust's own fields and its real ``_new_offset``), the detector of skipped offsets, and when a
timer may restore state (Faust's recovery fields)."""

from __future__ import annotations

import asyncio
import inspect
from collections import defaultdict
from types import SimpleNamespace
from typing import Any, cast

import faust
from faust.tables.recovery import Recovery
from faust.transport.consumer import Consumer
from faust.types import TP

from streams.faust_internals import Ownership, _commit_only_what_was_processed, owns_restored

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
    _commit_only_what_was_processed(app)
    assert app.consumer._new_offset(PART) is None
    app.consumer._acked[PART].append(32)
    assert app.consumer._new_offset(PART) == 36


def _event(offset: int) -> Any:
    return SimpleNamespace(
        message=SimpleNamespace(tp=PART, topic="police", partition=1, offset=offset)
    )


def test_a_skipped_offset_is_found_and_fits_in_when_read_again() -> None:
    owner = Ownership()
    committed = {PART: 30}
    assert owner.holes([_event(n) for n in range(30, 32)], committed) == {}
    assert owner.holes([_event(31), _event(33), _event(34)], committed) == {PART: 32}
    assert owner.holes([_event(n) for n in range(32, 40)], committed) == {}  # read again
    owner.revoked()
    assert owner.holes([_event(71)], {PART: 70}) == {PART: 70}  # past the committed offset
    owner.revoked()
    assert owner.holes([_event(70)], {}) == {}  # nothing committed yet: starts where it is


def test_a_timer_restores_state_only_when_recovered_and_the_partition_is_assigned() -> None:
    # the fields read, as Faust has them (a stand-in app below carries the same)
    assert Recovery.in_recovery is False and faust.App.rebalancing is False
    assert "self.completed = Event()" in inspect.getsource(Recovery.__init__)
    recovery = SimpleNamespace(in_recovery=False, completed=asyncio.Event())
    assigned = {TP("police", 0), TP("identities", 0)}
    app = SimpleNamespace(
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
    assigned.discard(TP("identities", 0))
    assert not owns_restored(cast(Any, app), "identities")
