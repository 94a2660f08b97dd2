"""Freed memory is given back to the system, not kept by the C allocator (a restored
worker held a GB it had freed until it exited)."""

from __future__ import annotations

from structlog.testing import capture_logs

from plumbing import heap


def _freed_amid_kept(blocks: int) -> list[bytes]:
    """``blocks`` blocks of 800 bytes (the C allocator's, as a stored linkage entry is)
    made, and all but one in 64 freed: freed memory between kept blocks, which the
    allocator keeps without a trim."""
    made = [bytes(800) + i.to_bytes(4, "little") for i in range(blocks)]
    return made[::64]


def test_memory_freed_between_kept_blocks_is_given_back() -> None:
    kept = _freed_amid_kept(300_000)  # 240 MB made, 236 MB freed
    held = heap.resident_mb()
    assert held is not None
    with capture_logs() as logs:
        given = heap.give_back("a test")
    if heap._TRIM is None:  # no such call in this C library: nothing done, nothing said
        assert given is None and logs == []
        return
    assert given is not None and given > 150, (held, given)
    after = heap.resident_mb()
    assert after is not None and after < held - 150
    assert [(e["event"], e["why"]) for e in logs] == [("memory.given_back", "a test")]
    assert logs[0]["mb"] == round(given)
    assert len(kept) == 4688


def test_without_the_call_nothing_is_done_or_said() -> None:
    with capture_logs() as logs:
        assert heap.give_back("a test", trim=None) is None
    assert logs == []


def test_the_resident_size_is_read_from_the_system() -> None:
    before = heap.resident_mb()
    block = bytearray(200 * 1024 * 1024)  # touched: zeroed pages written
    block[::4096] = b"\x01" * len(block[::4096])
    after = heap.resident_mb()
    assert before is not None and after is not None
    assert after - before > 150
    del block


def test_tunables_the_environment_sets_are_left_to_it() -> None:
    calls: list[tuple[int, int]] = []

    def mallopt(param: int, value: int) -> int:
        calls.append((param, value))
        return 1

    assert heap.tune_allocator({}, mallopt) == {
        "MALLOC_ARENA_MAX": 2,
        "MALLOC_MMAP_THRESHOLD_": 128 * 1024,
    }
    assert calls == [(-8, 2), (-3, 128 * 1024)]  # glibc's M_ARENA_MAX, M_MMAP_THRESHOLD
    calls.clear()
    assert heap.tune_allocator({"MALLOC_ARENA_MAX": "4"}, mallopt) == {
        "MALLOC_MMAP_THRESHOLD_": 128 * 1024
    }
    assert calls == [(-3, 128 * 1024)]
    assert heap.tune_allocator(
        {"GLIBC_TUNABLES": "glibc.malloc.mmap_threshold=65536"}, mallopt
    ) == {"MALLOC_ARENA_MAX": 2}
    assert heap.tune_allocator({}, lambda _p, _v: 0) == {}  # refused: not said to be set


_MAPPED_AGAIN = """
import ctypes, sys
from plumbing import heap
if sys.argv[1] == "tuned":
    assert heap.tune_allocator({}) == {"MALLOC_ARENA_MAX": 2, "MALLOC_MMAP_THRESHOLD_": 131072}
libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
class Info(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]
libc.mallinfo2.restype = Info
libc.free(libc.malloc(1 << 20))  # mapped, and freed: glibc's threshold moves past it
before = libc.mallinfo2().hblks
block = libc.malloc(1 << 20)
print(libc.mallinfo2().hblks - before)
"""


def test_a_large_block_stays_mapped_once_tuned() -> None:
    """A freed mapped block moves glibc's threshold above its size, so the next block of
    that size comes from the heap (kept there when freed); tuned, it is mapped again."""
    import os
    import subprocess
    import sys

    if heap._glibc("mallopt") is None:
        return  # not glibc: nothing to tune
    mapped = {
        how: subprocess.run(
            [sys.executable, "-c", _MAPPED_AGAIN, how],
            capture_output=True,
            text=True,
            check=True,
            env={k: v for k, v in os.environ.items() if not k.startswith(("MALLOC_", "GLIBC_"))},
        ).stdout.split()
        for how in ("tuned", "untuned")
    }
    assert mapped == {"tuned": ["1"], "untuned": ["0"]}
