"""The blocking index: the records filed under each blocking key (by the key's digest, its
slot), in arrival order.

Blocks filed since the worker started are Python objects (``Block``): a record id alone, a
tuple, or a list for a large block. Blocks an index snapshot held stay in four flat arrays
(``Frozen``: the slots sorted, each block's span of a postings array, and the postings, each
a record's position among the snapshot's records) until a new record is filed in one, which
then becomes a Python block beside them. A restart at a million records made 4.1 million
slot ints and 3.4 million tuples from a snapshot (about 2.9 s of the 6.4 s its ``marshal``
payload took to load, measured in process on the 1,000,000-record bench store) and held them
in about 600 MB; the arrays are copied from the file in milliseconds and take about 100 MB.
A block looked up in the arrays is the same block, of the same type, as the Python form:
persons, candidates and their order do not depend on which form holds it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain, islice
from typing import Any

import numpy as np
from xxhash import xxh3_64_intdigest

__all__ = [
    "ARRAYS",
    "LIST_FROM",
    "Block",
    "Blocks",
    "Frozen",
    "block_slots",
    "frozen_with",
    "record_slots",
    "span_starts",
    "typed",
]

Block = str | tuple[str, ...] | list[str]
"""The records under one blocking key, in arrival order: a record id alone, a tuple of two
or more, or a list past ``LIST_FROM`` (a tuple grows by copying, a list in place)."""

LIST_FROM = 16
"""Members from which a block is a list: few blocks grow so large, and copying a tuple on
each arrival would make filing quadratic in a block's size."""

ARRAYS = (("slots", "<u8"), ("starts", "<u4"), ("sizes", "<u4"), ("postings", "<u4"))
"""A frozen index's arrays as a snapshot stores them, in order, with their types (little
endian): the slots (sorted, distinct), each slot's block as a span (start, size) of the
postings, the postings (record positions). Blocks of equal records share a span."""


def typed(
    arrays: Sequence[np.ndarray[Any, Any]], kinds: Sequence[tuple[str, str]], what: str
) -> None:
    """Raise ValueError unless ``arrays`` are flat arrays of ``kinds``' types, in order."""
    if len(arrays) != len(kinds) or any(
        a.dtype != np.dtype(t) or a.ndim != 1 for a, (_, t) in zip(arrays, kinds, strict=False)
    ):
        raise ValueError(f"not {what} arrays")


def block_slots(keys: Iterable[str]) -> list[int]:
    """Where a record's blocking keys are filed: a 64-bit digest of each (xxh3, the same in
    every process, so an index snapshot keeps them), distinct. A digest is an int of 36
    bytes (48 as allocated), a key's text about 72 (80): the index holds about four keys a
    record. Two keys of one digest (about one chance in two million at four million keys)
    put two blocks' records in one: more candidates, each still compared (persons could
    then differ from an index keyed by text, still the same in any order and after a
    restore)."""
    return list(dict.fromkeys(xxh3_64_intdigest(key.encode()) for key in keys))


def _shaped(members: Sequence[str]) -> Block:
    """A block of ``members`` as the Python form holds one of that size."""
    if len(members) == 1:
        return members[0]
    return tuple(members) if len(members) < LIST_FROM else list(members)


