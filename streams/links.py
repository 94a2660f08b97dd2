"""The index's match links: each record's (other record, weight), held as Python objects for
the records linked since the start and in flat arrays for those an index snapshot held or the
worker's own last save wrote.

A million records' links as Python objects were a dict of about a million flat tuples (about
180 MB) and about 1.0 s of a restart's ``marshal`` load (79 MB of the 248 MB part, measured in
process on the 1,130,005-record bench store, 2026-12-07). In arrays (``LINK_ARRAYS``) they are
about 75 MB, copied from the file in milliseconds. A record's links are looked up by a 64-bit
digest of its id (no dict of a million ids), and the record found is checked by its id, so
two ids of one digest each find their own. Links read from the arrays are the links, in the
order and shape the Python form holds them: persons do not depend on which form holds them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np
from xxhash import xxh3_64_intdigest

from streams.blocks import span_starts, typed

__all__ = ["FLAT_LINKS", "LINK_ARRAYS", "FrozenLinks", "Linked", "Links"]

Linked = tuple[Any, ...] | dict[str, float]
"""A record's match links: a flat tuple (other record, weight, other record, weight...) up
to ``FLAT_LINKS`` links, a dict (other record -> weight) beyond."""

FLAT_LINKS = 8
"""Links a record keeps in one flat tuple. A tuple grows by copying: a child with hundreds of
records, each linked to the others, would copy its tuples at every link (600 such records
took 3.8 s to link instead of 0.3, a helper's review); from the ninth link a dict."""

LINK_ARRAYS = (
    ("keys", "<u8"),
    ("owners", "<u4"),
    ("starts", "<u4"),
    ("sizes", "<u4"),
    ("others", "<u4"),
    ("weights", "<f8"),
)
"""Frozen links' arrays as a snapshot stores them, in order, with their types (little
endian): each linked record's id digest (sorted; equal digests each once a record), its
position among the snapshot's records, its links' span (start, size) of the others and
weights, the others (record positions) and their weights (the floats themselves)."""


def _key(rid: str) -> int:
    """Where a record's links are filed: a 64-bit digest of its id (xxh3, the same in every
    process)."""
    return xxh3_64_intdigest(rid.encode())


def _shaped(others: list[str], weights: list[float]) -> Linked:
    """Links as the Python form holds that many: a flat tuple, or a dict past
    ``FLAT_LINKS``."""
    if len(others) <= FLAT_LINKS:
        return tuple(chain.from_iterable(zip(others, weights, strict=True)))
    return dict(zip(others, weights, strict=True))


def _pairs(linked: Linked) -> tuple[Any, ...]:
    """Links as one flat tuple (other, weight, other, weight...), in order."""
    return tuple(chain.from_iterable(linked.items())) if isinstance(linked, dict) else linked


@dataclass(frozen=True, eq=False)
class FrozenLinks:
    """Links held in flat arrays (``LINK_ARRAYS``), records named by position in ``ids``."""

    keys: np.ndarray[Any, Any]
    owners: np.ndarray[Any, Any]
    starts: np.ndarray[Any, Any]
    sizes: np.ndarray[Any, Any]
    others: np.ndarray[Any, Any]
    weights: np.ndarray[Any, Any]
    ids: Sequence[str]

    @classmethod
    def checked(cls, arrays: Sequence[np.ndarray[Any, Any]], ids: Sequence[str]) -> FrozenLinks:
        """The frozen links of ``arrays`` (``LINK_ARRAYS``' order and types), checked whole:
        a lookup never fails later on a bad span or position. Raises ValueError."""
        typed(arrays, LINK_ARRAYS, "frozen links'")
        keys, owners, starts, sizes, others, weights = arrays
        if not len(keys) == len(owners) == len(starts) == len(sizes):
            raise ValueError("the records and their spans differ in number")
        if len(others) != len(weights):
            raise ValueError("the links and their weights differ in number")
        if len(keys) and not (
            bool(np.all(keys[1:] >= keys[:-1]))
            and int(sizes.min()) > 0
            and int((starts.astype(np.int64) + sizes).max()) <= len(others)
            and int(owners.max()) < len(ids)
        ):
            raise ValueError("keys out of order, or a span or record outside the arrays")
        if len(others) and int(others.max()) >= len(ids):
            raise ValueError("a link names no record")
        return cls(keys, owners, starts, sizes, others, weights, ids)

    def __len__(self) -> int:
        return len(self.keys)

    def get(self, rid: str) -> Linked | None:
        """The links of ``rid`` (None: none held here)."""
        key = _key(rid)
        keys, ids = self.keys, self.ids
        at = int(keys.searchsorted(np.uint64(key)))
        while at < len(keys) and int(keys[at]) == key:  # another id of its digest: the next
            if ids[int(self.owners[at])] == rid:
                start, size = int(self.starts[at]), int(self.sizes[at])
                others = self.others[start : start + size].tolist()
                return _shaped(
                    list(map(ids.__getitem__, others)),
                    self.weights[start : start + size].tolist(),
                )
            at += 1
        return None

    def many(self, rids: Sequence[str]) -> dict[str, Linked]:
        """The links of those of ``rids`` held here, found in one search (a restore's tail
        links to thousands of them: a search each, about 5 us apiece at a million records,
        would cost more than the rest of joining them)."""
        keys, ids = self.keys, self.ids
        wanted = np.fromiter(map(_key, rids), np.uint64, len(rids))
        first = keys.searchsorted(wanted, "left")
        count = keys.searchsorted(wanted, "right") - first
        shared = np.flatnonzero(count > 1)  # ids of one digest: each looked up apart
        found = {rids[i]: self.get(rids[i]) for i in shared.tolist()}
        one = np.flatnonzero(count == 1)
        at = first[one]
        named = [rids[i] for i in one.tolist()]
        mine = np.fromiter(
            map(str.__eq__, map(ids.__getitem__, self.owners[at].tolist()), named), bool, len(one)
        )
        at, named = at[mine], [r for r, m in zip(named, mine.tolist(), strict=True) if m]
        sizes = self.sizes[at].astype(np.int64)
        begins = span_starts(sizes)
        taken = np.repeat(self.starts[at].astype(np.int64) - begins, sizes) + np.arange(
            int(sizes.sum())
        )
        others = list(map(ids.__getitem__, self.others[taken].tolist()))
        weights = self.weights[taken].tolist()
        for rid, start, size in zip(named, begins.tolist(), sizes.tolist(), strict=True):
            found[rid] = _shaped(others[start : start + size], weights[start : start + size])
        return {r: linked for r, linked in found.items() if linked is not None}

    def records(self) -> Iterator[str]:
        """The ids of the records held here."""
        return map(self.ids.__getitem__, self.owners.tolist())

    def kept(
        self, drop: np.ndarray[Any, Any], position: np.ndarray[Any, Any]
    ) -> tuple[np.ndarray[Any, Any], ...]:
        """These links but those of the records ``drop`` names (new positions), each record
        renumbered by ``position`` (old position -> new): ``LINK_ARRAYS``' columns (64-bit,
        spans laid end to end anew)."""
        owners = position[self.owners]
        keep = ~np.isin(owners, drop)
        sizes = self.sizes[keep].astype(np.int64)
        begins = span_starts(sizes)
        taken = np.repeat(self.starts[keep].astype(np.int64) - begins, sizes) + np.arange(
            int(sizes.sum())
        )
        return (
            self.keys[keep],
            owners[keep],
            begins,
            sizes,
            position[self.others[taken]],
            self.weights[taken],
        )


class Links(Mapping[str, Linked]):
    """record id -> its match links (``Linked``): those linked since the start as Python
    objects (a dict a record, as before, cost 184 bytes for one link; a tuple of two is 56),
    over those of a snapshot (``FrozenLinks``) not linked since. Each link is kept on both of
    its records, its weight one object.

    As with the blocks (``streams.blocks.Blocks``), a background save seals the Python links
    (``seal``), and once it has ended the arrays it wrote become the frozen links and the
    sealed ones are let go (``adopt``), or, if it failed, they are held again (``unseal``).
    A record linked to again is held as a Python value from then on."""

    def __init__(
        self, held: Mapping[str, Linked] | None = None, base: FrozenLinks | None = None
    ) -> None:
        self._held: dict[str, Linked] = dict(held or {})
        self._sealed: dict[str, Linked] | None = None
        self._base = base if base is not None and len(base) else None

    def __getitem__(self, rid: str) -> Linked:
        found = self._found(rid)
        if found is None:
            raise KeyError(rid)
        return found

    def _found(self, rid: str) -> Linked | None:
        """The links of ``rid``: held, sealed or frozen (None: none)."""
        held = self._held.get(rid)
        if held is not None:
            return held
        if self._sealed is not None and (sealed := self._sealed.get(rid)) is not None:
            return sealed
        if self._base is not None and type(rid) is str:
            return self._base.get(rid)
        return None

    def __iter__(self) -> Iterator[str]:
        held = self._held
        sealed: Mapping[str, Linked] = self._sealed or {}
        yield from held
        yield from (r for r in sealed if r not in held)
        if self._base is not None:
            yield from (r for r in self._base.records() if r not in held and r not in sealed)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def join(self, a: str, b: str, weight: float) -> None:
        """Link ``a`` and ``b`` (a link they have takes the new weight)."""
        self._add(a, b, weight)
        self._add(b, a, weight)

    def _add(self, rid: str, other: str, weight: float) -> None:
        held = self._held.get(rid)
        if held is None and (self._sealed is not None or self._base is not None):
            held = self._found(rid)
            if isinstance(held, dict):  # a sealed dict stays as the save saw it
                held = self._held[rid] = dict(held)
        if held is None:
            self._held[rid] = (other, weight)
        elif isinstance(held, dict):
            held[other] = weight
        elif other in held:  # linked already (a weight never equals a record id)
            at = held.index(other)
            self._held[rid] = (*held[: at + 1], weight, *held[at + 2 :])
        elif len(held) < 2 * FLAT_LINKS:
            self._held[rid] = (*held, other, weight)
        else:
            grown = dict(zip(held[::2], held[1::2], strict=True))
            grown[other] = weight
            self._held[rid] = grown

    def of(self, rid: str) -> Iterator[tuple[str, float]]:
        """A record's links: (other record, weight), in the order they were made."""
        held = self._found(rid) or ()
        if isinstance(held, dict):
            return iter(held.items())
        return zip(held[::2], held[1::2], strict=True)

    def thaw(self, rids: Iterable[str]) -> None:
        """Hold the frozen links of ``rids`` as Python ones now, in one search (a restore's
        tail then links to them at a dict's speed)."""
        if self._base is not None:
            held, sealed = self._held, self._sealed or {}
            wanted = [r for r in dict.fromkeys(rids) if r not in held and r not in sealed]
            held.update(self._base.many(wanted))

    def seal(self) -> None:
        """Seal the Python links (a background save is writing them): links made from now
        are held anew (``adopt``, ``unseal``)."""
        if self._sealed is not None:  # not adopted nor unsealed: sealed again, all as one
            self.unseal()
        self._sealed, self._held = self._held, {}

    def adopt(self, saved: FrozenLinks) -> None:
        """Take the arrays a save wrote of every record's links as they were when sealed
        (``saved``) as the frozen links, and let the sealed ones go: links made since are
        held."""
        self._base = saved if len(saved) else None
        self._sealed = None

    def unseal(self) -> None:
        """Hold the sealed links again (their save failed), under those made since."""
        sealed, self._sealed = self._sealed, None
        if sealed is not None:
            sealed.update(self._held)
            self._held = sealed

    def arrays(self, position: Mapping[str, int]) -> tuple[np.ndarray[Any, Any], ...]:
        """Every record's links as ``LINK_ARRAYS`` (in their order and types), records named
        by ``position``, which holds every record linked. Raises KeyError for one it lacks."""
        python: Mapping[str, Linked] = self._held
        if self._sealed is not None:  # as a save forked as they were sealed finds them
            python = {**self._sealed, **python} if python else self._sealed
        parts = [_python_arrays(python, position)]
        if self._base is not None:
            base = self._base
            renumber = np.fromiter(map(position.__getitem__, base.ids), np.int64, len(base.ids))
            parts.insert(0, base.kept(parts[0][1], renumber))
        keys = np.concatenate([p[0] for p in parts])
        owners = np.concatenate([p[1] for p in parts])
        order = np.lexsort((owners, keys))  # by digest, then by record: one order for a file
        sizes = np.concatenate([p[3] for p in parts])
        offset = np.cumsum([0, *(len(p[4]) for p in parts[:-1])])
        starts = np.concatenate([p[2] + at for p, at in zip(parts, offset, strict=True)])
        others = np.concatenate([p[4] for p in parts])
        if len(others) >= 2**32:  # spans would wrap in 32 bits, silently
            raise OverflowError("more links than the arrays' 32-bit spans can address")
        columns = (
            keys[order],
            owners[order],
            starts[order],
            sizes[order],
            others,
            np.concatenate([p[5] for p in parts]),
        )
        return tuple(c.astype(t) for c, (_, t) in zip(columns, LINK_ARRAYS, strict=True))


def _python_arrays(
    links: Mapping[str, Linked], position: Mapping[str, int]
) -> tuple[np.ndarray[Any, Any], ...]:
    """Python links as ``LINK_ARRAYS``' columns (unsorted, 64-bit), records with none left
    out; mapped in C over the records (a million at a live worker's first save)."""
    rids = [r for r, linked in links.items() if linked]
    pairs = list(map(_pairs, map(links.__getitem__, rids)))
    sizes = np.fromiter(map(len, pairs), np.int64, len(pairs)) // 2
    flat = list(chain.from_iterable(pairs))
    del pairs
    return (
        np.fromiter(map(_key, rids), np.uint64, len(rids)),
        np.fromiter(map(position.__getitem__, rids), np.int64, len(rids)),
        span_starts(sizes),
        sizes,
        np.fromiter(map(position.__getitem__, flat[::2]), np.int64, len(flat) // 2),
        np.array(flat[1::2], dtype=np.float64),
    )
