"""Union-find over record ids, each set named by its smallest id (order-independent names)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

__all__ = ["DisjointSets"]

T = TypeVar("T")


class DisjointSets(Generic[T]):
    """Union-find over record ids: each set is named by its smallest id and carries a value.

    Naming a set by its smallest id makes the name independent of the order of the unions.
    """

    def __init__(self, merge: Callable[[T, T], T], items: Iterable[tuple[str, T]] = ()) -> None:
        self._merge = merge
        self._parent: dict[str, str] = {}
        self.value: dict[str, T] = {}
        """set name (its root) -> the set's value"""
        for rid, value in items:
            self.add(rid, value)

    def add(self, rid: str, value: T) -> None:
        """A new set of one record."""
        self._parent[rid] = rid
        self.value[rid] = value

    def saved(self) -> tuple[dict[str, str], dict[str, T]]:
        """The parents and values, as ``load`` takes them back (held, not copied)."""
        return self._parent, self.value

    def load(self, parent: dict[str, str], value: dict[str, T]) -> None:
        """Take a saved state (``parent``, ``value``) in place of this one (a snapshot's)."""
        self._parent, self.value = parent, value

    def find(self, rid: str) -> str:
        """The name of the set a record is in (halving the path on the way)."""
        parent = self._parent
        while parent[rid] != rid:
            parent[rid] = parent[parent[rid]]
            rid = parent[rid]
        return rid

    def join(self, a: str, b: str, unless: Callable[[T, T], bool] | None = None) -> bool:
        """Make the sets of ``a`` and ``b`` one, unless ``unless`` vetoes their values."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb or (unless is not None and unless(self.value[ra], self.value[rb])):
            return False
        keep, gone = (ra, rb) if ra < rb else (rb, ra)
        self._parent[gone] = keep
        self.value[keep] = self._merge(self.value[keep], self.value.pop(gone))
        return True
