"""Fences on the episodes topic: the episodes of a linkage owner the group dropped, sent after
a newer owner restored, are not stored (issue 15, a worker frozen past its session).

Two owners of linkage can write at once: the group drops a worker that stopped past its
session, another restores and takes over, and the dropped one, let go, finishes its batch in
flight. Its episodes come from a state the new owner never had, so they may name episode ids
no later owner tombstones. The new owner therefore sends, as it restores and before anything
else, a fence on every episodes partition: its epoch (its versions are epoch + 1, + 2, ...)
and ``seen``, the highest version its restore read of the linkage table. A version between
the two is a batch of an older owner whose table writes the new owner never read; the sinks
drop such an episode (a snapshot, a tombstone or a sweep) whenever it arrives:

- after the fence on its partition: dropped as it is read;
- before the fence: the fence deletes the stored rows of its partition with a version
  between the two. This is the common case, not a rare one: an owner's outputs go straight to
  the producer while Faust buffers its table writes, so a batch's episodes can be stored
  while its table writes are not yet on the changelog the new owner reads (the frozen-worker
  test, 2026-12-02: 140 such rows deleted in one run). The new owner links the events of
  those batches again (their offsets were never committed: Faust flushes the table writes
  before it commits, and a commit of a dropped member is refused), so it sends whatever of
  them stands, under its own, higher versions.

Every fence is kept (a few rows, one per restore and partition): a later owner's ``seen``
counts the newer owner's versions, which are above the older owner's, so only the fence of
the owner that restored just after the older one's writes tells them apart.

Why fences rather than the owner watching the changelog for an older owner's writes and
then sending everything again and sweeping: the sinks see every output in partition order, so
a fence decides each message once, with no race against a restore or a watch, and costs
nothing on a restore (no full republish of every link and episode). The linkage table's own
check (``streams.durable``: an older owner's writes after a newer one restored make the next
restore send everything again and sweep) stays for the table: a later restore reads those
writes into its state.

A fence covers the batches the new owner never read. A batch it did read can be late all
the same: its table writes reached the changelog while its episodes waited in the dropped
owner's producer, to be sent once it was let go, after the new owner had deleted some of
them. Those are kept out by version alone: the store keeps each deletion's version
(``episode_tombstones``) and each sweep as a fence that read nothing, so a snapshot older
than either is not stored (``Store.apply_episodes``).

Links need no fence: a link is keyed by its record, and the new owner links every record of
those batches again under a higher version, which the store keeps over any older one.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Fence", "Fences"]


@dataclass(frozen=True, order=True)
class Fence:
    """A linkage owner's fence on one episodes partition."""

    partition: int
    epoch: int
    seen: int
    """The highest version of the linkage table its restore read."""

    def excludes(self, version: int) -> bool:
        """Whether ``version`` is an older owner's batch this owner never read."""
        return self.seen < version < self.epoch


class Fences:
    """Every fence the sinks have read, by partition, in order of epoch: a message of the
    current owner (above every epoch) is checked against none."""

    def __init__(self, fences: Iterable[Fence] = ()) -> None:
        self.by_partition: dict[int, list[Fence]] = defaultdict(list)
        for fence in fences:
            self.add(fence)

    def add(self, fence: Fence) -> bool:
        """Keep ``fence``; False if it was known already (a fence sent again)."""
        known = self.by_partition[fence.partition]
        at = bisect.bisect_left(known, fence)
        if at < len(known) and known[at] == fence:
            return False
        known.insert(at, fence)
        return True

    def excludes(self, partition: int, version: int) -> bool:
        """Whether a message of ``version`` on ``partition`` is an older owner's late one."""
        known = self.by_partition.get(partition, [])
        later = bisect.bisect_right(known, Fence(partition, version, version))  # epoch > version
        return any(f.seen < version for f in known[later:])
