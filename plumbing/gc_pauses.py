"""The garbage collector's long pauses, logged: a full collection holds the interpreter for as
long as it walks every tracked object, so a worker whose index grew to hundreds of thousands of
records can stop its consumer's heartbeats (its group then drops it) without any other trace."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any

from plumbing.logs import get_logger

__all__ = ["GcPauses", "log_long_collections"]

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