@dataclass(frozen=True, eq=False)
class Frozen:
    """Blocks held in flat arrays (``ARRAYS``), their records named by position in ``ids``."""

    slots: np.ndarray[Any, Any]
    starts: np.ndarray[Any, Any]
    sizes: np.ndarray[Any, Any]
    postings: np.ndarray[Any, Any]
    ids: Sequence[str]

    @classmethod
    def checked(cls, arrays: Sequence[np.ndarray[Any, Any]], ids: Sequence[str]) -> Frozen:
        """The frozen blocks of ``arrays`` (``ARRAYS``' order and types), checked whole: a
        lookup never fails later on a bad span or position. Raises ValueError."""
        typed(arrays, ARRAYS, "a frozen index's")
        slots, starts, sizes, postings = arrays
        if not len(slots) == len(starts) == len(sizes):
            raise ValueError("the slots and their spans differ in number")
        if len(slots) and not (
            bool(np.all(slots[1:] > slots[:-1]))
            and int(sizes.min()) > 0
            and int((starts.astype(np.int64) + sizes).max()) <= len(postings)
        ):
            raise ValueError("slots out of order, or a span outside the postings")
        if len(postings) and int(postings.max()) >= len(ids):
            raise ValueError("a posting names no record")
        return cls(slots, starts, sizes, postings, ids)

    def __len__(self) -> int:
        return len(self.slots)

    def spans(self, slots: Sequence[int]) -> dict[int, tuple[int, int]]:
        """The span (start, size) of each of ``slots`` these arrays hold (one search for
        all: about 10 us for a record's four, most of it numpy's cost a call)."""
        keys, n, found = self.slots, len(self.slots), {}
        at = keys.searchsorted(np.array(slots, dtype=np.uint64)).tolist()
        for slot, i in zip(slots, at, strict=True):
            if i < n and keys[i] == slot:
                found[slot] = (int(self.starts[i]), int(self.sizes[i]))
        return found

    def members(self, start: int, size: int) -> list[str]:
        """The record ids of one span, in order."""
        return list(map(self.ids.__getitem__, self.postings[start : start + size].tolist()))

    def compacted(
        self, keep: np.ndarray[Any, Any], position: np.ndarray[Any, Any]
    ) -> tuple[
        np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]
    ]:
        """The slots ``keep`` selects, their spans and postings with nothing else (spans no
        kept slot names dropped, shared spans kept shared), each posting renumbered by
        ``position`` (old position -> new)."""
        sizes = self.sizes[keep]
        span = self.starts[keep].astype(np.uint64) << np.uint64(32) | sizes.astype(np.uint64)
        distinct, inverse = np.unique(span, return_inverse=True)
        first = (distinct >> np.uint64(32)).astype(np.int64)
        lengths = (distinct & np.uint64(0xFFFFFFFF)).astype(np.int64)
        begins = span_starts(lengths)
        taken = np.repeat(first - begins, lengths) + np.arange(int(lengths.sum()))
        return self.slots[keep], begins[inverse], sizes, position[self.postings[taken]]


class _Held(dict[int, Block]):
    """slot -> its ``Block``, for blocks filed since the start. Not a list a block: most
    blocks hold one record or a few, and a million lists were the garbage collector's
    largest load, walked on every full collection; a lone id costs nothing more and a tuple
    of ids is smaller than a list and not tracked once the collector has seen it. A
    subclass, not a dict: CPython stops tracking a plain dict that holds no tracked value
    and tracks it again, as a young object, when a new tuple goes in, so the young
    collections after would walk the whole index; a subclass stays tracked, and old."""


