"""The worker's supervisor: the sinks' process beside the streams."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest

from mash.supervisor import _Sinks
from plumbing.processes import PARENT_PID, give_way

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


def test_giving_way_is_bounded_and_quiet_for_a_process_that_is_not_there() -> None:
    sinks = _Sinks(forward=False, niceness=0, command=SLEEPER)
    try:
        assert give_way(sinks.process.pid, 40)
        assert niceness(sinks.process.pid) == 19  # Unix's bound
    finally:
        sinks.stop()
    assert not give_way(2**22 + 7, 5)  # above Linux's highest pid: no such process


def test_the_sinks_do_not_renice_themselves_beside_the_streams_or_alone() -> None:
    # the worker made them give way as it started them: a second step would double it
    code = (
        "import os; from sinks.worker import _die_with_parent; "
        "before = os.nice(0); _die_with_parent(); print(os.nice(0) - before)"
    )
    beside = {**os.environ, PARENT_PID: str(os.getpid())}
    alone = {k: v for k, v in os.environ.items() if k != PARENT_PID}
    given = [
        subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        ).stdout.strip()
        for env in (beside, alone)
    ]
    assert given == ["0", "0"]


def test_a_stop_as_the_sinks_are_restarted_leaves_none_running(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the watch thread's restart and the worker's stop at once: the stop ends the process
    # the restart started, or the restart starts none
    sinks = _Sinks(forward=False, niceness=0, command=SLEEPER)
    started: list[subprocess.Popen[bytes]] = [sinks.process]
    in_start, release, done = threading.Event(), threading.Event(), threading.Event()
    real_start = sinks._start

    def slow_start() -> subprocess.Popen[bytes]:
        in_start.set()
        release.wait(10)
        started.append(real_start())
        done.set()
        return started[-1]

    monkeypatch.setattr(sinks, "_start", slow_start)
    sinks.process.kill()
    assert in_start.wait(30)  # the watch thread is starting new sinks
    stopper = threading.Thread(target=sinks.stop)
    stopper.start()
    time.sleep(0.3)  # the stop waits for the start under way
    release.set()
    stopper.join(40)
    assert not stopper.is_alive()
    assert done.wait(10) and len(started) == 2
    for process in started:
        assert process.wait(timeout=5) is not None  # every process started has ended
