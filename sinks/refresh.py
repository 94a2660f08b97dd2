"""When the board's figures are recomputed (``Changes``), and the recomputation itself in a
forked child beside the sinks' writes (``BoardRefresh``).

At a million facts reading them, the persons and the episodes and computing the figures took
one to two minutes (about 30 s since the reads were made cheaper). Run in the sinks' loop,
nothing was written meanwhile: the analysts' episodes and the database's facts fell that far
behind the streams at every recomputation. In a child the loop goes on; the child reads the
database through its own connection (one read transaction: ``Store.snapshot``) and stores
the figures in its own transactions, as a report reading beside the sinks would.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
from collections.abc import Callable

from plumbing.logs import get_logger
from plumbing.processes import Ended, fork_work, forked_ended
from plumbing.settings import WorkerSettings
from sinks.figures import Provenance
from sinks.linkage_quality import refresh_linkage_quality
from sinks.metrics import refresh_figures
from sinks.store import Store
from sinks.waiting import failure_reason, patiently

__all__ = ["BoardRefresh", "Changes", "recompute"]

log = get_logger(__name__)

STUCK_AFTER_S = 1800.0
"""A child that runs longer than this (or ten times the last computation, if longer) is
ended and the figures are due again: a child that hangs would otherwise hold every later
refresh back, unseen (a million facts take about 30 s)."""


class Changes:
    """Whether the board's figures are due to be recomputed: something changed since, and
    enough time has passed that recomputing takes at most a tenth of the sinks' time."""

    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self.dirty = False
        self.last_run = float("-inf")
        self.last_took = 0.0

    @classmethod
    def resumed(cls, interval_s: float, last: Provenance | None, now: float) -> Changes:
        """The throttle of sinks started at ``now`` (monotonic) over stored figures (``last``,
        their provenance): they are recomputed once, a whole gap after the start (ten times
        the seconds their computation took, stored with them; a running worker's gap also
        counts the linkage quality summary's), not at the first batch, beside a restarted
        worker's streams restoring their state. Facts the last sinks wrote after them may
        be unrefreshed, so that once is due even if nothing changes. No figures stored: due
        at once (facts may have been written by sinks stopped before their first figures
        were stored, and a quiet hub would otherwise show none; with no facts it is a
        moment's work)."""
        changes = cls(interval_s)
        changes.dirty = True
        if last is not None:
            changes.last_run, changes.last_took = now, last.seconds or 0.0
        return changes

    def touch(self) -> None:
        self.dirty = True

    def due(self, now: float) -> bool:
        """True when changed and not recomputed within the interval (or ten times the last
        computation, if longer)."""
        if not self.dirty or now - self.last_run < max(self.interval_s, 10 * self.last_took):
            return False
        self.dirty, self.last_run = False, now
        return True

    def took(self, seconds: float) -> None:
        self.last_took = seconds


class BoardRefresh:
    """Runs ``work`` (``recompute``) in a forked child whenever ``changes`` says it is due
    and none runs: ``tick`` never waits for it. A child that failed leaves the figures due
    again (a whole gap later); ``stop`` ends one still running (its transaction is rolled
    back, and restarted sinks recompute: ``Changes.resumed``)."""

    def __init__(
        self,
        changes: Changes,
        work: Callable[[], object],
        before_fork: Callable[[], object] = lambda: None,
    ) -> None:
        self.changes = changes
        self.work = work
        self.before_fork = before_fork
        """Called before each child is forked: ``Store.close``, so that no SQLite file is
        open across the fork (SQLite's own rule: the child's library would take the
        parent's locks for its own) and no PostgreSQL connection is shared with it."""
        self.pid: int | None = None
        self.started = 0.0

    def tick(self, now: float) -> None:
        """Reap a child that ended (its seconds are the throttle's), end one that has run
        past ``limit_s``, then start one if due."""
        if self.pid is not None:
            ended = forked_ended(self.pid)
            if ended is None:
                if now - self.started <= self.limit_s():
                    return
                self._kill()  # its time is not a computation's: the gap stays the last one's
                log.error("metrics.refresh_stuck", seconds=round(now - self.started, 3))
                self.changes.touch()
            else:
                self._ended(ended, now - self.started)
        if self.changes.due(now):
            self.started = now
            self.before_fork()
            try:
                self.pid = fork_work(self.work, with_parent=True)
            except OSError as exc:  # no process left to fork: the sinks write on
                log.error("metrics.refresh_failed", reason=type(exc).__name__)
                self.changes.touch()

    def limit_s(self) -> float:
        """How long a child may run before it is taken as stuck: ``STUCK_AFTER_S``, or ten
        times the last computation if longer."""
        return max(STUCK_AFTER_S, 10 * self.changes.last_took)

    def _ended(self, ended: Ended, took: float) -> None:
        self.pid = None
        self.changes.took(took)
        if ended.ok:  # the child's peak is not the sinks' (``mash bench`` reports theirs)
            log.info("metrics.refresh_ended", seconds=round(took, 3), peak_mb=round(ended.peak_mb))
        else:
            log.error("metrics.refresh_failed", seconds=round(took, 3))
            self.changes.touch()

    def stop(self) -> None:
        """End a child still running, and reap it."""
        if self.pid is not None:
            self._kill()
            log.info("metrics.refresh_stopped")

    def _kill(self) -> None:
        assert self.pid is not None
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        self.pid = None


def recompute(settings: WorkerSettings, store: Store) -> Callable[[], None]:
    """The work of a refresh: the board's figures and the linkage quality summary, through
    the sinks' ``store`` as the fork left it (``BoardRefresh.before_fork`` emptied its pool,
    and the child lets go of any connection it finds without closing it, SQLAlchemy's rule
    for a forked child: the child connects afresh and shares none of the sinks'
    connections), waiting out a database that is unavailable as the sinks' writes do, its
    first connection included (until 2026-12-07 the child opened a store of its own, which
    failed at once on a database down for a moment, and the figures waited a whole gap)."""

    def work() -> None:
        os.nice(5)  # below the sinks' own writes: the figures are what may wait
        store.engine.dispose(close=False)
        try:
            patiently(lambda: _refresh(store, settings.as_of), settings.database_wait_s, "figures")
        except Exception as exc:  # the child's last word: its status says only that it failed
            log.error("metrics.failed", reason=failure_reason(exc))
            raise

    return work


def _refresh(store: Store, as_of: dt.date) -> None:
    """Recompute the board's figures and the linkage quality summary."""
    refresh_figures(store, as_of)
    refresh_linkage_quality(store, dt.datetime.now(dt.UTC))
