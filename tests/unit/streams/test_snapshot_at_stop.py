"""The index saved as a worker stops cleanly: only by the owner, only at a durable mark, with
that mark's version, within its time; a background save under way is abandoned or waited for;
the parts of saves killed mid-write are removed as the stage starts; a batch failing part way
drops the state, so that it is read again against the state restored from the table."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import faust
import orjson
import pytest
import structlog

from plumbing import heap
from plumbing.settings import WorkerSettings
from schemas.registry import codec_for
from simulation.synthetic import police_notifications
from streams import linkage_agent
from streams.app import faust_settings
from streams.durable import LinkageTable
from streams.hub import HubState
from streams.identities import LinkageEntry, table_entries
from streams.linkage_agent import Linkage
from streams.model import default_model
from streams.snapshot import CoveredCheck, load_snapshot, snapshot_path


def _settings(tmp_path: Path, **more: Any) -> WorkerSettings:
    # no broker is contacted: the stage is built, not run
    return WorkerSettings(
        home=tmp_path, kafka_bootstrap="127.0.0.1:1", kafka_security_protocol="PLAINTEXT", **more
    )


def _linkage(settings: WorkerSettings) -> Linkage:
    app = faust.App(settings.app_id, **faust_settings(settings))
    return Linkage(app, settings, codec_for(settings))


def _state() -> HubState:
    state = HubState()
    state.process(list(police_notifications(120, 4, dt.date(2012, 4, 1), dt.date(2013, 4, 1))), "t")
    return state


def _stopped(linkage: Linkage, owned: bool) -> list[dict[str, Any]]:
    with structlog.testing.capture_logs() as logs:
        asyncio.run(linkage.save_at_stop(owned))
    return [e for e in logs if e["event"].startswith("linkage.snapshot")]


def _sleeper(seconds: float, code: int = 0) -> int:
    """A forked stand-in for a save under way."""
    pid = os.fork()
    if pid == 0:  # the child
        try:
            time.sleep(seconds)
        finally:
            os._exit(code)
    return pid


def test_the_owner_at_a_durable_mark_saves_the_index_with_that_version(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    linkage = _linkage(settings)
    linkage.state, linkage.indexed = _state(), 7
    logs = _stopped(linkage, owned=True)
    found = load_snapshot(
        snapshot_path(settings.worker_path), default_model().version, {7}.__contains__
    )
    assert found is not None and found.version == 7
    assert found.person == linkage.state.linker.person
    [event] = logs
    assert event["event"] == "linkage.snapshot_saved_at_stop"
    assert event["version"] == 7 and event["records"] == len(found.person)
    assert set(event) == {
        "event",
        "log_level",
        "version",
        "records",
        "seconds",
        "reason",
        "cpu_s",  # the child's, as a save while running logs them (``mash bench`` reads them)
        "peak_mb",
    }
    assert event["cpu_s"] >= 0 and event["peak_mb"] > 0  # a real child's, from its end


@pytest.mark.parametrize(
    ("owned", "indexed", "reason"),
    [
        (False, 7, "not the owner"),  # revoked, dropped by the group, or a rebalance under way
        (True, None, "not at a durable mark"),  # a batch changed it after its last mark
    ],
)
def test_no_save_at_a_stop_unless_owner_and_at_a_durable_mark(
    tmp_path: Path, owned: bool, indexed: int | None, reason: str
) -> None:
    settings = _settings(tmp_path)
    linkage = _linkage(settings)
    linkage.state, linkage.indexed = _state(), indexed
    logs = _stopped(linkage, owned)
    assert not snapshot_path(settings.worker_path).exists()
    assert [(e["event"], e["reason"]) for e in logs] == [
        ("linkage.snapshot_not_saved_at_stop", reason)
    ]


def test_no_state_no_save(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    linkage = _linkage(settings)
    linkage.indexed = 7  # left over: the state was forgotten since
    _stopped(linkage, owned=True)
    assert not snapshot_path(settings.worker_path).exists()


def test_a_background_save_under_way_is_abandoned_for_the_save_at_the_stop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(linkage_agent, "STOP_SAVE_TAIL", 50)
    settings = _settings(tmp_path)
    linkage = _linkage(settings)
    linkage.state, linkage.indexed = _state(), 9
    linkage.saving = older = _sleeper(60)
    linkage.saving_records = len(linkage.state.linker.person) - 50  # it would leave 50
    started = time.monotonic()
    logs = _stopped(linkage, owned=True)
    assert time.monotonic() - started < 10  # not waited for
    assert [e["event"] for e in logs] == [
        "linkage.snapshot_abandoned",
        "linkage.snapshot_saved_at_stop",
    ]
    assert linkage.saving is None
    with pytest.raises(ChildProcessError):  # killed and reaped
        os.waitpid(older, os.WNOHANG)
    found = load_snapshot(snapshot_path(settings.worker_path), default_model().version, bool)
    assert found is not None and found.version == 9


@pytest.mark.parametrize("seconds", [0.3, 60.0])
def test_a_background_save_under_way_that_leaves_a_short_tail_is_waited_for_not_begun_anew(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seconds: float
) -> None:
    # begun anew, the stop's save would write as much again from the start; out of time,
    # none is begun (the stop's bound is spent)
    monkeypatch.setattr(linkage_agent, "STOP_SAVE_TAIL", 50)
    settings = _settings(tmp_path, linkage_snapshot_stop_s=2.0)
    linkage = _linkage(settings)
    linkage.state, linkage.indexed = _state(), 9
    linkage.on_disk = 1
    linkage.saving = older = _sleeper(seconds)
    linkage.saving_records = len(linkage.state.linker.person) - 49
    started = time.monotonic()
    logs = _stopped(linkage, owned=True)
    assert time.monotonic() - started < 10
    ended = seconds < 2.0
    assert [(e["event"], e.get("reason")) for e in logs] == [
        ("linkage.snapshot_saved", None) if ended else ("linkage.snapshot_failed", "out of time"),
        (
            "linkage.snapshot_not_saved_at_stop",
            "the snapshot on disk is recent enough" if ended else "out of time",
        ),
    ]
    assert linkage.on_disk == (linkage.saving_records if ended else 1)
    assert not snapshot_path(settings.worker_path).exists()  # the stand-in wrote nothing
    with pytest.raises(ChildProcessError):  # ended or killed, and reaped
        os.waitpid(older, os.WNOHANG)


def test_a_background_save_is_waited_for_when_the_stop_saves_nothing(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    linkage = _linkage(settings)
    linkage.state, linkage.indexed = _state(), None
    linkage.saving = older = _sleeper(0.3)
    logs = _stopped(linkage, owned=True)
    assert [e["event"] for e in logs] == [
        "linkage.snapshot_saved",  # it ended by itself, within the bound
        "linkage.snapshot_not_saved_at_stop",
    ]
    with pytest.raises(ChildProcessError):  # it ended by itself and was reaped
        os.waitpid(older, os.WNOHANG)


def test_a_save_at_the_stop_past_its_time_is_abandoned_and_the_last_snapshot_stays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(tmp_path, linkage_snapshot_stop_s=0.3)
    linkage = _linkage(settings)
    linkage.state, linkage.indexed = _state(), 7
    path = snapshot_path(settings.worker_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"the last snapshot")
    stuck: list[int] = []

    def slow(*_: Any) -> int:  # a save that takes longer than the stop may wait
        stuck.append(_sleeper(60))
        return stuck[-1]

    monkeypatch.setattr(linkage_agent, "save_in_background", slow)
    started = time.monotonic()
    logs = _stopped(linkage, owned=True)
    assert 0.3 <= time.monotonic() - started < 5
    [event] = logs
    assert (event["event"], event["reason"]) == ("linkage.snapshot_failed", "out of time")
    assert path.read_bytes() == b"the last snapshot"
    with pytest.raises(ChildProcessError):
        os.waitpid(stuck[0], os.WNOHANG)


def test_a_failed_save_at_the_stop_is_logged_as_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(tmp_path)
    linkage = _linkage(settings)
    linkage.state, linkage.indexed = _state(), 7
    monkeypatch.setattr(linkage_agent, "save_in_background", lambda *_: _sleeper(0, code=1))
    [event] = _stopped(linkage, owned=True)
    assert (event["event"], event["reason"]) == ("linkage.snapshot_failed", "failed")


def test_no_save_at_a_stop_when_switched_off(tmp_path: Path) -> None:
    for off in ({"linkage_snapshot_stop_s": 0}, {"linkage_snapshot_s": 0}):
        settings = _settings(tmp_path / str(len(off)) / next(iter(off)), **off)
        linkage = _linkage(settings)
        linkage.state, linkage.indexed = _state(), 7
        assert _stopped(linkage, owned=True) == []
        assert not snapshot_path(settings.worker_path).exists()


def test_the_stage_removes_parts_of_saves_killed_mid_write_as_it_starts(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    path = snapshot_path(settings.worker_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"the live snapshot")
    dead = _sleeper(0)
    os.waitpid(dead, 0)
    part = path.with_suffix(f".{dead}.part")
    part.write_bytes(b"half")
    with structlog.testing.capture_logs() as logs:
        _linkage(settings)
    assert not part.exists()
    assert path.read_bytes() == b"the live snapshot"
    assert [(e["event"], e["pids"]) for e in logs] == [("linkage.snapshot_parts_removed", [dead])]


def test_a_batch_failing_part_way_drops_the_state_for_a_restore_from_the_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the state takes a batch's records before its sends fail: read again, the batch must not
    # find them indexed (skipped) while their entries, links or episodes never went out
    linkage = _linkage(_settings(tmp_path))
    linkage.state, linkage.indexed = _state(), 7
    linkage.mark_due = linkage.republish_due = False
    more = list(police_notifications(40, 9, dt.date(2012, 4, 1), dt.date(2013, 4, 1)))

    async def sends_fail(state: HubState, *_: Any) -> None:
        state.process(more, "t")
        raise TimeoutError("the broker took none of the batch's outputs")

    monkeypatch.setattr(linkage, "_link", sends_fail)
    with structlog.testing.capture_logs() as logs, pytest.raises(TimeoutError):
        asyncio.run(linkage.process([]))
    assert linkage.state is None and linkage.indexed is None
    assert [e["event"] for e in logs] == ["linkage.state_dropped"]


def test_a_batch_that_succeeds_keeps_the_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    linkage = _linkage(_settings(tmp_path))
    state = linkage.state = _state()
    linkage.mark_due = linkage.republish_due = False

    async def links(*_: Any) -> None:
        return None

    monkeypatch.setattr(linkage, "_link", links)
    asyncio.run(linkage.process([]))
    assert linkage.state is state


def test_the_fence_and_the_mark_count_as_read_only_what_the_durable_point_covers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the frozen-worker test (2026-12-03): the last batch of the dropped owner (its versions
    # past its durable mark) was on the changelog in part; a fence at the highest version
    # read let that batch's episodes stand, naming records the new owner never had
    durable, latest = 1_000_000_005, 1_000_000_006
    read = LinkageTable(
        [], [], durable, dt.datetime(2012, 4, 1, tzinfo=dt.UTC), [], latest=latest, complete=durable
    )
    monkeypatch.setattr(linkage_agent, "stored_items", lambda _: iter(()))
    monkeypatch.setattr(linkage_agent, "restore_table", lambda *_: read)
    linkage = _linkage(_settings(tmp_path))
    sent: list[tuple[bytes | None, dict[str, bytes], int | None]] = []

    async def send(key: Any, value: Any, headers: Any = None, partition: Any = None) -> Any:
        sent.append((key, dict(headers or []), partition))
        delivered = asyncio.get_running_loop().create_future()
        delivered.set_result(None)
        return delivered

    monkeypatch.setattr(linkage.episodes, "send", send)
    linkage.restored()
    asyncio.run(linkage._fence())
    # the mark's too: the rest of that batch, landing later, is found an older owner's late
    # write by the next restore (streams.durable: "overtaken"); this owner writes again
    # what it read of the batch, under its own version, with its restore mark
    assert linkage.mark.seen == durable
    assert [(k, h["mash.seen"], p) for k, h, p in sent] == [
        (b"__fence__", str(durable).encode(), p) for p in range(linkage.partitions)
    ]
    assert {h["mash.version"] for _, h, _ in sent} == {str(linkage.epoch).encode()}


def test_what_the_restore_read_past_the_durable_point_is_written_again_with_its_mark(
    tmp_path: Path,
) -> None:
    # under this owner's first version, before any batch of its own: a restore whose first
    # batch never ends (a kill, a rebalance) must not leave them at the older owner's
    # versions, where the next restore would take them for late writes and send everything
    linkage = _linkage(_settings(tmp_path))
    out = HubState().process(
        list(police_notifications(20, 4, dt.date(2012, 4, 1), dt.date(2013, 4, 1))), "t"
    )
    entries = [LinkageEntry(*stored, version=1_000_000_007) for stored in out.records.values()]
    linkage.records = {}  # type: ignore[assignment]  # the table's writes, seen as a dict
    linkage.epoch = 2_000_000_000
    linkage.read_past = linkage_agent.Pending(entries, [])
    linkage._write_again()
    written = {k: LinkageEntry.decode(v, {}) for k, v in linkage.records.items()}
    assert written == {e.record.record_id: replace(e, version=2_000_000_001) for e in entries}
    assert {e.version for e in written.values()} == {2_000_000_001}
    linkage._write_again()  # once only
    assert len(linkage.records) == len(entries)


def _held(damaged: int) -> list[tuple[str, int, bytes]]:
    """Records' entries as a restore holds them (id, version, stored bytes), the
    ``damaged``-th cut short after its id (its version still read from its end)."""
    out = HubState().process(
        list(police_notifications(12, 5, dt.date(2012, 4, 1), dt.date(2013, 4, 1))), "t"
    )
    rows = [(k, 1, orjson.dumps(v)) for k, v in table_entries(out, 1) if type(v) is list]
    rid, version, _ = rows[damaged]
    rows[damaged] = (rid, version, b'[2,"' + rid.encode() + b'",{"broken",1]')
    return rows


def test_the_check_of_the_snapshot_s_entries_reports_a_damaged_one_by_id(tmp_path: Path) -> None:
    linkage = _linkage(_settings(tmp_path))
    held = _held(damaged=3)
    with structlog.testing.capture_logs() as logs:
        linkage._check(held)
        assert linkage.checking is not None
        linkage._checked(wait=True)
    assert linkage.checking is None
    [event] = [e for e in logs if e["event"] == "linkage.unreadable_entries"]
    assert event["log_level"] == "error" and event["covered_by_snapshot"] is True
    assert event["count"] == 1
    assert [e.split(":")[0] for e in event["entries"]] == [held[3][0]]
    assert "police" not in event["entries"][0]  # ids and reasons only
    linkage._check(_held(damaged=0)[1:])  # all sound
    with structlog.testing.capture_logs() as logs:
        linkage._checked(wait=True)
    assert [(e["event"], e["entries"]) for e in logs] == [
        ("linkage.covered_checked", len(held) - 1)
    ]


def test_a_check_under_way_at_a_stop_is_stopped_and_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    linkage = _linkage(_settings(tmp_path))
    reader, writer = os.pipe()
    os.close(writer)
    slow = CoveredCheck(_sleeper(60), 5, reader)
    monkeypatch.setattr(linkage_agent, "check_covered", lambda _held: slow)
    linkage._check(_held(damaged=0))
    started = time.monotonic()
    with structlog.testing.capture_logs() as logs:
        asyncio.run(linkage.save_at_stop(owned=False))
    assert time.monotonic() - started < 10
    assert linkage.checking is None
    [event] = [e for e in logs if e["event"] == "linkage.covered_not_checked"]
    assert (event["entries"], event["reason"]) == (5, "stopped")
    with pytest.raises(ChildProcessError):  # killed and reaped
        os.waitpid(slow.pid, os.WNOHANG)


@pytest.mark.parametrize(("tail", "saves"), [(50, True), (49, False), (1, False)])
def test_a_stop_saves_only_if_the_snapshot_on_disk_lacks_enough_of_the_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tail: int, saves: bool
) -> None:
    # a restart files each record of the tail the snapshot on disk lacks: a tail of at
    # least STOP_SAVE_TAIL records (here 50) is worth a save at the stop, a shorter one not
    monkeypatch.setattr(linkage_agent, "STOP_SAVE_TAIL", 50)
    settings = _settings(tmp_path)
    linkage = _linkage(settings)
    linkage.state, linkage.indexed = _state(), 7
    records = len(linkage.state.linker.person)
    assert records > 50
    linkage.on_disk = records - tail
    logs = _stopped(linkage, owned=True)
    assert snapshot_path(settings.worker_path).exists() is saves
    if not saves:
        assert [(e["event"], e["reason"], e["on_disk"]) for e in logs] == [
            (
                "linkage.snapshot_not_saved_at_stop",
                "the snapshot on disk is recent enough",
                linkage.on_disk,
            )
        ]


def test_a_background_save_under_way_is_abandoned_when_the_snapshot_on_disk_is_recent(
    tmp_path: Path,
) -> None:
    settings = _settings(tmp_path)
    linkage = _linkage(settings)
    linkage.state, linkage.indexed = _state(), None  # not at a mark: it was waited for before
    linkage.on_disk = len(linkage.state.linker.person) - 1
    linkage.saving = older = _sleeper(60)
    started = time.monotonic()
    logs = _stopped(linkage, owned=True)
    assert time.monotonic() - started < 10  # not waited for
    assert [(e["event"], e["reason"]) for e in logs] == [
        ("linkage.snapshot_abandoned", "the snapshot on disk is recent enough"),
        ("linkage.snapshot_not_saved_at_stop", "the snapshot on disk is recent enough"),
    ]
    with pytest.raises(ChildProcessError):
        os.waitpid(older, os.WNOHANG)


def test_the_snapshot_on_disk_is_what_the_last_save_that_ended_well_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(tmp_path, linkage_snapshot_records=1)
    linkage = _linkage(settings)
    linkage.state = state = _state()
    linkage.snapshot_due.restart(time.monotonic())
    for code, on_disk in ((1, 0), (0, len(state.linker.person))):
        monkeypatch.setattr(linkage_agent, "save_in_background", lambda *_, c=code: _sleeper(0, c))
        linkage.saved_records, linkage.retry_at = 0, float("-inf")  # no pause after a failure
        linkage._save_index(state, 3)  # begun
        assert linkage.saving is not None
        os.waitid(os.P_PID, linkage.saving, os.WEXITED | os.WNOWAIT)
        linkage._save_index(state, 4)  # its end seen (and no new one: nothing indexed since)
        assert linkage.on_disk == on_disk


def test_a_background_save_that_ended_since_the_last_batch_counts_as_on_disk_at_the_stop(
    tmp_path: Path,
) -> None:
    settings = _settings(tmp_path)
    linkage = _linkage(settings)
    linkage.state, linkage.indexed = _state(), 7
    linkage.saving = ended = _sleeper(0)  # the save of the whole index, ended well
    linkage.saving_records = len(linkage.state.linker.person)
    os.waitid(os.P_PID, ended, os.WEXITED | os.WNOWAIT)
    logs = _stopped(linkage, owned=True)
    assert [(e["event"], e.get("reason")) for e in logs] == [
        ("linkage.snapshot_saved", None),
        ("linkage.snapshot_not_saved_at_stop", "the snapshot on disk is recent enough"),
    ]
    assert not snapshot_path(settings.worker_path).exists()  # the stand-in wrote nothing


def test_the_stage_preloads_the_snapshot_for_its_first_restore_only(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    linkage = _linkage(settings)
    linkage.state, linkage.indexed = _state(), 7
    _stopped(linkage, owned=True)  # saves it
    later = _linkage(settings)
    with structlog.testing.capture_logs() as logs:
        later.preload()
    assert later.preloaded is not None and later.preloaded.version == 7
    [event] = [e for e in logs if e["event"] == "linkage.snapshot_preloaded"]
    assert event["records"] == len(linkage.state.linker.person)
    with structlog.testing.capture_logs() as logs:
        later.assigned_elsewhere()
    assert later.preloaded is None
    assert [e["event"] for e in logs] == ["linkage.snapshot_preload_dropped"]
    nothing = _linkage(_settings(tmp_path / "new"))
    nothing.preload()
    assert nothing.preloaded is None


def test_a_restores_held_bytes_are_freed_a_step_at_a_time_then_given_back(
    tmp_path: Path,
) -> None:
    linkage = _linkage(_settings(tmp_path))
    rows: list[Any] = [("r", 1, b"x" * 800) for _ in range(3 * linkage_agent.RELEASE_STEP // 2)]
    seen: list[int] = []

    async def restore_then_batch() -> None:
        linkage._release(rows)
        assert len(rows) == 3 * linkage_agent.RELEASE_STEP // 2  # the batch goes first
        await asyncio.sleep(0)
        seen.append(len(rows))  # one step freed, the loop served
        await asyncio.gather(*linkage.releasing)

    with structlog.testing.capture_logs() as logs:
        asyncio.run(restore_then_batch())
    assert seen == [linkage_agent.RELEASE_STEP // 2]
    assert rows == [] and linkage.releasing == set()
    assert [e["why"] for e in logs if e["event"] == "memory.given_back"] == (
        ["linkage restored"] if heap._TRIM is not None else []
    )


def test_outside_a_loop_the_held_bytes_are_freed_at_once(tmp_path: Path) -> None:
    linkage = _linkage(_settings(tmp_path))
    rows: list[Any] = [("r", 1, b"x")] * 10
    linkage._release(rows)
    assert rows == [] and linkage.releasing == set()


def test_a_release_under_way_at_a_stop_is_cancelled(tmp_path: Path) -> None:
    linkage = _linkage(_settings(tmp_path))
    rows: list[Any] = [("r", 1, b"x")] * (3 * linkage_agent.RELEASE_STEP)

    async def restore_then_stop() -> bool:
        linkage._release(rows)
        await asyncio.sleep(0)
        [release] = linkage.releasing
        linkage.end_check()
        await asyncio.sleep(0)
        return release.cancelled()

    assert asyncio.run(restore_then_stop())
    assert linkage.releasing == set()
