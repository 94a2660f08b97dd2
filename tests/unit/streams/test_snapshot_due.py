"""When the linkage worker saves its index while it runs: every ``linkage_snapshot_s``, and
also once the records indexed since the last save began reach an eighth of the index (at
least ``SAVE_STEP_FLOOR``, at most ``linkage_snapshot_records``), so that the table's tail a
restart decodes stays bounded however fast records come."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path
from typing import Any

import faust
import pytest
from structlog.testing import capture_logs

from plumbing.processes import Ended
from plumbing.settings import WorkerSettings
from schemas.registry import codec_for
from simulation.synthetic import police_notifications
from streams import linkage_agent
from streams.app import faust_settings
from streams.hub import HubState
from streams.linkage_agent import Linkage

_DAY = dt.date(2012, 4, 1)


def _linkage(tmp_path: Path, **more: Any) -> Linkage:
    # no broker is contacted: the stage is built, not run
    settings = WorkerSettings(
        home=tmp_path, kafka_bootstrap="127.0.0.1:1", kafka_security_protocol="PLAINTEXT", **more
    )
    linkage = Linkage(
        faust.App(settings.app_id, **faust_settings(settings)), settings, codec_for(settings)
    )
    linkage.state = HubState()
    linkage.snapshot_due.restart(time.monotonic())  # as a restore does: the hour not up
    return linkage


def _grow(linkage: Linkage, events: int, seed: int) -> None:
    assert linkage.state is not None
    linkage.state.process(
        list(police_notifications(events, seed, _DAY, _DAY.replace(year=2013))), "t"
    )


def _saves(linkage: Linkage, monkeypatch: pytest.MonkeyPatch, code: int = 0) -> list[int]:
    """Record each save begun (its index size), each a child that ends at once (with exit
    status ``code``: 1 is a save that failed)."""
    begun: list[int] = []

    def save(_path: Path, linker: Any, _summaries: Any, _version: int) -> int:
        begun.append(len(linker.person))
        pid = os.fork()
        if pid == 0:
            os._exit(code)
        return pid

    monkeypatch.setattr(linkage_agent, "save_in_background", save)
    return begun


def _after_batch(linkage: Linkage) -> None:
    assert linkage.state is not None
    linkage._save_index(linkage.state, 1)
    _let_end(linkage)


def _let_end(linkage: Linkage) -> None:
    """Let a save begun end, as a later batch or tick would find it."""
    if linkage.saving is not None:
        os.waitpid(linkage.saving, 0)
        linkage.saving = None


def test_a_save_is_due_once_enough_records_were_indexed_since_the_last(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    linkage = _linkage(tmp_path, linkage_snapshot_s=3600, linkage_snapshot_records=100)
    begun = _saves(linkage, monkeypatch)
    assert linkage.state is not None
    _grow(linkage, 60, 1)
    first = len(linkage.state.linker.person)
    assert first < 100
    _after_batch(linkage)
    assert begun == []  # neither the hour nor the count is up
    _grow(linkage, 90, 2)
    grown = len(linkage.state.linker.person)
    assert grown >= 100
    _after_batch(linkage)
    assert begun == [grown]
    _after_batch(linkage)  # nothing new since: not due again
    assert begun == [grown]
    _grow(linkage, 60, 3)
    assert len(linkage.state.linker.person) - grown < 100
    _after_batch(linkage)
    assert begun == [grown]  # counted from the last save, not from the start


def test_by_time_only_when_the_count_is_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    linkage = _linkage(tmp_path, linkage_snapshot_s=3600, linkage_snapshot_records=0)
    begun = _saves(linkage, monkeypatch)
    _grow(linkage, 300, 4)
    _after_batch(linkage)
    assert begun == []
    linkage.snapshot_due.restart(time.monotonic() - 3601)  # the hour is up
    _after_batch(linkage)
    assert linkage.state is not None
    assert begun == [len(linkage.state.linker.person)]


def _ended(linkage: Linkage) -> None:
    """Wait for the save under way to end, then let the agent find it as a batch would."""
    assert linkage.saving is not None
    deadline = time.monotonic() + 60
    while linkage._reaped() is False and time.monotonic() < deadline:
        time.sleep(0.05)
    assert linkage.saving is None


@pytest.mark.parametrize("fails", [False, True])
def test_a_live_worker_holds_its_saved_blocks_as_arrays_and_links_on_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fails: bool
) -> None:
    linkage = _linkage(tmp_path, linkage_snapshot_s=3600, linkage_snapshot_records=100)
    if fails:  # a save whose child fails: the sealed blocks are held again
        _saves(linkage, monkeypatch)
        monkeypatch.setattr(
            linkage_agent,
            "save_ended",
            lambda pid: os.waitpid(pid, 0) and Ended(ok=False, cpu_s=0.0, peak_mb=0.0),
        )
    plain = HubState()
    assert linkage.state is not None
    for seed in (5, 6):
        _grow(linkage, 150, seed)
        plain.process(list(police_notifications(150, seed, _DAY, _DAY.replace(year=2013))), "t")
    with capture_logs() as logs:
        linkage._save_index(linkage.state, 1)
        _grow(linkage, 150, 7)  # linked while the save runs
        plain.process(list(police_notifications(150, 7, _DAY, _DAY.replace(year=2013))), "t")
        _ended(linkage)
    events = [e["event"] for e in logs]
    assert ("linkage.blocks_not_compacted" if fails else "linkage.blocks_compacted") in events
    blocks = linkage.state.linker.blocks
    assert (blocks._base is None) is fails  # arrays held, or the Python blocks again
    assert blocks._sealed is None
    assert dict(blocks) == dict(plain.linker.blocks)
    _grow(linkage, 150, 8)
    plain.process(list(police_notifications(150, 8, _DAY, _DAY.replace(year=2013))), "t")
    assert linkage.state.linker.person == plain.linker.person
    assert dict(blocks) == dict(plain.linker.blocks)


def test_a_state_dropped_while_its_blocks_are_saved_is_freed_at_once(tmp_path: Path) -> None:
    # a revocation (or a failed batch) drops the state during a save: nothing keeps the
    # dropped index alive until the save is reaped, and the reap adopts nothing
    linkage = _linkage(tmp_path, linkage_snapshot_s=3600, linkage_snapshot_records=100)
    _grow(linkage, 300, 9)
    assert linkage.state is not None
    linkage._save_index(linkage.state, 1)
    assert linkage.sealed is not None
    held = linkage.sealed[0]
    linkage.state = None
    assert held() is None
    with capture_logs() as logs:
        _ended(linkage)
    assert linkage.sealed is None
    assert not [e for e in logs if e["event"].startswith("linkage.blocks")]


@pytest.mark.parametrize(
    ("cap", "records", "step"),
    [
        (50_000, 0, 10_000),  # a small index: the floor
        (50_000, 80_000, 10_000),
        (50_000, 120_000, 15_000),  # an eighth of the index, above the floor
        (50_000, 160_000, 20_000),
        (50_000, 399_992, 49_999),
        (50_000, 400_000, 50_000),  # where the cap takes over
        (50_000, 1_000_000, 50_000),  # at most the setting
        (5_000, 1_000_000, 5_000),  # a setting below the floor is kept
        (0, 1_000_000, 0),  # by time only
    ],
)
def test_the_records_a_save_waits_for_are_an_eighth_of_the_index_within_bounds(
    tmp_path: Path, cap: int, records: int, step: int
) -> None:
    linkage = _linkage(tmp_path, linkage_snapshot_s=3600, linkage_snapshot_records=cap)
    assert linkage._save_step(records) == step


def test_a_growing_index_is_saved_each_time_it_grew_by_an_eighth(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the floor lowered so that a few hundred records show the share
    monkeypatch.setattr(linkage_agent, "SAVE_STEP_FLOOR", 20)
    linkage = _linkage(tmp_path, linkage_snapshot_s=3600, linkage_snapshot_records=100_000)
    begun = _saves(linkage, monkeypatch)
    assert linkage.state is not None
    last, waited = 0, 0
    for seed in range(100, 160):
        _grow(linkage, 4, seed)
        records = len(linkage.state.linker.person)
        due = records - last >= max(20, records // 8)
        if not due and records - last >= 20:
            waited += 1  # past the floor, short of an eighth: not saved
        saves = len(begun)
        _after_batch(linkage)
        assert len(begun) == saves + due, (records, last)
        if due:
            assert begun[-1] == records
            last = records
    assert waited >= 5
    assert len(begun) >= 4
    assert begun[-1] - begun[-2] > 20  # the later steps were an eighth, above the floor


def test_a_save_is_due_exactly_at_the_step_of_the_index_as_it_is_now(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    linkage = _linkage(tmp_path, linkage_snapshot_s=3600, linkage_snapshot_records=100)
    begun = _saves(linkage, monkeypatch)
    assert linkage.state is not None
    _grow(linkage, 300, 12)
    records = len(linkage.state.linker.person)
    step = linkage._save_step(records)
    assert 0 < step < records
    linkage.saved_records = records - step + 1  # one record short of the step
    _after_batch(linkage)
    assert begun == []
    linkage.saved_records = records - step  # the step itself
    _after_batch(linkage)
    assert begun == [records]


def test_a_full_rebuild_of_the_floor_or_more_is_saved_after_its_first_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a restore that rebuilt in full leaves no snapshot counted (``saved_records`` 0)
    monkeypatch.setattr(linkage_agent, "SAVE_STEP_FLOOR", 200)
    linkage = _linkage(tmp_path, linkage_snapshot_s=3600, linkage_snapshot_records=50_000)
    begun = _saves(linkage, monkeypatch)
    assert linkage.state is not None
    _grow(linkage, 120, 13)
    small = len(linkage.state.linker.person)
    assert small < 200
    _after_batch(linkage)
    assert begun == []
    _grow(linkage, 200, 14)
    records = len(linkage.state.linker.person)
    assert records >= 200
    _after_batch(linkage)
    assert begun == [records]


def _idle(linkage: Linkage, now: float) -> None:
    """The idle timer's tick at ``now``; a save it begins ends at once."""
    linkage.save_when_idle(now)
    _let_end(linkage)