class Blocks(Mapping[int, Block]):
    """slot (``block_slots``) -> the records under it: the blocks filed since the start,
    over those of a snapshot (``Frozen``) not filed in since.

    A worker that builds its index live would hold it all in Python blocks (about 500
    bytes a record at a million records, where arrays take about 100): so each background
    save hands its arrays back. As the save is forked, the Python blocks are sealed
    (``seal``: the save writes them, the worker goes on filing in new ones, a sealed block
    taken over when filed in, as a snapshot's is); once the save has ended, the arrays it
    wrote become the frozen blocks and the sealed ones are let go (``adopt``), or, if it
    failed, the sealed blocks are held again (``unseal``)."""

    def __init__(self, base: Frozen | None = None) -> None:
        self._held = _Held()
        self._sealed: _Held | None = None
        self._base = base if base is not None and len(base) else None

    def __getitem__(self, slot: int) -> Block:
        held = self._held.get(slot)
        if held is not None:
            return held
        if self._sealed is not None and (sealed := self._sealed.get(slot)) is not None:
            return sealed
        base = self._base
        if base is not None and type(slot) is int and 0 <= slot < 2**64:
            span = base.spans([slot]).get(slot)
            if span is not None:
                return _shaped(base.members(*span))
        raise KeyError(slot)

    def __iter__(self) -> Iterator[int]:
        held = self._held
        sealed: Mapping[int, Block] = self._sealed or {}
        yield from held
        yield from (s for s in sealed if s not in held)
        if self._base is not None:
            yield from (s for s in self._base.slots.tolist() if s not in held and s not in sealed)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def put(
        self, rid: str, slots: list[int], members: list[str] | None = None, thawed: bool = False
    ) -> None:
        """Put a record in the blocks of ``slots``; with ``members``, append to it the
        records each block held before, in block order. One look-up of a slot does both: a
        key new to the index (about two in five) is filed by ``setdefault`` itself.

        Within one filing, blocks that held one object before hold one object after: a
        record's keys mostly find the same records (its person's), so the tuple made from a
        block is made once and filed under each key whose block it was (``unfile`` gives
        back equal tuples, not shared ones). At a million records, 3.4 million
        tuples were 760,000 distinct ones, 190 bytes a record. (A list, changed in place,
        is never shared.) ``made`` holds the blocks it was made from, so that none is freed
        and its address taken by another while this runs. A snapshot's block is made a
        Python one (once for a span its slots share) when first filed in; ``thawed``: those
        of ``slots`` were (``thaw``), so a slot not held is new."""
        held = self._held
        frozen = None if thawed or not self._behind() else self._from_base(slots)
        made: dict[int, tuple[Block, Block]] = {}
        for key in slots:
            block = held.setdefault(key, rid)
            if block is rid:  # a key new since the start, now filed: a snapshot's, or new
                found = None if frozen is None else frozen.get(key)
                if found is None:
                    continue
                block = held[key] = found  # thawed, then filed as any
            if members is not None:
                if type(block) is str:  # exactly: cheaper than isinstance, on the hot path
                    members.append(block)
                else:
                    members.extend(block)
            if type(block) is list:
                block.append(rid)
                continue
            known = made.get(id(block))
            if known is None:
                if isinstance(block, str):
                    grown: tuple[str, ...] = (block, rid)
                elif len(block) + 1 < LIST_FROM:
                    grown = (*block, rid)
                else:
                    held[key] = [*block, rid]
                    continue
                made[id(block)] = known = (block, grown)
            held[key] = known[1]

    def file_new(
        self, rids: Sequence[str], keys: np.ndarray[Any, Any], counts: np.ndarray[Any, Any]
    ) -> None:
        """File records new to the index (``rids``, each under its slots: ``record_slots``'
        ``keys`` and ``counts``), in order, as ``put`` one by one would: with no Python block
        held or sealed (a restore's index: empty, or a snapshot's), straight into the frozen
        arrays (``frozen_with``), none made a Python block. A restore's tail of 90,000
        records at 290,000 thawed and filed one by one took about 5 s, most of it making
        tuples from the arrays and filing into them (measured in process, 2026-12-06)."""
        if self._held or self._sealed is not None:
            slots = np.split(keys, np.cumsum(counts)[:-1]) if len(counts) else []
            self.thaw(keys.tolist())
            for rid, filed in zip(rids, slots, strict=True):
                self.put(rid, filed.tolist(), thawed=True)
            return
        merged = frozen_with(self._base, rids, keys, counts)
        self._base = merged if len(merged) else None

    def thaw(self, slots: Iterable[int]) -> None:
        """Make the snapshot's blocks of ``slots`` Python ones now, in one search (a
        restore's tail files thousands of records: one search each would cost more)."""
        if self._behind():
            self._held.update(self._from_base(list(slots)) or {})

    def _behind(self) -> bool:
        """Whether blocks are held behind the Python ones filed in since: sealed, frozen."""
        return self._base is not None or self._sealed is not None

    def _from_base(self, slots: list[int]) -> dict[int, Block] | None:
        """The sealed or frozen blocks of those of ``slots`` not filed in since, as Python
        blocks (a sealed one as it is; a frozen one ``_shaped``: a tuple one object a span,
        a list one a slot)."""
        base, held = self._base, self._held
        sealed: Mapping[int, Block] = self._sealed or {}
        wanted = list({s: None for s in slots if s not in held})
        if not wanted:
            return None
        found: dict[int, Block] = {}
        if sealed:
            found = {s: sealed[s] for s in wanted if s in sealed}
            wanted = [s for s in wanted if s not in found]
        if base is None or not wanted:
            return found or None
        by_span: dict[tuple[int, int], Block] = {}
        for slot, span in base.spans(wanted).items():
            block = by_span.get(span)
            if block is None or type(block) is list:
                block = by_span[span] = _shaped(base.members(*span))
            found[slot] = block
        return found

    def unfile(self, slots: list[int]) -> None:
        """Take the record ``put`` has just filed under ``slots`` out of their blocks (the
        last of each), leaving each as it was."""
        held = self._held
        for key in slots:
            block = held[key]
            if isinstance(block, str):
                del held[key]
            elif isinstance(block, list):
                block.pop()
                if len(block) < LIST_FROM:  # it was a tuple
                    held[key] = tuple(block)
            else:
                held[key] = block[0] if len(block) == 2 else block[:-1]

    def seal(self) -> None:
        """Seal the Python blocks (a background save is writing them): blocks filed in from
        now are held anew (``adopt``, ``unseal``)."""
        if self._sealed is not None:  # not adopted nor unsealed: sealed again, all as one
            self.unseal()
        self._sealed, self._held = self._held, _Held()

    def adopt(self, saved: Frozen) -> None:
        """Take the arrays a save wrote of every block as it was when sealed (``saved``) as
        the frozen blocks, and let the sealed ones go: a block filed in since is held."""
        self._base = saved if len(saved) else None
        self._sealed = None

    def unseal(self) -> None:
        """Hold the sealed blocks again (their save failed), under those filed in since."""
        sealed, self._sealed = self._sealed, None
        if sealed is not None:
            sealed.update(self._held)
            self._held = sealed

    def arrays(
        self, ids: Sequence[str], position: Mapping[str, int] | None = None
    ) -> tuple[np.ndarray[Any, Any], ...]:
        """Every block as ``ARRAYS`` (in their order), records named by their position in
        ``ids``, which holds every record filed (``position``: each id's, if made already).
        Raises KeyError for one it lacks."""
        if position is None:
            position = dict(zip(ids, range(len(ids)), strict=True))
        held: Mapping[int, Block] = self._held
        if self._sealed is not None:  # as a save forked as they were sealed finds them
            held = {**self._sealed, **held} if held else self._sealed
        parts: list[tuple[np.ndarray[Any, Any], ...]] = []
        if self._base is not None:
            base = self._base
            keep = ~np.isin(base.slots, np.fromiter(held, np.uint64, len(held)))
            renumber = np.fromiter(map(position.__getitem__, base.ids), np.int64, len(base.ids))
            parts.append(base.compacted(keep, renumber))
        offset = len(parts[0][3]) if parts else 0
        parts.append(_held_arrays(held, position, offset))
        slots = np.concatenate([p[0] for p in parts])
        order = np.argsort(slots, kind="stable")
        columns = (
            slots[order],
            np.concatenate([p[1] for p in parts])[order],
            np.concatenate([p[2] for p in parts])[order],
            np.concatenate([p[3] for p in parts]),
        )
        return tuple(c.astype(t) for c, (_, t) in zip(columns, ARRAYS, strict=True))


