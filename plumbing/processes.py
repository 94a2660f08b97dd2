"""Whether a process runs, by pid (the local broker's and a linkage save's left files)."""

from __future__ import annotations

import os

__all__ = ["process_exists"]


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
