"""The worker's supervisor: the sinks' process beside the streams."""

from __future__ import annotations

import os
import sys
import time

from mash.supervisor import _Sinks
from plumbing.processes import give_way

SLEEPER = (sys.executable, "-c", "import time; time.sleep(60)")


def niceness(pid: int) -> int:
    return os.getpriority(os.PRIO_PROCESS, pid)


def test_the_sinks_give_way_to_the_streams_from_their_start() -> None:
    # their imports (most of a second of CPU) come while a restarted worker's streams load
    # their state: reniced by the worker as it starts them, not by themselves once imported
    sinks = _Sinks(forward=False, niceness=5, command=SLEEPER)
    try:
        assert niceness(sinks.process.pid) == min(19, niceness(0) + 5)
    finally:
        sinks.stop()


def test_a_restarted_sinks_process_gives_way_too() -> None:
    sinks = _Sinks(forward=False, niceness=3, command=SLEEPER)
    try:
        first = sinks.process
        first.kill()
        deadline = time.monotonic() + 30
        while sinks.process is first and time.monotonic() < deadline:  # its watch restarts it
            time.sleep(0.1)
        assert sinks.process is not first
        assert niceness(sinks.process.pid) == min(19, niceness(0) + 3)
    finally:
        sinks.stop()


def test_giving_way_is_bounded_and_quiet_for_an_ended_process() -> None:
    sinks = _Sinks(forward=False, niceness=0, command=SLEEPER)
    try:
        give_way(sinks.process.pid, 40)
        assert niceness(sinks.process.pid) == 19  # Unix's bound
    finally:
        sinks.stop()
    sinks.process.wait()
    give_way(sinks.process.pid, 5)  # reaped: no such process, no error