def record_slots(
    keys_of: Iterable[Iterable[str]],
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """The slots (``block_slots``) of records' blocking keys as one array, and how many each
    record has, in order (for ``Blocks.file_new``): a million records' slots as Python ints
    in lists would take about 600 MB, as arrays 130 MB. Made 10,000 records at a time."""
    keys: list[np.ndarray[Any, Any]] = [np.zeros(0, np.uint64)]
    counts: list[np.ndarray[Any, Any]] = [np.zeros(0, np.int64)]
    records = iter(keys_of)
    while chunk := [block_slots(k) for k in islice(records, 10_000)]:
        counts.append(np.fromiter(map(len, chunk), np.int64, len(chunk)))
        keys.append(np.fromiter(chain.from_iterable(chunk), np.uint64, int(counts[-1].sum())))
    return np.concatenate(keys), np.concatenate(counts)


def frozen_with(
    base: Frozen | None,
    rids: Sequence[str],
    keys: np.ndarray[Any, Any],
    counts: np.ndarray[Any, Any],
) -> Frozen:
    """The frozen blocks of ``base`` with the records ``rids`` filed after its own, each
    under its slots (``record_slots``' ``keys`` and ``counts``), in order: each block's
    records are the base's, in order, then the new ones in filing order, as ``Blocks.put``
    would leave them. A block filed in gets a span of its own after the base's postings
    (the span it had stays, still shared by the blocks that share it, or no block's: the
    next save drops it, ``Frozen.compacted``); the others keep theirs. Equal blocks filed
    in share one span (``_one_span_each``), as the live index's share one tuple."""
    if keys.dtype != np.uint64:  # others would be cast through floats: slots lost
        raise TypeError(f"slots must be uint64, not {keys.dtype}")
    offset = 0 if base is None else len(base.ids)
    filed = np.repeat(np.arange(offset, offset + len(rids), dtype=np.uint32), counts)
    order = np.argsort(keys, kind="stable")  # by slot, each slot's records in filing order
    keys, filed = keys[order], filed[order]
    del order
    new = _run_starts(keys)  # where each slot's run begins
    first = np.flatnonzero(new)
    touched, added = keys[first], np.diff(np.append(first, len(keys)))
    del keys, new
    held = base if base is not None else Frozen.checked([np.zeros(0, t) for _, t in ARRAYS], [])
    had = np.zeros(len(touched), np.int64)  # the records each block held in the base
    was = np.zeros(len(touched), np.int64)  # and where they were
    kept = np.ones(len(held.slots), bool)  # the base's blocks not filed in
    if len(held.slots):
        at = held.slots.searchsorted(touched)
        old = at < len(held.slots)
        old[old] = held.slots[at[old]] == touched[old]
        had[old], was[old], kept[at[old]] = held.sizes[at[old]], held.starts[at[old]], False
    sizes = had + added
    begins = span_starts(sizes)
    total = int(sizes.sum())
    index = np.int32 if total < 2**31 else np.int64  # half the bytes, at any real size
    block = np.repeat(np.arange(len(touched), dtype=index), sizes)
    within = np.arange(total, dtype=index) - begins[block].astype(index)
    from_base = within < had[block]
    postings = np.empty(len(block), np.uint32)
    postings[from_base] = held.postings[(was[block] + within)[from_base]]
    postings[~from_base] = filed[(first[block] + within - had[block])[~from_base]]
    del from_base
    begins, postings = _one_span_each(sizes, begins, postings, block, within)
    if len(held.postings) + len(postings) > 2**32:  # spans would wrap in 32 bits, silently
        raise OverflowError("more postings than the arrays' 32-bit spans can address")
    all_slots = np.concatenate([held.slots[kept], touched])
    by_slot = np.argsort(all_slots, kind="stable")
    return Frozen(
        all_slots[by_slot].astype("<u8"),
        np.concatenate([held.starts[kept], begins + len(held.postings)])[by_slot].astype("<u4"),
        np.concatenate([held.sizes[kept], sizes])[by_slot].astype("<u4"),
        np.concatenate([held.postings, postings]).astype("<u4"),
        [*held.ids, *rids],
    )


_HASH_BASE = np.uint64(0x9E3779B97F4A7C15)
"""An odd 64-bit multiplier: a span's polynomial hash (``_one_span_each``)."""

_HASH_SIZE = np.uint64(0xC2B2AE3D27D4EB4F)
"""Mixes a span's size into its hash."""

_HASHED_AT_ONCE = 1 << 20
"""Postings hashed or compared in one step (a few arrays of 4-8 bytes each: tens of MB)."""


def _one_span_each(
    sizes: np.ndarray[Any, Any],
    begins: np.ndarray[Any, Any],
    postings: np.ndarray[Any, Any],
    block: np.ndarray[Any, Any],
    within: np.ndarray[Any, Any],
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Blocks of ``sizes`` laid end to end in ``postings`` from ``begins`` (``block`` and
    ``within``: each posting's block and place in it), equal ones given one span, as the
    live index's equal blocks share one tuple (``Blocks.put``): a record's keys mostly
    find the same records, so a full rebuild that filed each block apart held about seven
    postings for each one shared (7.3 million against 1.1 million at 470,000 records).
    Equal blocks are found by a polynomial hash of their records and size, each then
    compared whole with the first of its hash (a collision keeps its own span). Returns
    the blocks' begins and the postings the kept spans hold, renumbered."""
    n = len(sizes)
    if not n:
        return begins, postings
    hashes = np.empty(n, np.uint64)
    powers = np.full(int(sizes.max()), _HASH_BASE, np.uint64)
    powers[0] = 1
    with np.errstate(over="ignore"):  # modulo 2**64 on purpose
        powers = np.cumprod(powers, dtype=np.uint64)
        for at in _chunks(begins, sizes):
            lo, hi = block[at.start], block[at.stop - 1] + 1
            terms = (postings[at].astype(np.uint64) + np.uint64(1)) * powers[within[at]]
            hashes[lo:hi] = np.add.reduceat(terms, begins[lo:hi] - at.start, dtype=np.uint64)
        hashes ^= sizes.astype(np.uint64) * _HASH_SIZE
    del powers
    order = np.argsort(hashes, kind="stable")  # equal hashes in block order
    ordered = hashes[order]
    del hashes
    runs = _run_starts(ordered)
    del ordered
    rep = np.empty(n, np.int64)  # the first block of each one's hash
    rep[order] = order[np.flatnonzero(runs)][np.cumsum(runs) - 1]
    del order, runs
    twin = (rep != np.arange(n)) & (sizes[rep] == sizes)
    differ = [  # compared whole with the first of their hash, posting by posting
        _differing(rep, twin, begins, postings, block, within, at) for at in _chunks(begins, sizes)
    ]
    twin[np.concatenate(differ)] = False
    own = ~twin
    new_begins = np.zeros(n, np.int64)
    new_begins[own] = span_starts(sizes[own])
    new_begins[twin] = new_begins[rep[twin]]
    return new_begins, postings[own[block]]


def _differing(
    rep: np.ndarray[Any, Any],
    twin: np.ndarray[Any, Any],
    begins: np.ndarray[Any, Any],
    postings: np.ndarray[Any, Any],
    block: np.ndarray[Any, Any],
    within: np.ndarray[Any, Any],
    at: slice,
) -> np.ndarray[Any, Any]:
    """Those of the ``twin`` blocks in the run ``at`` of ``postings`` (each posting's
    ``block`` and place ``within`` it) whose records differ from their ``rep``'s."""
    compared = twin[block[at]]
    if not compared.any():
        return np.zeros(0, np.int64)
    twins = block[at][compared]
    theirs = postings[begins[rep[twins]] + within[at][compared]]
    return np.unique(twins[postings[at][compared] != theirs])


def _chunks(begins: np.ndarray[Any, Any], sizes: np.ndarray[Any, Any]) -> Iterator[slice]:
    """The postings of blocks laid end to end (each ``begins`` at, of ``sizes``) in runs
    of whole blocks of about ``_HASHED_AT_ONCE`` postings each."""
    lo = 0
    while lo < len(begins):
        hi = max(int(np.searchsorted(begins, begins[lo] + _HASHED_AT_ONCE)), lo + 1)
        yield slice(int(begins[lo]), int(begins[hi - 1] + sizes[hi - 1]))
        lo = hi


def _run_starts(ordered: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Where each run of equal values of the sorted ``ordered`` begins (True there)."""
    starts = np.ones(len(ordered), bool)
    np.not_equal(ordered[1:], ordered[:-1], out=starts[1:])
    return starts


def span_starts(sizes: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Where each of blocks of ``sizes`` laid end to end begins (64-bit)."""
    starts = np.zeros(len(sizes), np.int64)
    np.cumsum(sizes[:-1], out=starts[1:])
    return starts


def _held_arrays(
    held: Mapping[int, Block], position: Mapping[str, int], offset: int
) -> tuple[np.ndarray[Any, Any], ...]:
    """``held`` as ``ARRAYS``' columns (unsorted, 64-bit), its postings after ``offset``:
    each distinct block object written once (blocks share tuples, ``Blocks.put``), found by
    numpy over the objects' ids, so the Python loops run over the distinct blocks only (a
    million records: 1.4 million of 4.1 million)."""
    blocks = list(held.values())
    _, first, inverse = np.unique(
        np.fromiter(map(id, blocks), np.int64, len(blocks)), return_index=True, return_inverse=True
    )
    distinct = [(b,) if type(b) is str else b for b in map(blocks.__getitem__, first.tolist())]
    sizes = np.fromiter(map(len, distinct), np.int64, len(distinct))
    starts = span_starts(sizes)
    flat = np.fromiter(
        map(position.__getitem__, chain.from_iterable(distinct)), np.int64, int(sizes.sum())
    )
    return (
        np.fromiter(held, np.uint64, len(held)),
        starts[inverse] + offset,
        sizes[inverse],
        flat,
    )
