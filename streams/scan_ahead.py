"""The linkage table read beside the snapshot's load, as a worker starts.

A restart from the index snapshot reads the whole table for each entry's id and version
(``streams.durable.scan_table``: about 6 s of CPU at a million records) after loading the
snapshot (about 8 s, before the worker joins its group). Both hold the interpreter, one after
the other. Here a forked child reads the table's store files, read-only, while the worker
loads the snapshot: it splits the table at the snapshot's version (``LinkageTable.split_tail``)
and sends the worker what a restore from that snapshot needs (the marks, decisions and the
tail of entries written after it, a few percent of the table), then checks the entries the
snapshot stands for (``streams.snapshot.check_covered``'s work, which it holds already).

The worker uses the read only if it still stands for the table when the restore comes:
the same partitions, each with the changelog offset the child read (nothing recovered into
the store since), and a snapshot of the version the child split at; else the worker reads the
table itself, as before. The child is the worker's own fork, so its finding comes by pickle
over a private pipe (no file, nothing another process can write).
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import select
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import orjson

from plumbing.logs import get_logger
from plumbing.processes import detach_forked_child
from streams.durable import LinkageTable, TailSplit, scan_table, unreadable_among
from streams.snapshot import CHECK_NAMED, CoveredCheck, stop_check

__all__ = ["ScanAhead", "Scanned", "StoreRead"]

log = get_logger(__name__)

StoreRead = tuple[dict[int, int | None], Iterator[tuple[str, bytes]]]
"""What a read of a table's store files gives (``streams.faust_internals.store_files_reader``):
each partition's persisted changelog offset (None: none), and the entries of them all, keys
decoded, values as stored."""


@dataclass
class Scanned:
    """What the child read: the table's partitions with their persisted changelog offsets,
    the snapshot version it split at, the table (its records' entries taken out), and the
    split, without the entries the snapshot stands for (they stay in the child)."""

    offsets: dict[int, int | None]
    after: int
    table: LinkageTable
    split: TailSplit
    covered: int
    """How many entries the snapshot stands for (the child checks them)."""


class ScanAhead:
    """A forked child reading the linkage table as the worker starts (``start``); its read
    taken once by the first restore (``take``), or stopped (``stop``)."""

    def __init__(self, pid: int, reader: int, check_reader: int) -> None:
        self.pid = pid
        self.reader = reader
        self.check_reader = check_reader
        self.ended = False

    @classmethod
    def start(cls, read: Callable[[], StoreRead], after: int, durable_key: str) -> ScanAhead | None:
        """Fork the child: ``read`` opens the table's store files (in the child), ``after``
        the snapshot's version. None (logged) if no process can be forked."""
        reader, writer = os.pipe()
        check_reader, check_writer = os.pipe()
        try:
            pid = os.fork()
        except OSError as exc:
            for fd in (reader, writer, check_reader, check_writer):
                os.close(fd)
            log.warning("linkage.scan_ahead_failed", reason=type(exc).__name__)
            return None
        if pid == 0:  # the child
            gc.disable()  # short-lived; its objects are the worker's pages, copied on write
            code = 1
            try:
                detach_forked_child(keep=(writer, check_writer), with_parent=True)
                _scan(read, after, durable_key, writer, check_writer)
                code = 0
            finally:
                os._exit(code)
        os.close(writer)
        os.close(check_writer)
        return cls(pid, reader, check_reader)

    def take(
        self, after: int | None, offsets: dict[int, int | None], timeout_s: float
    ) -> tuple[Scanned, CoveredCheck] | None:
        """The child's read, if it stands for the table now: ``offsets`` (the partitions the
        worker holds, with their persisted changelog offsets, ``active_offsets``) as the child
        found them, and ``after`` (the version of the snapshot the restore has) the version
        it split at. Waits for it up to ``timeout_s``. With it, the check of the entries the
        snapshot stands for, under way in the child; else None (logged why) and the child
        stopped."""
        why = "no snapshot to restore from" if after is None else None
        scanned = None
        if why is None:
            try:
                scanned = pickle.loads(_read_all(self.reader, timeout_s))
            except Exception as exc:  # a child that died, a pickle cut short: read in process
                why = f"the read failed ({type(exc).__name__})"
            else:
                if scanned.after != after:
                    why = "the snapshot is of another version"
                elif scanned.offsets != offsets:
                    why = "the table changed since (recovered, or other partitions held)"
        if scanned is None or why is not None:
            log.info("linkage.scan_ahead_unused", reason=why)
            self.stop()
            return None
        os.close(self.reader)
        self.ended = True  # the check is the caller's now
        return scanned, CoveredCheck(self.pid, scanned.covered, self.check_reader)

    def stop(self) -> None:
        """Stop the child and reap it, if this still holds it."""
        if self.ended:
            return
        self.ended = True
        with contextlib.suppress(OSError):
            os.close(self.reader)
        stop_check(CoveredCheck(self.pid, 0, self.check_reader))


def _scan(
    read: Callable[[], StoreRead], after: int, durable_key: str, writer: int, check_writer: int
) -> None:
    """The child's work: read and split the table, send what a restore needs, then check the
    entries the snapshot stands for at low priority."""
    offsets, items = read()
    table = scan_table(items, durable_key, hold=True)
    split = table.split_tail(after)
    covered = [(r, v, stored) for r, v, stored in split.covered if isinstance(stored, bytes)]
    table.held, table.entries = [], []  # they are in the split
    sent = Scanned(offsets, after, table, replace(split, covered=[]), len(covered))
    with open(writer, "wb") as pipe:
        pickle.dump(sent, pipe, protocol=pickle.HIGHEST_PROTOCOL)
    del sent, split, table
    os.nice(10)  # the worker's own work first: the restart is what waits
    found = unreadable_among(covered)
    os.write(check_writer, orjson.dumps([len(found), found[:CHECK_NAMED]]))


def _read_all(fd: int, timeout_s: float) -> bytes:
    """Everything written to the pipe ``fd`` until its writer closes it, within
    ``timeout_s`` (``TimeoutError``)."""
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout_s
    poller = select.poll()  # not select.select: a worker's descriptors may pass 1024
    poller.register(fd, select.POLLIN | select.POLLHUP)
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        if not poller.poll(left * 1000):
            continue
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
