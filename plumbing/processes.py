"""Whether a process runs, by pid (the local broker's and a linkage save's left files)."""

from __future__ import annotations

import os

__all__ = ["PARENT_PID", "process_exists"]


PARENT_PID = "MASH_PARENT_PID"
"""Set by a worker for the sinks it starts: they stop when that process is gone."""


def process_exists(pid: int) -> bool:
    """Whether a process ``pid`` exists (a zombie counts; one of another user's counts too:
    it may not be signalled, but it runs)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
