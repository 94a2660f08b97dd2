"""Whether a process runs, by pid."""

from __future__ import annotations

import os
import subprocess
import sys

from plumbing.processes import process_exists


def test_a_running_process_exists_and_one_that_ended_does_not() -> None:
    assert process_exists(os.getpid())
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # ended and reaped: its pid is free
    assert not process_exists(child.pid)
