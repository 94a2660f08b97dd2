"""Whether a process runs, by pid, and how long this one has run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from plumbing.processes import PARENT_PID, process_exists, sinks_of


def test_a_running_process_exists_and_one_that_ended_does_not() -> None:
    assert process_exists(os.getpid())
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # ended and reaped: its pid is free
    assert not process_exists(child.pid)


def test_the_sinks_are_told_from_a_forked_helper_among_a_workers_children() -> None:
    env = {**os.environ, PARENT_PID: str(os.getpid())}  # as the worker starts its sinks
    sleep = [sys.executable, "-c", "import time; time.sleep(30)"]
    sinks = subprocess.Popen(sleep, env=env)
    other = subprocess.Popen(sleep, env={**os.environ, PARENT_PID: "1"})  # another's
    helper = os.fork()  # as an index save or a snapshot check is made
    if helper == 0:
        time.sleep(30)
        os._exit(0)
    try:
        assert sinks_of(os.getpid()) == [sinks.pid]
    finally:
        os.kill(helper, signal.SIGKILL)
        os.waitpid(helper, 0)
        for child in (sinks, other):
            child.kill()
            child.wait()
    assert sinks_of(os.getpid()) == []
    assert sinks_of(2**22 + 7) == []  # no such process: none


def test_a_process_age_is_at_least_what_it_slept_and_at_most_what_was_seen_outside() -> None:
    code = (  # plumbing.processes.process_age_s, in a process of known bounds
        "import time; time.sleep(0.5); "
        "from plumbing.processes import process_age_s; print(process_age_s())"
    )
    before = time.monotonic()
    age = float(
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.strip()
    )
    outside = time.monotonic() - before
    tick = 1 / os.sysconf("SC_CLK_TCK")
    assert 0.5 - tick <= age <= outside + tick
