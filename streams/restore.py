"""A linkage index rebuilt from stored records: no comparison, the same persons.

Each stored record carries the match links and twins-guard partners found when it was indexed
(and, when the table kept them, its blocking keys). Persons are a function of those edges and
the standing decisions, so indexing the records again, joining their edges, applying the
decisions and rebuilding every cluster gives the persons the live index had, in any order.
With a local snapshot of the built index (``streams.snapshot``), only what the snapshot lacks
or what was written after it is indexed again (``restore_from``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import chain

from schemas.childrens_services import ReviewVerdict
from streams.blocks import record_slots
from streams.identities import Kept
from streams.linkage import Linker, PairDecision, PersonRecord
from streams.snapshot import IndexSnapshot, Records

__all__ = ["restore_from", "restore_linker"]


def restore_linker(
    linker: Linker, stored: Iterable[Kept], decisions: Iterable[PairDecision]
) -> None:
    """Index records again with the links and guards found when they were added, apply the
    standing decisions, and rebuild every person. An edge to a record not given is dropped:
    that record, indexed later, is compared and finds it again."""
    kept = list(stored)
    _index(linker, kept)
    _connect(linker, kept)
    for decision in decisions:
        _standing(linker, decision)
    for root, members in linker.clusters.value.items():
        if len(members) > 1:  # a record alone is its own person already
            linker._rebuild(root)


def _index(linker: Linker, kept: list[Kept]) -> None:
    """Records in the index, each a person of its own (their keys made again if not kept),
    filed in the blocks all at once (``Blocks.file_new``). A record's ``identity`` is made
    when a new record is first compared with it. One loop, the index's dicts held in locals:
    it runs once per record of a million."""
    records, person, add = linker.records, linker.person, linker.clusters.add
    keys, counts = record_slots(
        e.record.blocking_keys() if e.keys is None else e.keys for e in kept
    )
    rids = []
    for entry in kept:
        record = entry.record
        rid = record.record_id
        records[rid] = record
        add(rid, [rid])
        person[rid] = rid
        rids.append(rid)
    linker.blocks.file_new(rids, keys, counts)


def _connect(linker: Linker, kept: Sequence[Kept]) -> None:
    """The records' links and twins-guard partners, each record's cluster joined with those
    it links to (an edge to a record not indexed is dropped)."""
    edges, join, apart = linker.links, linker.clusters.join, linker.apart
    held_id = _held_ids(linker.records)
    edges.thaw(
        chain.from_iterable(
            (e.record.record_id, *(other for other, _ in e.links or ())) for e in kept
        )
    )
    for entry in kept:
        links, held = entry.links, entry.apart
        if not links and not held:
            continue
        rid = entry.record.record_id
        for other, weight in links or ():
            if (known := held_id(other)) is not None:  # the indexed string, not a copy
                edges.join(rid, known, weight)
                join(rid, known)
        for other in held:
            if (known := held_id(other)) is not None:
                apart[rid].add(known)
                apart[known].add(rid)


def _held_ids(records: Mapping[str, PersonRecord]) -> Callable[[str], str | None]:
    """The id string the index holds for a record id (None: not indexed): a snapshot's
    records tell it without making the record (``Records.held_id``)."""
    if isinstance(records, Records):
        return records.held_id

    def held_id(rid: str) -> str | None:
        known = records.get(rid)
        return None if known is None else known.record_id

    return held_id


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


def restore_from(
    linker: Linker,
    snapshot: IndexSnapshot,
    tail: Sequence[Kept],
    decisions: Sequence[PairDecision],
) -> None:
    """Take a snapshot's index and records, index the records of ``tail`` it lacks, join the
    edges of every ``tail`` entry (the table's entries written after the snapshot or lacking
    from it; the caller checked that the table holds every record of the snapshot), apply the
    standing decisions and rebuild the clusters they all touch: the persons a full
    ``restore_linker`` gives. A tail entry of a record the snapshot has replaces its record
    (the table is the source of truth)."""
    records, fresh = snapshot.records, []
    for entry in tail:
        record = entry.record
        rid = record.record_id
        if (old := records.get(rid)) is None:
            fresh.append(entry)
            continue
        if entry.event.event_id is rid:  # one string for the index, the record and event
            entry.event.event_id = old.record_id
        record.record_id = old.record_id
        records[old.record_id] = record
    clusters = (snapshot.parent, snapshot.members)
    linker.load(records, snapshot.person, snapshot.blocks, snapshot.links, snapshot.apart, clusters)
    _index(linker, fresh)
    _connect(linker, tail)
    touched = [e.record.record_id for e in tail]
    for decision in decisions:
        _standing(linker, decision)
        touched += [r for r in decision.pair if r in linker.records]
    for root in {linker.clusters.find(r) for r in touched}:
        if len(linker.clusters.value[root]) > 1:
            linker._rebuild(root)
