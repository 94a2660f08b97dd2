"""Whether a process runs, by pid (the local broker's and a linkage save's left files), a
worker's sinks process among its children, how long this process has run, and work done in a
forked child (a linkage save, the board's figures) and reaped without waiting."""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import signal
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import NamedTuple

from plumbing.logs import forward_lines, log_through

__all__ = [
    "PARENT_PID",
    "Ended",
    "detach_forked_child",
    "fork_work",
    "forked_ended",
    "give_way",
    "process_age_s",
    "process_exists",
    "sinks_of",
]


PARENT_PID = "MASH_PARENT_PID"
"""Set by a worker for the sinks it starts: they stop when that process is gone."""


def process_age_s() -> float | None:
    """Seconds since this process started, to the kernel's tick (Linux's ``/proc``), or None
    where that is not known."""
    try:
        stat = Path("/proc/self/stat").read_text()
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        started = int(stat.rsplit(")", 1)[1].split()[19])  # field 22: ticks after boot
    except (OSError, ValueError, IndexError):
        return None
    return max(0.0, uptime - started / os.sysconf("SC_CLK_TCK"))


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


def give_way(pid: int, niceness: int) -> bool:
    """Make process ``pid`` give way to this one for the processor: its Unix niceness
    ``niceness`` above this process's (at most 19). False if it could not be (it has ended,
    or the system refuses: the caller goes on, at the same niceness)."""
    try:
        mine = os.getpriority(os.PRIO_PROCESS, 0)
        os.setpriority(os.PRIO_PROCESS, pid, min(19, mine + niceness))
    except OSError:
        return False
    return True


def _children(pid: int) -> list[int]:
    """The ids of a process's child processes (Linux ``/proc``; none elsewhere)."""
    found: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return found
    for task in tasks:
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:  # a thread that ended as it was listed
            continue
    return found


def sinks_of(pid: int) -> list[int]:
    """The sinks' processes among the children of the worker ``pid``: each was started with
    ``PARENT_PID`` naming it. The streams' forked helpers (an index save, a snapshot check)
    are children too, but share the worker's own environment, which names no parent."""
    marker = f"{PARENT_PID}={pid}".encode()
    found = []
    for child in _children(pid):
        try:
            environ = Path(f"/proc/{child}/environ").read_bytes().split(b"\0")
        except OSError:  # it ended as it was listed
            continue
        if marker in environ:
            found.append(child)
    return found


def detach_forked_child(keep: Iterable[int] = (), with_parent: bool = False) -> None:
    """In a forked child of the worker: none of the worker's signal handling (asyncio's
    wake-up socket would pass a signal sent to the child on to the worker, and its handlers
    would ignore SIGTERM), none of its files or sockets but those in ``keep`` (a listening
    port held by a child would stop a restarted worker binding it); ``with_parent``: killed
    when the worker dies (a save is left to end: its snapshot is whole and of a durable
    version)."""
    with contextlib.suppress(ValueError):  # only the main thread may: the fork's is
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
    low = 3
    for fd in sorted({fd for fd in keep if fd >= 3}):
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, os.sysconf("SC_OPEN_MAX"))
    if not with_parent:
        return
    with contextlib.suppress(OSError, AttributeError):  # Linux: the parent's death kills it
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


_PR_SET_PDEATHSIG = 1


def fork_work(
    work: Callable[[], object], keep: Iterable[int] = (), with_parent: bool = False
) -> int:
    """``work()`` in a forked child, detached (``detach_forked_child(keep, with_parent)``),
    that exits 0 if it returned and 1 if it raised; returns the child's pid (for
    ``forked_ended``). The child has the parent's memory as it is now, copy-on-write, and
    leaves by ``os._exit``: no exit handler, no buffer of the parent's flushed twice, and none
    of the parent's objects collected (gc off), so none of their connections is closed or
    used from the child: work that needs one opens its own. Its log lines come through a
    pipe into this process's log (``log_through``; a thread here forwards them until the
    child ends)."""
    reader, writer = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(reader)
        os.close(writer)
        raise
    if pid == 0:  # the child
        gc.disable()  # short-lived: a collection would only touch the parent's pages (copied)
        code = 1
        try:
            detach_forked_child((*keep, writer), with_parent)
            log_through(writer)
            work()
            code = 0
        finally:
            os._exit(code)
    os.close(writer)
    threading.Thread(target=_forward, args=(reader,), name=f"logs-of-{pid}", daemon=True).start()
    return pid


def _forward(reader: int) -> None:
    with open(reader, "rb") as lines:
        forward_lines(lines)


class Ended(NamedTuple):
    """How a forked child ended."""

    ok: bool
    """It exited 0."""
    cpu_s: float
    """The seconds of CPU it used, its own (not its parent's before the fork)."""
    peak_mb: float
    """Its peak resident memory (Linux counts the pages it shared with its parent too)."""


def forked_ended(pid: int) -> Ended | None:
    """How the forked child ``pid`` ended (None: still running); reaps it."""
    done, status, usage = os.wait4(pid, os.WNOHANG)
    if done == 0:
        return None
    ok = os.waitstatus_to_exitcode(status) == 0
    return Ended(ok, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)  # KB on Linux
