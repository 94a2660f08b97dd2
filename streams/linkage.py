"""Stage 3: link records about the same child into persons (a master person index).

A new record is compared (``streams.comparison``) only with the records that share a blocking
key with it. Persons are the connected components of "match" links between records, and a
person's id is the smallest record id in it. Both are functions of the set of records, not of
their order, so one worker or two, any partitioning, gives the same persons.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Generic, TypeVar

from streams.comparison import SURE, Comparison, PersonRecord, Scorer, compare, identity
from streams.model import LinkageModel, default_model

__all__ = [
    "Candidate",
    "Comparison",
    "DisjointSets",
    "LinkOutcome",
    "LinkPolicy",
    "Linker",
    "Outcome",
    "PersonRecord",
    "compare",
]

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
        keep, gone = sorted((ra, rb))
        self._parent[gone] = keep
        self.value[keep] = self._merge(self.value[keep], self.value.pop(gone))
        return True


def _extend(keep: list[str], gone: list[str]) -> list[str]:
    keep += gone
    return keep


@dataclass
class _Members:
    """A person being rebuilt: its records and their NHS numbers."""

    ids: set[str]
    nhs: set[str]


def _unite(keep: _Members, gone: _Members) -> _Members:
    keep.ids |= gone.ids
    keep.nhs |= gone.nhs
    return keep


@dataclass(frozen=True)
class LinkPolicy:
    """Thresholds on the total match weight (by default the model's)."""

    link: float
    review: float

    @classmethod
    def of(cls, model: LinkageModel) -> LinkPolicy:
        """The thresholds a model carries."""
        return cls(model.link, model.review)


class Outcome(StrEnum):
    """What became of a record."""

    LINKED = "linked"
    NEW_PERSON = "new_person"


@dataclass(frozen=True)
class Candidate:
    """A record compared with the new one, and how it compared."""

    record_id: str
    person_id: str
    comparison: Comparison


@dataclass(frozen=True)
class LinkOutcome:
    """The person a record belongs to now, why, and what else changed."""

    record_id: str
    person_id: str
    outcome: Outcome
    weight: float
    explanation: str
    merged: tuple[str, ...] = ()
    """The earlier persons this record showed to be one (now ``person_id``)."""
    possible: tuple[Candidate, ...] = ()
    """Candidates between the review and link thresholds, for a human."""
    moved: tuple[tuple[str, str, str], ...] = ()
    """(record id, old person, new person) for earlier records whose person changed."""


@dataclass
class Linker:
    """The index: records, blocking keys, match links, and persons.

    Records joined by match links form clusters (order cannot change a cluster). Within a
    cluster, persons are rebuilt whenever the cluster changes: links are taken strongest
    first (ties by record id) and a link is skipped when it would put two different NHS
    numbers, or two records the twins guard holds apart, in one person (so no third record
    can bridge twins). So persons depend only on the records, never on their order.
    """

    model: LinkageModel = field(default_factory=default_model)
    policy: LinkPolicy | None = None
    """Thresholds; None: the model's."""
    records: dict[str, PersonRecord] = field(default_factory=dict)
    blocks: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    links: dict[str, dict[str, float]] = field(default_factory=lambda: defaultdict(dict))
    clusters: DisjointSets[list[str]] = field(default_factory=lambda: DisjointSets(_extend))
    """Records joined by match links; each cluster's value is its record ids."""
    person: dict[str, str] = field(default_factory=dict)
    """record id -> person id (the smallest record id of its person)."""
    ids: dict[str, tuple[object, ...]] = field(default_factory=dict)
    """record id -> the identity fields it is compared on."""
    apart: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    """record id -> records the twins guard keeps out of its person."""

    def __post_init__(self) -> None:
        self.thresholds = self.policy or LinkPolicy.of(self.model)
        self.scorer = Scorer(self.model)

    def person_of(self, record_id: str) -> str:
        """The person a record belongs to."""
        return self.person[record_id]

    def add(self, record: PersonRecord) -> LinkOutcome:
        """Index a record, link it, and return its person with what changed."""
        if record.record_id in self.records:
            return LinkOutcome(
                record.record_id,
                self.person[record.record_id],
                Outcome.LINKED,
                SURE,
                "already indexed",
            )
        rid = record.record_id
        keys = list(record.blocking_keys())
        score, records, person, ids = self.scorer.compare, self.records, self.person, self.ids
        ident = ids[rid] = identity(record)
        candidates = [
            Candidate(c, person[c], score(record, records[c], (ident, ids[c])))
            for c in self._candidates(keys)
        ]
        for c in candidates:
            if c.comparison.apart:
                self.apart[rid].add(c.record_id)
                self.apart[c.record_id].add(rid)
        self.records[rid] = record
        self.clusters.add(rid, [rid])
        self.person[rid] = rid
        for key in keys:
            self.blocks[key].append(rid)
        policy = self.thresholds
        matches = [
            c for c in candidates if c.comparison.weight >= policy.link and not c.comparison.apart
        ]
        before = {c.record_id: c.person_id for c in matches}
        moved: list[tuple[str, str, str]] = []
        for match in matches:
            self.links[rid][match.record_id] = self.links[match.record_id][rid] = (
                match.comparison.weight
            )
            self.clusters.join(rid, match.record_id)
        if matches:
            moved = [m for m in self._rebuild(self.clusters.find(rid)) if m[0] != rid]
        mine = self.person[rid]
        united = {p for r, p in before.items() if self.person[r] == mine}
        merged = tuple(sorted(united)) if len(united) > 1 else ()  # two persons became one
        possible = tuple(
            c
            for c in candidates
            if policy.review <= c.comparison.weight
            and (c.comparison.weight < policy.link or c.comparison.apart)
            and self.person[c.record_id] != mine
        )
        best = max(
            (c for c in matches if self.person[c.record_id] == mine),
            key=lambda c: c.comparison.weight,
            default=None,
        )
        if best is None:
            return LinkOutcome(
                rid,
                mine,
                Outcome.NEW_PERSON,
                0.0,
                "no candidate above the link threshold",
                (),
                possible,
                tuple(moved),
            )
        return LinkOutcome(
            rid,
            mine,
            Outcome.LINKED,
            best.comparison.weight,
            best.comparison.explain(),
            merged,
            possible,
            tuple(moved),
        )

    def records_of(self, person_id: str) -> list[str]:
        """The records of one person."""
        members = self.clusters.value[self.clusters.find(person_id)]
        return [r for r in members if self.person[r] == person_id]

    def _candidates(self, keys: list[str]) -> list[str]:
        seen: dict[str, None] = {}
        for key in keys:
            for rid in self.blocks.get(key, ()):
                seen.setdefault(rid)
        return list(seen)

    def _rebuild(self, root: str) -> list[tuple[str, str, str]]:
        """Persons of one cluster, from its links strongest first; returns who moved."""
        ids = sorted(self.clusters.value[root])
        persons = DisjointSets(_unite, ((r, _Members({r}, self._nhs_numbers(r))) for r in ids))
        edges = sorted((-w, a, b) for a in ids for b, w in self.links[a].items() if a < b)
        for _, a, b in edges:
            persons.join(a, b, unless=self._kept_apart)
        moved = []
        for r in ids:
            new = persons.find(r)
            if self.person[r] != new:
                moved.append((r, self.person[r], new))
                self.person[r] = new
        return moved

    def _kept_apart(self, a: _Members, b: _Members) -> bool:
        """Never two NHS numbers in one person, nor two records the twins guard holds apart."""
        if a.nhs and b.nhs and a.nhs != b.nhs:
            return True
        small, large = sorted((a, b), key=lambda m: len(m.ids))
        return any(not self.apart[r].isdisjoint(large.ids) for r in small.ids if r in self.apart)

    def _nhs_numbers(self, rid: str) -> set[str]:
        number = self.records[rid].nhs_number
        return set() if number is None else {number}
