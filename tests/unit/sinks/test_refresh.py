"""When the board's figures are recomputed, and the recomputation in a forked child that the
sinks' loop never waits for."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError
from structlog.testing import capture_logs

from plumbing.errors import SinkError
from plumbing.settings import WorkerSettings
from simulation.synthetic import police_notifications
from sinks import refresh as refresh_module
from sinks import waiting as waiting_module
from sinks.facts import fact_of
from sinks.figures import Provenance
from sinks.metrics import board_figures
from sinks.refresh import BoardRefresh, Changes, recompute
from sinks.store import Store


def test_figures_wait_for_a_change_and_for_ten_times_their_last_computation() -> None:
    changes = Changes(interval_s=2.0)
    assert not changes.due(0.0)  # nothing changed yet
    changes.touch()
    assert changes.due(0.0) and not changes.due(0.1)
    changes.took(0.5)
    changes.touch()
    assert not changes.due(4.0) and changes.due(5.0)  # 10 x 0.5 s, more than the interval


def test_restarted_sinks_recompute_once_a_whole_gap_after_they_start() -> None:
    """A kill -9 at a million facts: computing the figures took 15 s, so they are recomputed
    150 s after the restarted sinks start, not at their first batch (beside the streams'
    restore), and once even with no batch: facts written after them may be unrefreshed."""
    wall = dt.datetime(2013, 3, 31, 12, tzinfo=dt.UTC)
    stored = Provenance(wall - dt.timedelta(hours=5), 1_000_000, None, seconds=15.0)
    changes = Changes.resumed(2.0, stored, now=500.0)
    assert not changes.due(500.0) and not changes.due(649.9)
    changes.touch()  # the first batch
    assert not changes.due(649.9)
    assert changes.due(650.1)
    assert not changes.due(10_000.0)  # once


def test_restarted_sinks_without_a_stored_duration_wait_only_the_interval() -> None:
    wall = dt.datetime(2013, 3, 31, 12, tzinfo=dt.UTC)
    older = Changes.resumed(2.0, Provenance(wall, 7, None), now=50.0)
    assert not older.due(51.9) and older.due(52.1)  # stored before their duration was
    empty = Changes.resumed(2.0, None, now=50.0)  # no figures yet
    assert empty.due(50.0)  # at once: facts may be stored that no figures reflect
    assert not empty.due(60.0)  # once


def _reap(refresh: BoardRefresh, within_s: float = 30.0) -> None:
    """Tick until the running child has been reaped."""
    deadline = time.monotonic() + within_s
    running = refresh.pid
    while refresh.pid == running:
        assert time.monotonic() < deadline, "the refresh's child did not end"
        refresh.tick(time.monotonic())
        time.sleep(0.01)


def test_a_tick_starts_the_refresh_and_does_not_wait_for_it(tmp_path: Path) -> None:
    """The child waits for a file the caller writes only after ``tick`` returned: a tick
    that waited for the child would never return (the child gives up after 20 s)."""
    go, done = tmp_path / "go", tmp_path / "done"

    def work() -> None:
        deadline = time.monotonic() + 20
        while not go.exists():
            if time.monotonic() > deadline:
                raise TimeoutError("the parent waited for the child")
            time.sleep(0.01)
        done.write_text("stored")

    changes = Changes(interval_s=0.0)
    changes.touch()
    refresh = BoardRefresh(changes, work)
    refresh.tick(time.monotonic())
    assert refresh.pid is not None and not done.exists()
    refresh.tick(time.monotonic())  # still running: neither waited for nor started again
    go.write_text("")
    with capture_logs() as logs:
        _reap(refresh)
    assert done.read_text() == "stored"
    assert changes.last_took > 0 and not changes.dirty
    ended = [e for e in logs if e["event"] == "metrics.refresh_ended"]
    assert len(ended) == 1 and ended[0]["peak_mb"] > 0  # the child's own, from wait4


def test_a_failed_refresh_is_logged_and_due_again_a_gap_later() -> None:
    def work() -> None:
        raise SinkError("the database is gone")

    changes = Changes(interval_s=0.0)
    changes.touch()
    refresh = BoardRefresh(changes, work)
    with capture_logs() as logs:
        refresh.tick(time.monotonic())
        _reap(refresh)
    assert [e["event"] for e in logs] == ["metrics.refresh_failed"]
    assert changes.dirty  # tried again, no sooner than ten times what the failure took
    assert not changes.due(changes.last_run + 10 * changes.last_took - 0.001)


def _sleeping(interval_s: float) -> tuple[BoardRefresh, Changes, int]:
    """A refresh whose child sleeps a minute, begun."""
    changes = Changes(interval_s=interval_s)
    changes.touch()
    refresh = BoardRefresh(changes, lambda: time.sleep(60))
    refresh.tick(time.monotonic())
    assert refresh.pid is not None
    return refresh, changes, refresh.pid


def test_stopping_ends_a_refresh_still_running() -> None:
    refresh, _, pid = _sleeping(0.0)
    refresh.stop()
    assert refresh.pid is None
    with pytest.raises(ChildProcessError):  # ended and reaped: no zombie left
        os.waitpid(pid, os.WNOHANG)


def test_the_child_stores_the_figures_of_every_fact_through_the_sinks_store_afresh(
    tmp_path: Path, database_url: str
) -> None:
    settings = WorkerSettings(
        home=tmp_path, reporting_date=dt.date(2013, 3, 31), database_url=database_url
    )
    store = Store(settings.database)
    events = police_notifications(40, 3, dt.date(2012, 4, 1), dt.date(2013, 3, 31))
    store.upsert_facts([fact_of(e) for e in events])
    changes = Changes(interval_s=0.0)
    changes.touch()
    refresh = BoardRefresh(changes, recompute(settings, store), before_fork=store.close)
    refresh.tick(time.monotonic())
    _reap(refresh)
    as_of, stored = store.figures()
    assert as_of == settings.as_of
    assert sorted(stored, key=lambda f: f.key) == sorted(
        board_figures(store, settings.as_of), key=lambda f: f.key
    )
    provenance = store.figures_provenance()
    assert provenance is not None and provenance.events == 40
    store.close()


def _sqlite_gone(tmp_path: Path) -> tuple[WorkerSettings, Store, Path, Path]:
    """Settings, a store over their SQLite file with figures' inputs, and where its folder
    is and is moved to: a database unavailable as a child starts (SQLite cannot open a
    file whose folder is gone: ``OperationalError``, as a PostgreSQL down is)."""
    folder = tmp_path / "db"
    settings = WorkerSettings(
        home=tmp_path,
        reporting_date=dt.date(2013, 3, 31),
        database_url=f"sqlite:///{folder / 'mash.sqlite'}",
    )
    store = Store(settings.database)
    events = police_notifications(30, 4, dt.date(2012, 4, 1), dt.date(2013, 3, 31))
    store.upsert_facts([fact_of(e) for e in events])
    store.close()
    moved = tmp_path / "db-away"
    folder.rename(moved)
    return settings, store, folder, moved


def test_a_child_waits_out_a_database_unavailable_as_it_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The figures are stored by the child that found the database down (until 2026-12-07
    the child opened a store of its own and failed at once: the figures waited a gap). The
    database comes back only when the child says it waits for it (its wait's log line), so
    the figures are stored only by a child that waited."""
    settings, store, folder, moved = _sqlite_gone(tmp_path)

    class BackWhenWaited:  # the wait's logger, in the forked child as in this process
        def warning(self, event: str, **_: object) -> None:
            if event == "sinks.database_unavailable" and not folder.exists():
                moved.rename(folder)

    monkeypatch.setattr(waiting_module, "log", BackWhenWaited())
    changes = Changes(interval_s=3600.0)
    changes.touch()
    refresh = BoardRefresh(changes, recompute(settings, store), before_fork=store.close)
    with capture_logs() as logs:
        refresh.tick(time.monotonic())
        assert refresh.pid is not None
        _reap(refresh)
    assert [e["event"] for e in logs if e["log_level"] == "error"] == []
    assert folder.exists() and not moved.exists()
    provenance = store.figures_provenance()
    assert provenance is not None and provenance.events == 30
    store.close()


