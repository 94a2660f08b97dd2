"""A linkage index rebuilt from stored records: no comparison, the same persons.

Each stored record carries the match links and twins-guard partners found when it was indexed
(and, when the table kept them, its blocking keys). Persons are a function of those edges and
the standing decisions, so indexing the records again, joining their edges, applying the
decisions and rebuilding every cluster gives the persons the live index had, in any order.
"""

from __future__ import annotations

from collections.abc import Iterable

from schemas.childrens_services import ReviewVerdict
from streams.identities import Kept
from streams.linkage import Linker, PairDecision

__all__ = ["restore_linker"]


def restore_linker(
    linker: Linker, stored: Iterable[Kept], decisions: Iterable[PairDecision]
) -> None:
    """Index records again with the links and guards found when they were added, apply the
    standing decisions, and rebuild every person. An edge to a record not given is dropped:
    that record, indexed later, is compared and finds it again."""
    kept = list(stored)
    for entry in kept:
        _index(linker, entry)
    for entry in kept:
        if entry.links or entry.apart:
            _connect(linker, entry.record.record_id, entry.links or (), entry.apart)
    for decision in decisions:
        _standing(linker, decision)
    for root, members in linker.clusters.value.items():
        if len(members) > 1:  # a record alone is its own person already
            linker._rebuild(root)


def _index(linker: Linker, entry: Kept) -> None:
    """A record in the index as a person of its own (its keys made again if not kept).
    Its ``identity`` is made when a new record is first compared with it."""
    record = entry.record
    rid = record.record_id
    linker.records[rid] = record
    linker.clusters.add(rid, [rid])
    linker.person[rid] = rid
    linker.file(rid, record.blocking_keys() if entry.keys is None else entry.keys)


def _connect(
    linker: Linker, rid: str, links: Iterable[tuple[str, float]], apart: Iterable[str]
) -> None:
    records, edges, join = linker.records, linker.links, linker.clusters.join
    for other, weight in links:
        if other in records:
            other = records[other].record_id  # the indexed string, not a copy
            edges[rid][other] = edges[other][rid] = weight
            join(rid, other)
    for other in apart:
        if other in records:
            other = records[other].record_id
            linker.apart[rid].add(other)
            linker.apart[other].add(rid)


def _standing(linker: Linker, decision: PairDecision) -> None:
    """Keep a decision if it is the latest on its pair, joining the clusters of a must-link
    (persons are rebuilt by the caller)."""
    known = linker.decisions.get(decision.pair)
    if known is not None and known.rank > decision.rank:
        return
    linker.decisions[decision.pair] = decision
    a, b = decision.pair
    linker.decided[a].add(b)
    linker.decided[b].add(a)
    if (
        a in linker.records
        and b in linker.records
        and linker.verdict(a, b) is ReviewVerdict.SAME_PERSON
    ):
        linker.clusters.join(a, b)
