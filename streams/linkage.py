"""Stage 3: link records about the same child into persons (a master person index).

A new record is compared (``streams.comparison``) only with the records that share a blocking
key with it. Persons are the connected components of "match" links between records, and a
person's id is the smallest record id in it. Both are functions of the set of records, not of
their order, so one worker or two, any partitioning, gives the same persons.

Reviewers' decisions (``decide``) constrain them. The standing decision on a pair of records
is the latest by (time, event id), whatever order decisions arrive in; a withdrawal leaves the
pair undecided. SAME_PERSON is a must-link: an edge that joins the two records' clusters and
is taken before every match link. NOT_SAME_PERSON is a cannot-link: no person may hold both
records, even through a third. Neither overrides the NHS veto: a SAME_PERSON decision on
records whose persons carry two different NHS numbers is not applied (an NHS number is a
verified national identifier, a reviewer's judgement is made on what the review shows; two
numbers in one person would also break the invariant every consumer of persons relies on), and
the hub audits it as not applied, saying why, so the review can be taken up again. Persons
remain a function of the records and the standing decisions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import chain

from schemas.childrens_services import ReviewVerdict
from streams.blocks import Block, Blocks, block_slots
from streams.comparison import (
    SURE,
    Comparison,
    PersonRecord,
    Scorer,
    compare,
    two_issued_ids,
)
from streams.decisions import DecideOutcome, PairDecision, pair_of
from streams.disjoint_sets import DisjointSets
from streams.links import Linked, Links
from streams.model import LinkageModel, default_model

__all__ = [
    "Block",
    "Candidate",
    "Comparison",
    "DecideOutcome",
    "DisjointSets",
    "LinkOutcome",
    "LinkPolicy",
    "Linked",
    "Linker",
    "Outcome",
    "PairDecision",
    "PersonRecord",
    "block_slots",
    "compare",
    "pair_of",
]

_BY_DECISION = "one person by a reviewer's decision"
_ALONE = "no candidate above the link threshold"
_PARTED = "held apart from its matches (a reviewer's decision, NHS numbers or the twins guard)"


def _extend(keep: list[str], gone: list[str]) -> list[str]:
    keep += gone
    return keep


def _tied(a: PersonRecord, b: PersonRecord) -> bool:
    """One record, or two sharing a strong identifier."""
    return a is b or not set(a.strong_ids()).isdisjoint(b.strong_ids())


def _two_nhs_numbers(a: set[str], b: set[str]) -> bool:
    return bool(a and b and a != b)


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

    Records joined by match links and must-links form clusters (order cannot change a
    cluster). Within a cluster, persons are rebuilt whenever the cluster changes: must-links
    first (by record ids), then links strongest first (ties by record id), and an edge is
    skipped when it would put two different NHS numbers, two records the twins guard holds
    apart, or the two records of a cannot-link, in one person (so no third record can bridge
    them). So persons depend only on the records and the standing decisions, never on their
    order. (A withdrawn must-link leaves its clusters joined: a cluster only bounds where
    persons are rebuilt, persons come from the edges alone.)
    """

    model: LinkageModel = field(default_factory=default_model)
    policy: LinkPolicy | None = None
    """Thresholds; None: the model's."""
    records: dict[str, PersonRecord] = field(default_factory=dict)
    blocks: Blocks = field(default_factory=Blocks)
    """blocking key's slot -> the records under it (``Linker.block`` reads one by its
    key)."""
    links: Links = field(default_factory=Links)
    """record id -> its match links (``streams.links``: a flat tuple a record, or arrays)."""
    clusters: DisjointSets[list[str]] = field(default_factory=lambda: DisjointSets(_extend))
    """Records joined by match links; each cluster's value is its record ids."""
    person: dict[str, str] = field(default_factory=dict)
    """record id -> person id (the smallest record id of its person)."""
    decisions: dict[tuple[str, str], PairDecision] = field(default_factory=dict)
    """The standing decision on each decided pair (a withdrawal stands too, as the latest)."""
    decided: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    """record id -> the records it has a decision with."""
    apart: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    """record id -> records the twins guard keeps out of its person."""

    def __post_init__(self) -> None:
        self.thresholds = self.policy or LinkPolicy.of(self.model)
        self.scorer = Scorer(self.model)

    def load(
        self,
        records: dict[str, PersonRecord],
        person: dict[str, str],
        blocks: Blocks,
        links: Mapping[str, Linked],
        apart: Mapping[str, set[str]],
        clusters: tuple[dict[str, str], dict[str, list[str]]],
    ) -> None:
        """Take a saved index (an index snapshot's, ``streams.snapshot``; ``clusters`` as
        ``DisjointSets.saved`` gives them) in place of this empty one's."""
        self.records = records
        self.blocks = blocks
        self.links = links if isinstance(links, Links) else Links(links)
        self.apart.update(apart)
        self.clusters.load(*clusters)
        self.person = person

    def seal(self) -> None:
        """Seal the Python blocks and links: a background save is writing them
        (``Blocks.seal``, ``Links.seal``; each adopts the arrays it wrote apart)."""
        self.blocks.seal()
        self.links.seal()

    def unseal(self) -> None:
        """Hold the sealed blocks and links again: their save failed."""
        self.blocks.unseal()
        self.links.unseal()

    def verdict(self, a: str, b: str) -> ReviewVerdict | None:
        """The standing verdict on a pair: None if undecided or withdrawn."""
        known = self.decisions.get(pair_of(a, b))
        if known is None or known.verdict is ReviewVerdict.WITHDRAWN:
            return None
        return known.verdict

    def decide(self, decision: PairDecision) -> DecideOutcome:
        """Record a decision; if it is now the latest on its pair, rebuild the persons it
        touches. Says whether it holds and who moved."""
        known = self.decisions.get(decision.pair)
        if known is not None and known.rank > decision.rank:
            return DecideOutcome(False, "superseded by a later decision on the pair")
        self.decisions[decision.pair] = decision
        a, b = decision.pair
        self.decided[a].add(b)
        self.decided[b].add(a)
        if a not in self.records or b not in self.records:
            return DecideOutcome(False, "waiting for a record not yet linked")
        if decision.verdict is ReviewVerdict.SAME_PERSON:
            self.clusters.join(a, b)
        moved = self._rebuild(self.clusters.find(a))
        if self.clusters.find(b) != self.clusters.find(a):
            moved += self._rebuild(self.clusters.find(b))
        return DecideOutcome(*self._holds(decision), tuple(moved))

    def _holds(self, decision: PairDecision) -> tuple[bool, str]:
        """Whether a standing decision holds in the persons now, and why."""
        a, b = decision.pair
        if decision.verdict is ReviewVerdict.WITHDRAWN:
            return True, "withdrawn: the pair is undecided"
        if decision.verdict is ReviewVerdict.NOT_SAME_PERSON:
            return True, "the records are in different persons"
        if self.person[a] == self.person[b]:
            return True, "the records are one person"
        numbers = [
            {n for r in self.records_of(self.person[x]) for n in self._nhs_numbers(r)}
            for x in (a, b)
        ]
        if _two_nhs_numbers(*numbers):
            return False, "not applied: the persons have different NHS numbers (NHS veto)"
        return False, "not applied: a not-same-person decision keeps them apart"

    def _must_links(self, rid: str) -> list[str]:
        """The indexed records a standing SAME_PERSON decision joins ``rid`` with."""
        return [
            o
            for o in self.decided.get(rid, ())
            if o in self.records and self.verdict(rid, o) is ReviewVerdict.SAME_PERSON
        ]

    def person_of(self, record_id: str) -> str:
        """The person a record belongs to."""
        return self.person[record_id]

    def standing(
        self, rid: str, joined: bool = False, decided: bool = False
    ) -> tuple[float, str] | None:
        """What a re-issue of a record's link states besides its person, as (weight,
        explanation), where the link the record's own linking sent (or a re-issue since) is
        no longer true; None where it still is.

        - Alone now: "held apart from its matches (...)", or "no candidate above the link
          threshold" if it has none (both say what happened, and stay true if records join
          it later: it started its person).
        - ``joined``: its link said it was alone, held apart from its matches, and it is
          alone no more: the strongest of its match links into its person (ties: the
          smaller record id), weighed and explained by the model now, as its own linking
          would have said; or a reviewer's decision if no link holds it there.
        - ``decided``: a reviewer's decision moved it: if only that decision holds it in its
          person, "one person by a reviewer's decision".
        - Else None: a match link or a decision holds it where its link said (the first
          record of a person keeps "no candidate": it started it)."""
        person = self.person
        mine = person[rid]
        best: tuple[float, str] | None = None
        linked = False
        for other, weight in self.links.of(rid):
            linked = True
            if person[other] == mine and (best is None or (-weight, other) < best):
                best = (-weight, other)
        if best is not None:
            if not joined:
                return None
            comparison = self.scorer.compare(self.records[rid], self.records[best[1]])
            return comparison.weight, comparison.explain()
        if rid in self.decided and any(person[o] == mine for o in self._must_links(rid)):
            return (0.0, _BY_DECISION) if joined or decided else None
        return 0.0, _PARTED if linked else _ALONE

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
        found = self._compared(record)
        for other, _, comparison in found:
            if comparison.apart:
                self.apart[rid].add(other)
                self.apart[other].add(rid)
        self.records[rid] = record
        self.clusters.add(rid, [rid])
        self.person[rid] = rid
        if not found and rid not in self.decided:  # nothing to link, move or offer
            return LinkOutcome(rid, rid, Outcome.NEW_PERSON, 0.0, _ALONE)
        link, review = self.thresholds.link, self.thresholds.review
        matches = [f for f in found if f[2].weight >= link and not (f[2].apart or f[2].held)]
        partners = self._must_links(rid) if rid in self.decided else []
        before = {other: was for other, was, _ in matches} | {o: self.person[o] for o in partners}
        moved: list[tuple[str, str, str]] = []
        for other, _, comparison in matches:
            self.links.join(rid, other, comparison.weight)
            self.clusters.join(rid, other)
        for other in partners:
            self.clusters.join(rid, other)
        if before:
            moved = [m for m in self._rebuild(self.clusters.find(rid)) if m[0] != rid]
        person = self.person
        mine = person[rid]
        united = {p for r, p in before.items() if person[r] == mine}
        merged = tuple(sorted(united)) if len(united) > 1 else ()  # two persons became one
        possible = tuple(
            [
                Candidate(other, was, c)
                for other, was, c in found
                if review <= c.weight
                and (c.weight < link or c.apart or c.held)
                and person[other] != mine
            ]
        )
        best = None  # the first of the strongest matches in its person
        for other, _, comparison in matches:
            if person[other] == mine and (best is None or comparison.weight > best.weight):
                best = comparison
        if best is None:  # a must-link may still join it (and move the records it joins)
            joined = any(person[o] == mine for o in partners)
            return LinkOutcome(
                rid,
                mine,
                Outcome.LINKED if joined else Outcome.NEW_PERSON,
                0.0,
                _BY_DECISION if joined else _PARTED if matches else _ALONE,
                merged,
                possible,
                tuple(moved),
            )
        return LinkOutcome(
            rid, mine, Outcome.LINKED, best.weight, best.explain(), merged, possible, tuple(moved)
        )

    def edges(self, rid: str) -> tuple[tuple[tuple[str, float], ...], tuple[str, ...]]:
        """A record's match links (other record, weight) and the records the twins guard
        holds apart from it: what a restore (``streams.restore``) needs to index it again
        without comparing."""
        return tuple(self.links.of(rid)), tuple(self.apart.get(rid, ()))

    def file(self, rid: str, keys: Iterable[str]) -> None:
        """Put a record in the blocks of its keys."""
        self.blocks.put(rid, block_slots(keys))

    def block(self, key: str) -> tuple[str, ...]:
        """The records under a blocking key, in arrival order."""
        found = self.blocks.get(block_slots([key])[0], ())
        return (found,) if isinstance(found, str) else tuple(found)

    def records_of(self, person_id: str) -> list[str]:
        """The records of one person."""
        members = self.clusters.value[self.clusters.find(person_id)]
        return [r for r in members if self.person[r] == person_id]

    def _compared(self, record: PersonRecord) -> list[tuple[str, str, Comparison]]:
        """File a new record in its blocks, and find the indexed records sharing a block with
        it that can link, go to review or be held apart from it (the others do not matter),
        in block order: (record id, its person now, comparison), a ``Candidate`` made only of
        one offered for review."""
        rid = record.record_id
        slots, members = block_slots(record.blocking_keys()), list[str]()
        self.blocks.put(rid, slots, members)
        try:
            found = self.scorer.above(
                record, dict.fromkeys(members), self.records, self.thresholds.review
            )
        except BaseException:  # not indexed after all: no block may name a record not held
            self.blocks.unfile(slots)
            raise
        person = self.person
        return [(c, person[c], comparison) for c, comparison in found]

    def _rebuild(self, root: str) -> list[tuple[str, str, str]]:
        """Persons of one cluster, from its must-links, then its links strongest first;
        returns who moved."""
        if self._unconstrained(self.clusters.value[root]):
            return self._one_person(root)
        ids = sorted(self.clusters.value[root])
        persons = DisjointSets(_unite, ((r, _Members({r}, self._nhs_numbers(r))) for r in ids))
        edges = sorted((-w, a, b) for a in ids for b, w in self.links.of(a) if a < b)
        must = sorted(
            (a, b) for a in ids if a in self.decided for b in self._must_links(a) if a < b
        )
        for a, b in must:  # a reviewer's "same person" overrides the twins guard
            persons.join(a, b, unless=self._decided_apart_or_nhs)
        for _, a, b in edges:
            persons.join(a, b, unless=self._kept_apart)
        moved = []
        for r in ids:
            new = persons.find(r)
            if self.person[r] != new:
                moved.append((r, self.person[r], new))
                self.person[r] = new
        return moved

    def _unconstrained(self, ids: list[str]) -> bool:
        """No veto can apply in a cluster: no twins-guard pair, no decision and at most one
        NHS number. Then no edge is skipped and its one person is the cluster itself."""
        apart, decided, records = self.apart, self.decided, self.records
        # most clusters hold no such record: one pass in C over the ids tells, not a loop
        touched = not (apart.keys().isdisjoint(ids) and decided.keys().isdisjoint(ids))
        if touched and any(apart.get(r) or decided.get(r) for r in ids):  # not an empty entry
            return False
        of = getattr(records, "nhs_number_of", None)  # a snapshot's: read, not made
        numbers = set(map(of, ids)) if of is not None else {records[r].nhs_number for r in ids}
        numbers.discard(None)
        return len(numbers) <= 1

    def _one_person(self, root: str) -> list[tuple[str, str, str]]:
        """The cluster named ``root`` (its smallest record id) as one person; who moved."""
        person, moved = self.person, []
        for r in self.clusters.value[root]:
            if person[r] != root:
                moved.append((r, person[r], root))
                person[r] = root
        moved.sort()  # in record id order, as a rebuild reports it
        return moved

    def _kept_apart(self, a: _Members, b: _Members) -> bool:
        """Never two NHS numbers in one person, nor two records the twins guard holds apart,
        nor the two records of a standing cannot-link."""
        if self._decided_apart_or_nhs(a, b):
            return True
        small, large = sorted((a, b), key=lambda m: len(m.ids))
        held = [(r, o) for r in small.ids if r in self.apart for o in self.apart[r] & large.ids]
        return bool(held) and not all(self._one_childs_names(r, o, a, b) for r, o in held)

    def _one_childs_names(self, r: str, o: str, a: _Members, b: _Members) -> bool:
        """The twins guard held ``r`` and ``o`` apart for their two given names, yet a strong
        identifier (NHS number, UPN, agency id) shared by a record of each name among the two
        persons being joined shows one child carrying both: the names are no sign of twins.
        Not where a record of that bridge is tied by identifiers to both ``r`` and ``o`` (a
        third record bringing twins together), nor for two UPNs or two ids of one agency."""
        one, two = self.records[r], self.records[o]
        if one.given_name == two.given_name or two_issued_ids(one, two):
            return False
        named = [self.records[i] for i in chain(a.ids, b.ids)]
        firsts = [x for x in named if x.given_name == one.given_name and any(x.strong_ids())]
        seconds = [x for x in named if x.given_name == two.given_name and any(x.strong_ids())]
        return any(
            _tied(s, t)
            and not (_tied(s, one) and _tied(s, two))
            and not (_tied(t, one) and _tied(t, two))
            for s in firsts
            for t in seconds
        )

    def _decided_apart_or_nhs(self, a: _Members, b: _Members) -> bool:
        """Never two NHS numbers in one person, nor the two records of a cannot-link."""
        if _two_nhs_numbers(a.nhs, b.nhs):
            return True
        small, large = sorted((a, b), key=lambda m: len(m.ids))
        return any(
            o in large.ids for r in small.ids if r in self.decided for o in self._decided_apart(r)
        )

    def _decided_apart(self, rid: str) -> list[str]:
        return [
            o
            for o in self.decided.get(rid, ())
            if self.verdict(rid, o) is ReviewVerdict.NOT_SAME_PERSON
        ]

    def _nhs_numbers(self, rid: str) -> set[str]:
        number = self.records[rid].nhs_number
        return set() if number is None else {number}
