"""Memory the process freed, given back to the system.

CPython hands a freed block of more than 512 bytes back to the C allocator, and glibc's
allocator keeps freed memory in its heap for reuse: the process's resident size does not
fall. A restore of a million records' linkage held each record's stored entry (about 800
bytes) for the snapshot check, then dropped them: 1.0 GB freed, 0.06 GB of it returned
(measured in process, 2026-12-04); the worker stayed at 3.1 GB until it exited. glibc's
``malloc_trim`` returns the free pages inside the heap as well as at its top: 3.06 -> 2.08 GB,
in 0.13 s. Elsewhere (musl, macOS) there is no such call and nothing is done.

A worker's process is also set up for its life (``tune_allocator``): one long-lived index
built among many short-lived messages, some of them decoded on the consumer's thread. glibc
gives each thread that allocates its own arena (up to eight a core), and moves the size from
which a block is mapped on its own, up to 32 MB, each time a mapped block is freed: freed
message buffers then stay in arenas and heaps the index never reuses. Two arenas and a fixed
128 KB threshold (a larger block mapped, and unmapped when freed) lowered the streams'
peak at 100,000 police notifications from 649-654 MB to 539 MB (`mash bench hub --events
100000 --source police`, 2026-12-06, two runs before, one after; the same speed)."""

from __future__ import annotations

import ctypes
import os
import time
from collections.abc import Callable, Mapping

from plumbing.logs import get_logger

__all__ = ["give_back", "resident_mb", "tune_allocator"]

log = get_logger(__name__)


def _glibc(name: str) -> Callable[..., int] | None:
    """The C library's function ``name`` if this process has it (glibc's allocator calls)."""
    try:
        call: Callable[..., int] = getattr(ctypes.CDLL(None), name)
    except (AttributeError, OSError):
        return None
    return call


_TRIM = _glibc("malloc_trim")

_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
ALLOCATOR = {
    "MALLOC_ARENA_MAX": (_M_ARENA_MAX, 2, "glibc.malloc.arena_max"),
    "MALLOC_MMAP_THRESHOLD_": (_M_MMAP_THRESHOLD, 128 * 1024, "glibc.malloc.mmap_threshold"),
}
"""glibc's tunables a worker sets (``tune_allocator``): the environment variable that sets
each at start, the ``mallopt`` parameter, the value, and its name in ``GLIBC_TUNABLES``."""


def tune_allocator(
    environ: Mapping[str, str] = os.environ, mallopt: Callable[[int, int], int] | None = None
) -> dict[str, int]:
    """Set glibc's allocator for a worker's process (``ALLOCATOR``), before it starts a
    thread: each tunable the environment does not set already, by its variable or in
    ``GLIBC_TUNABLES`` (an operator's choice stands).
    Returns what was set, by the environment variable's name."""
    mallopt = _glibc("mallopt") if mallopt is None else mallopt
    if mallopt is None:
        return {}
    done = {}
    tunables = environ.get("GLIBC_TUNABLES", "")
    for name, (param, value, tunable) in ALLOCATOR.items():
        if name in environ or f"{tunable}=" in tunables:
            continue
        if mallopt(param, value) == 1:
            done[name] = value
    return done


def resident_mb() -> float | None:
    """This process's resident size in MB (None: not on Linux)."""
    try:
        with open(f"/proc/{os.getpid()}/statm", "rb") as statm:
            pages = int(statm.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def give_back(why: str, trim: Callable[[int], int] | None = _TRIM) -> float | None:
    """Return the memory freed in this process to the system (after a large state or
    temporary was dropped: ``why``, logged with the MB given back and the seconds taken).
    The MB given back, or None where the allocator has no such call."""
    if trim is None:
        return None
    before, started = resident_mb(), time.perf_counter()
    trim(0)
    after = resident_mb()
    freed = None if before is None or after is None else max(before - after, 0.0)
    log.info(
        "memory.given_back",
        why=why,
        mb=None if freed is None else round(freed),
        resident_mb=None if after is None else round(after),
        seconds=round(time.perf_counter() - started, 2),
    )
    return freed