def test_a_worker_with_no_batch_for_a_while_saves_what_it_indexed_since_its_last_save(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Far below the count's step: only idleness makes the save due."""
    linkage = _linkage(tmp_path, linkage_snapshot_s=3600, linkage_snapshot_records=50_000)
    begun = _saves(linkage, monkeypatch)
    assert linkage.state is not None
    _grow(linkage, 40, 15)
    t0 = time.monotonic()  # a save notes when it began by this clock
    linkage.indexed, linkage.last_batch = 1, t0  # the batch's durable mark written
    _after_batch(linkage)
    assert begun == []  # 40 records: not due by count
    _idle(linkage, t0 + linkage_agent.IDLE_SAVE_S - 0.1)
    assert begun == []  # not idle long enough
    _idle(linkage, t0 + linkage_agent.IDLE_SAVE_S)
    first = len(linkage.state.linker.person)
    assert begun == [first]
    _idle(linkage, t0 + 1000)
    assert begun == [first]  # nothing indexed since
    _grow(linkage, 5, 16)
    linkage.indexed = None  # a batch under way: its records not yet at a durable mark
    _idle(linkage, t0 + 2000)
    assert begun == [first]
    linkage.indexed = 2
    linkage.stopping = True  # the stop's own save has begun
    _idle(linkage, t0 + 2000)
    assert begun == [first]
    linkage.stopping = False
    _idle(linkage, t0 + 2000)
    assert begun == [first, len(linkage.state.linker.person)]


def test_idle_saves_are_spaced_by_ten_times_the_last_save(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    linkage = _linkage(tmp_path, linkage_snapshot_s=3600, linkage_snapshot_records=50_000)
    begun = _saves(linkage, monkeypatch)
    assert linkage.state is not None
    linkage.indexed, linkage.last_batch = 1, 0.0
    _grow(linkage, 30, 17)
    linkage.save_began, linkage.save_cpu_s = 100.0, 3.0  # 3 s of CPU, begun at 100
    _idle(linkage, 129.9)
    assert begun == []
    _idle(linkage, 130.0)
    assert begun == [len(linkage.state.linker.person)]


def test_a_saves_seconds_of_cpu_are_taken_when_it_is_reaped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The child's CPU, not the time until it was reaped: a child that sleeps uses none."""
    linkage = _linkage(tmp_path, linkage_snapshot_s=3600, linkage_snapshot_records=50_000)
    spin = {"s": 0.3}

    def save(_path: Path, _linker: Any, _summaries: Any, _version: int) -> int:
        pid = os.fork()
        if pid == 0:
            until = time.process_time() + spin["s"]
            while time.process_time() < until:
                pass
            time.sleep(0.5)
            os._exit(0)
        return pid

    monkeypatch.setattr(linkage_agent, "save_in_background", save)
    assert linkage.state is not None
    _grow(linkage, 20, 18)
    linkage.indexed, linkage.last_batch = 1, 0.0
    linkage.save_when_idle(time.monotonic())
    assert linkage.saving is not None
    os.waitid(os.P_PID, linkage.saving, os.WEXITED | os.WNOWAIT)  # ended, not reaped
    assert linkage._reaped()
    assert 0.3 <= linkage.save_cpu_s < 0.8  # not the 0.5 s it slept


def test_a_failed_save_is_tried_again_after_a_pause_though_nothing_new_came(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker gone quiet whose idle save failed (a full disk) saves again once the pause
    is over, not only once new records come; and not at every batch or tick before."""
    monkeypatch.setattr(linkage_agent, "SAVE_RETRY_S", 0.5)
    # the pause alone holds the retry back: the child that fails at once still used some
    # CPU (its exit, under load), and ten times it once outlasted the half second here
    monkeypatch.setattr(linkage_agent, "IDLE_SAVE_SPACING", 0)
    linkage = _linkage(tmp_path, linkage_snapshot_s=3600, linkage_snapshot_records=50_000)
    begun = _saves(linkage, monkeypatch, code=1)
    assert linkage.state is not None
    _grow(linkage, 40, 19)
    records = len(linkage.state.linker.person)
    linkage.indexed, linkage.last_batch = 1, 0.0
    with capture_logs() as logs:
        linkage.save_when_idle(time.monotonic())
        _ended(linkage)
    assert begun == [records]
    assert "linkage.snapshot_failed" in [e["event"] for e in logs]
    linkage.save_when_idle(time.monotonic())  # within the pause: neither a tick
    _after_batch(linkage)  # nor a batch begins one
    assert begun == [records]
    time.sleep(0.5)
    linkage.save_when_idle(time.monotonic())
    assert begun == [records, records]  # nothing new, but the disk lacks them all
    _ended(linkage)


@pytest.mark.parametrize(("cpu_s", "pause_s"), [(0.2, 60.0), (15.0, 150.0)])
def test_a_failed_saves_pause_is_a_minute_or_ten_times_the_cpu_its_child_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cpu_s: float, pause_s: float
) -> None:
    """A save that fails late (a disk filled as a million records' index was written, 15 s
    of CPU) is not tried again every minute: a repeating failure costs a tenth of a core."""
    linkage = _linkage(tmp_path, linkage_snapshot_s=3600, linkage_snapshot_records=50_000)
    _saves(linkage, monkeypatch)
    monkeypatch.setattr(
        linkage_agent,
        "save_ended",
        lambda pid: os.waitpid(pid, 0) and Ended(ok=False, cpu_s=cpu_s, peak_mb=0.0),
    )
    _grow(linkage, 40, 23)
    linkage.indexed, linkage.last_batch = 1, 0.0
    linkage.save_when_idle(time.monotonic())
    assert linkage.saving is not None
    before = time.monotonic()
    _ended(linkage)
    after = time.monotonic()
    assert before + pause_s <= linkage.retry_at <= after + pause_s
