"""The garbage collector's long pauses, kept short and logged.

A full collection holds the interpreter for as long as it walks every tracked object, and a
worker's consumer cannot send a heartbeat meanwhile. A linkage index built live is walked
again at each full collection (about one each time the heap grows by a quarter). At about
800,000 records a worker was dropped by its group (the likely cause: such a pause, longer
than the session), and Faust's RocksDB store then ran one full collection per table inside
the rebalance callback, where heartbeats are stopped: 17-23 s a time, outlasting the 6 s
session at every rebalance, a loop.

So what survives a full collection is frozen (``gc.freeze``, Python's own answer for
long-lived objects): later collections walk only what was made since. Linking 100,000
records in process spent 4.5 s in 28 full collections (the longest 0.36 s) before, 0.7 s in
37 (the longest 0.03 s) after. A frozen object is still freed when its references count it
out, but one in a reference cycle is never freed: long-lived state must hold no cycle (the
linkage state held one through a bound method, and a dropped index stayed whole:
``streams.hub.HubState``), and a revocation, which drops the worker's state, hands everything
frozen back to the collector (``release_frozen``), so what was frozen in flight (a batch, a
future, an exception) is freed then at the latest. The linkage agent's ``linkage.index``
report logs how many objects are frozen."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from plumbing.logs import get_logger

__all__ = [
    "FreezeSurvivors",
    "GcPauses",
    "freeze_survivors",
    "log_long_collections",
    "release_frozen",
    "survivors_frozen",
]

log = get_logger(__name__)


class GcPauses:
    """A ``gc.callbacks`` entry that logs ``gc.long_pause`` (generation, seconds, objects
    collected) for each collection that took ``threshold_s`` or more."""

    def __init__(
        self, threshold_s: float = 1.0, clock: Callable[[], float] = time.perf_counter
    ) -> None:
        self.threshold_s = threshold_s
        self.clock = clock
        self.started: float | None = None

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self.started = self.clock()
            return
        if self.started is None:  # installed during a collection
            return
        seconds, self.started = self.clock() - self.started, None
        if seconds >= self.threshold_s:
            log.warning(
                "gc.long_pause",
                generation=info.get("generation"),
                seconds=round(seconds, 2),
                collected=info.get("collected"),
            )


def log_long_collections(threshold_s: float = 1.0) -> GcPauses:
    """Install ``GcPauses`` in this process (once is enough: each call adds one)."""
    pauses = GcPauses(threshold_s)
    gc.callbacks.append(pauses)
    return pauses


class FreezeSurvivors:
    """A ``gc.callbacks`` entry that freezes what survived each full collection."""

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "stop" and info.get("generation") == 2:
            gc.freeze()


def freeze_survivors() -> FreezeSurvivors:
    """Install ``FreezeSurvivors`` in this process (once: the installed one is returned)."""
    for callback in gc.callbacks:
        if isinstance(callback, FreezeSurvivors):
            return callback
    freezing = FreezeSurvivors()
    gc.callbacks.append(freezing)
    return freezing


def release_frozen() -> None:
    """Hand every frozen object back to the collector: call as long-lived state is dropped,
    or objects in reference cycles among it would never be freed."""
    gc.unfreeze()


@contextmanager
def survivors_frozen() -> Iterator[None]:
    """``freeze_survivors`` for a block (a benchmark of the worker's linkage), and everything
    handed back after it."""
    installed = any(isinstance(c, FreezeSurvivors) for c in gc.callbacks)
    freezing = freeze_survivors()
    try:
        yield
    finally:
        if not installed:
            gc.callbacks.remove(freezing)
            release_frozen()