def test_a_child_whose_database_stays_unavailable_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "nice", lambda _: 0)  # the work runs in this process here
    settings, store, _, _ = _sqlite_gone(tmp_path)
    settings = settings.model_copy(update={"database_wait_s": 1.2})
    with capture_logs() as logs, pytest.raises(OperationalError):
        recompute(settings, store)()
    failed = [e for e in logs if e["log_level"] == "error"]
    assert [(e["event"], e["reason"]) for e in failed] == [("metrics.failed", "OperationalError")]
    waited = [e for e in logs if e["event"] == "sinks.database_unavailable"]
    assert waited and waited[0]["doing"] == "figures"


def test_a_fork_that_fails_leaves_the_sinks_writing_and_the_figures_due(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_fork(*_: object, **__: object) -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(refresh_module, "fork_work", no_fork)
    changes = Changes(interval_s=0.0)
    changes.touch()
    refresh = BoardRefresh(changes, lambda: None)
    with capture_logs() as logs:
        refresh.tick(time.monotonic())
    assert refresh.pid is None and changes.dirty
    assert [(e["event"], e["reason"]) for e in logs] == [
        ("metrics.refresh_failed", "BlockingIOError")
    ]


def test_a_child_that_runs_past_its_limit_is_ended_and_the_figures_due_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(refresh_module, "STUCK_AFTER_S", 0.2)
    refresh, changes, pid = _sleeping(3600.0)
    refresh.tick(time.monotonic())  # within the limit: left to run
    assert refresh.pid == pid
    with capture_logs() as logs:
        refresh.tick(time.monotonic() + 0.3)
    assert refresh.pid is None and changes.dirty  # due again, a gap after it began
    assert changes.last_took == 0.0  # a stuck child's time is not a computation's
    assert [e["event"] for e in logs] == ["metrics.refresh_stuck"]
    with pytest.raises(ChildProcessError):  # ended and reaped
        os.waitpid(pid, os.WNOHANG)
