"""The linkage table as a restore reads it: the records, the standing decisions, and the
owners' durable marks (what each owner had acknowledged), so that a restore knows what may
have been lost and sends only that again.

Two workers can own linkage in turn while the older one still writes: the group drops a
worker that stopped past its session (frozen, starved), another restores and takes over, and
the dropped one, let go, finishes what it had in flight (issue 15). Its outputs came from a
state the newer owner never had, so they may name episodes no later owner tombstones; only a
full republish followed by a sweep of every episode partition removes them. The interleavings
(owner A restored at epoch ``EA``, B at ``EB`` > ``EA``; the table B's restore read was
durable up to ``seen_B``, the highest version a mark covered):

1. A's writes land before B restores: B reads them and its state has them; nothing to do
   beyond the usual republish of what no mark covers, which B also writes again under its
   own version with its restore mark.
2. A writes after B restored and before the next restore (C) reads the table: A's versions
   lie between ``seen_B`` and ``EB``. C sees it through B's mark, republishes everything and
   sweeps. B must have a mark for this: an owner writes one as it restores, before it sends
   or writes anything (version ``EB``: no batch of its own acknowledged yet); without it, a B
   slow to finish its first batch left no trace and C saw nothing (a way to the 203 extra
   episodes of the frozen-worker test, once in five runs; that run's logs were not kept).
   ``seen`` is the durable point B read, not the highest version: the last batch of A
   before a freeze can be on the changelog in part (Faust sends its table writes one by
   one), and the rest, landing after B restored, carries the version B read. B writes what
   it read above the durable point again under its own version with its restore mark, so
   what a later restore finds between ``seen_B`` and ``EB`` was written after B restored.
3. A writes after C restored: C's mark has ``seen_C`` >= B's versions > A's, so C's mark
   alone cannot tell A's writes from ones C read; B's mark still can. So every mark is
   checked, not only the latest: any version between a mark's ``seen`` and its epoch (an
   entry, a decision or an older owner's mark) is a write of an older owner after that mark's
   owner restored.
4. Sweeping once is enough: an owner whose full republish and sweep were acknowledged records
   in its mark (``swept``) the highest such version it found; a write at or below it was in
   the table when that owner restored, so its outputs were sent before the sweep. Only a
   write above every ``swept`` makes a later restore sweep again (A went on after C's sweep).

5. The late writes hold links found against the older owner's state, and replace the
   newer owner's entries of the same records (it linked the batch's events again), whose
   links reached records the older owner never had. A restore that finds them compares
   their records afresh (``LinkageTable.forget_stale_links``) and writes them again
   without links (the frozen-worker test, 2026-12-03: three records in another person).

The outputs are fenced apart (``sinks.fences``): an owner sends, as it restores and before
anything else, a fence on every episodes partition (its epoch and ``seen``), and the sinks
drop an episode whose version lies between the two of any fence (an older owner's batch this
owner never read), deleting such rows stored before the fence. So A's late episodes never
stay in the store, whether a later restore happens or not (the gap of case 2 with no C: 298
extra episodes in CI on 2026-12-02); the marks and the sweep above remain for the table,
whose late writes a later restore reads into its state.

What is left: two dropped owners writing at once (one ``swept`` for all: a write of the
older of them below the other's swept version, landing after the sweep, is taken as swept;
the fences drop its episodes all the same); and an owner restored by the alert timer (no
event to write its mark with) writes its mark, and what it read past the durable point,
with its first batch: a rebalance before that batch leaves that restore unrecorded (its
fence is sent with its republish, at once). (A restore that read only part of an older
owner's batch, once listed here, is case 2's: its ``seen`` is the durable point.)
"""

from __future__ import annotations

import bisect
import collections
import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from operator import itemgetter
from typing import Any, NamedTuple

import orjson

from plumbing.errors import UnreadableEntry
from schemas.childrens_services import ReviewVerdict
from streams.identities import LinkageEntry, compact_version, decision_pair, decode_decision
from streams.linkage import PairDecision

__all__ = [
    "DurableMark",
    "LinkageTable",
    "Marks",
    "TailSplit",
    "linkage_records",
    "scan_table",
    "unreadable_among",
]

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

_UNREADABLE = (UnreadableEntry, KeyError, IndexError, TypeError, ValueError)
"""What decoding a stored entry raises when it is damaged or of no known format."""


class DurableMark(NamedTuple):
    """One owner's durable point: the batches of the owner that restored at ``epoch`` (its
    versions are ``epoch`` + 1, + 2, ...) up to ``version`` had every output acknowledged,
    and the watermark then. A mark covers its own owner's versions only (epoch 0: a mark of
    the older, single kind, which covered every version up to its own)."""

    epoch: int
    version: int
    watermark: dt.datetime
    seen: int | None = None
    """The durable point of the table when this owner restored (the highest version any
    mark covered; with no mark, the highest version in it), None: not kept. What the restore
    read above it, its owner writes again under its own version with its restore mark."""
    swept: int | None = None
    """The highest write of an older owner after a newer one restored that this owner's
    full republish and sweep (acknowledged) covered (None: none made)."""

    @classmethod
    def decode(cls, key: str, durable_key: str, value: dict[str, Any]) -> DurableMark | None:
        """The mark stored under ``key`` (``durable_key`` or ``durable_key:<epoch>``)."""
        if key != durable_key and not key.startswith(f"{durable_key}:"):
            return None
        mark = value["durable"]
        watermark = dt.datetime.fromisoformat(mark["watermark"])
        seen, swept = mark.get("seen"), mark.get("swept")
        return cls(
            int(mark.get("epoch", 0)),
            int(mark["version"]),
            watermark,
            None if seen is None else int(seen),
            None if swept is None else int(swept),
        )

    def encode(self) -> dict[str, Any]:
        """The stored value (``seen`` and ``swept`` only when known)."""
        durable: dict[str, Any] = {
            "epoch": self.epoch,
            "version": self.version,
            "watermark": self.watermark.isoformat(),
        }
        if self.seen is not None:
            durable["seen"] = self.seen
        if self.swept is not None:
            durable["swept"] = self.swept
        return {"durable": durable}


@dataclass
class LinkageTable:
    """What a restore reads of the linkage table."""

    entries: list[LinkageEntry]
    decisions: list[PairDecision]
    durable: int | None
    """The highest version any owner marked durable (None: no mark kept)."""
    durable_watermark: dt.datetime
    after_durable: list[str]
    """Records written, or in a decision decided, in a batch no owner's mark covers."""
    late_decisions: list[PairDecision] = field(default_factory=list)
    """The decisions among them (``after_durable`` holds their records)."""
    latest: int = 0
    """The highest version in the table (entries, decisions and marks)."""
    complete: int = 0
    """The highest version a restore knows it read whole, with every output of its batch
    acknowledged: the highest an owner's mark covers, counting a mark that covers none of
    its owner's batches yet (version = epoch) as what that owner's restore read; with no
    mark, the highest version in the table (a table of the older kind, or none)."""
    stale_versions: set[int] = field(default_factory=set)
    """The versions an older owner wrote after a newer owner had restored (it went on with
    a batch in flight after the group had dropped it) that no sweep covered yet (their
    records are in ``after_durable``): see ``overtaken`` and ``forget_stale_links``."""
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    """(key, reason) of each entry of no known format, kept out of the restore."""
    from_snapshot: int | None = None
    """The version of the index snapshot the restore started from (None: rebuilt in full)."""
    marks: list[DurableMark] = field(default_factory=list)
    """The owners' durable marks read."""
    late_versions: set[int] = field(default_factory=set)
    """The versions no owner's mark covers."""
    held: list[tuple[str, int, bytes]] = field(default_factory=list)
    """(record id, version, stored bytes) of the records' entries not decoded yet
    (``scan_table``); ``entries`` holds the decoded ones."""
    pool: dict[Any, Any] = field(default_factory=dict)
    """The names, codes and dates shared by the entries decoded (``LinkageEntry.decode``)."""
    records: int = 0
    """How many records' entries were read (decoded or not)."""
    covered: list[tuple[str, int, bytes]] = field(default_factory=list)
    """The held entries a restore took from the index snapshot instead (``decode_tail``),
    not decoded: checked in the background (``streams.snapshot.check_covered``), so that
    a damaged one is reported as a full rebuild would, not found first by a new owner."""

    @property
    def overtaken(self) -> int | None:
        """The highest of ``stale_versions`` (None: none). Their outputs (from a state the
        newer owner never had) may name episodes no later owner tombstones, so a restore
        sends everything again and sweeps."""
        return max(self.stale_versions, default=None)

    def covers(self, version: int) -> bool:
        """Whether an owner's durable mark reaches the batch of ``version``: its writes to
        the table are all in it (a mark is written after them, on the same partition)."""
        return Marks(self.marks).covers(version)

    def swept_after(self, version: int) -> bool:
        """Whether an owner that restored after ``version`` was written swept an older
        owner's late writes: an index saved at ``version`` may lack them (they may lie below
        its version), and the owners' marks no longer tell them (``overtaken`` is None once
        swept)."""
        return any(m.swept is not None and m.epoch > version for m in self.marks)

    def forget_stale_links(self) -> None:
        """Drop the links and twins-guard partners of the records an older owner wrote after
        a newer owner had restored: found against the older owner's state, not the newer
        one's, they are not the record's links (the newer owner had linked the record too,
        and its entry, with links to records the older owner never had, was replaced by the
        late one: the frozen-worker test, 2026-12-03, three records in another person after
        the full republish). The restore compares those records afresh, as it does entries
        stored before links were kept, and the entries written again after it keep no
        links, so that every later restore compares them afresh too."""
        stale = self.stale_versions
        if stale:
            self.entries = [
                replace(e, links=None, apart=()) if e.version in stale else e for e in self.entries
            ]

    def decode_held(self) -> None:
        """Decode every held entry into ``entries`` (an entry of no known format is named in
        ``unreadable``)."""
        self.entries.extend(_decoded(self.held, self.pool, self.unreadable))
        self.held = []

    def decode_tail(self, known: Mapping[str, object], after: int) -> str | None:
        """Given the records an index snapshot of version ``after`` holds (``known``), keep
        and decode only the entries written after it, in a batch no mark covers, or of a
        record a decision of such a batch names (all written again after the republish, as
        a full restore writes them), dropping the others: the snapshot has them. Else, with
        nothing changed, why the snapshot does not reflect the table (rebuild in full): the
        table lacks an entry, decoded or not, for a record of it, or has a record at or
        below ``after`` that it lacks."""
        split = self.split_tail(after)
        if not split.fits(known):
            if not {rid for rid, _, _ in self._rows()}.issuperset(known):
                return "records of it missing from the table"
            return "the table has records at or below its version that it lacks"
        self.adopt_tail(split)
        return None

    def split_tail(self, after: int) -> TailSplit:
        """The table's records split at an index snapshot of version ``after``
        (``decode_tail``): what a restore from it must decode, what the snapshot holds, and
        what tells whether the snapshot holds exactly the records it should."""
        late, named = self.late_versions, {r for d in self.late_decisions for r in d.pair}
        tail: list[Row] = []
        covered: list[Row] = []
        below, below_sum, newer = 0, 0, set()
        for row in self._rows():
            rid, version, _ = row
            if version <= after:
                below += 1
                below_sum += hash(rid)
            else:
                newer.add(rid)
            (tail if version > after or version in late or rid in named else covered).append(row)
        return TailSplit(tail, covered, newer, below, below_sum % _HASHES)

    def adopt_tail(self, split: TailSplit) -> None:
        """Keep ``split``'s tail as the entries a restore decodes (decoded now) and its
        covered entries for the background check."""
        tail = split.tail
        self.held = [(r, v, stored) for r, v, stored in tail if isinstance(stored, bytes)]
        self.entries = [entry for _, _, entry in tail if isinstance(entry, LinkageEntry)]
        self.covered = [
            (r, v, stored) for r, v, stored in split.covered if isinstance(stored, bytes)
        ]
        self.decode_held()

    def _rows(self) -> list[Row]:
        """(id, version, stored bytes or the decoded entry): held and decoded entries alike."""
        return [*self.held, *((e.record.record_id, e.version, e) for e in self.entries)]


Row = tuple[str, int, "bytes | LinkageEntry"]
"""A record's entry in a split: its id, version, and stored bytes or the decoded entry."""

_HASHES = 1 << 64


@dataclass
class TailSplit:
    """A linkage table's records split at an index snapshot's version
    (``LinkageTable.split_tail``)."""

    tail: list[Row]
    """What a restore from the snapshot decodes: the entries written after it, in a batch no
    mark covers, or of a record such a batch's decision names."""
    covered: list[Row]
    """The rest: the snapshot holds them."""
    newer: set[str]
    """The ids of the records written after the snapshot."""
    below: int
    """How many records were written at or before the snapshot's version..."""
    below_sum: int
    """...and the sum of their ids' hashes (modulo 2**64): a split made in a forked child
    (``streams.scan_ahead``, the same hash seed) tells the snapshot's fit without sending a
    million ids."""

    def fits(self, known: Mapping[str, object]) -> bool:
        """Whether the snapshot holding ``known`` holds every record written at or before its
        version and no other but those written after it: ``known`` is exactly those below
        and those of ``newer`` it has (a record rewritten since is in both)."""
        beside = [rid for rid in self.newer if rid in known]
        if len(known) != self.below + len(beside):
            return False
        return (sum(map(hash, known)) - sum(map(hash, beside))) % _HASHES == self.below_sum


def _decoded(
    held: Iterable[tuple[str, int, bytes]], pool: dict[Any, Any], unreadable: list[tuple[str, str]]
) -> Iterator[LinkageEntry]:
    """The held entries decoded (sharing ``pool``); each of no known format named, with why,
    in ``unreadable`` (the exception's type only for others: a message may quote a value)."""
    decode = LinkageEntry.decode
    for rid, _, stored in held:
        try:
            yield decode(orjson.loads(stored), pool)
        except _UNREADABLE as exc:
            reason = str(exc) if isinstance(exc, UnreadableEntry) else type(exc).__name__
            unreadable.append((rid, reason))


def unreadable_among(held: Iterable[tuple[str, int, bytes]]) -> list[tuple[str, str]]:
    """(record id, reason) of each of the ``held`` entries that cannot be decoded: the check
    of the entries a restore took from the index snapshot (``LinkageTable.covered``)."""
    found: list[tuple[str, str]] = []
    collections.deque(_decoded(held, {}, found), maxlen=0)
    return found


class Marks:
    """The owners' durable marks, by epoch (see the module's docstring for what they tell)."""

    def __init__(self, marks: Iterable[DurableMark]) -> None:
        self.marks = sorted(marks)
        self.epochs = [m.epoch for m in self.marks]

    def last_at(self, version: int) -> DurableMark | None:
        """The mark of the latest epoch at or before ``version``."""
        at = bisect.bisect_right(self.epochs, version) - 1
        return self.marks[at] if at >= 0 else None

    def covers(self, version: int) -> bool:
        """Whether an owner marked the batch of ``version`` acknowledged: the mark of its
        epoch (the latest at or before it) reaches it. A later owner's mark never does."""
        mark = self.last_at(version)
        return mark is not None and mark.version >= version

    def overtaken(self, versions: Iterable[int]) -> set[int]:
        """Those of ``versions`` (and of the marks' own) that an older owner wrote after
        some newer owner had restored (between that owner's ``seen`` and its epoch) and
        that no owner's sweep covered. Every mark is checked: a later owner's ``seen``
        counts the newer owner's versions, above the older's."""
        written = sorted({*versions, *(m.version for m in self.marks)})
        swept = max((m.swept for m in self.marks if m.swept is not None), default=0)
        found: set[int] = set()
        for mark in self.marks:
            if mark.seen is None:
                continue
            after = bisect.bisect_right(written, max(mark.seen, swept))
            found.update(written[after : bisect.bisect_left(written, mark.epoch)])
        return found

    def since(self, late: Iterable[int]) -> dt.datetime:
        """The watermark from which episode clocks may have run out unsent: the latest
        mark's, or, before a batch no mark covers, the watermark of its epoch's mark (or of
        the last before it; none: the beginning)."""
        since = self.marks[-1].watermark
        for version in late:
            mark = self.last_at(version)
            since = min(since, _EPOCH if mark is None else mark.watermark)
        return since


def linkage_records(items: Iterable[tuple[str, Any]], durable_key: str) -> LinkageTable:
    """Read the linkage table's entries (one at a time: a large table is never held twice):
    records, standing decisions and the owners' durable points. An entry of no known format
    is kept out of the restore and named in ``unreadable`` (a stalled restore would stop
    linkage for good; the record comes back if its event is sent again). A value may be
    decoded already or the bytes the table stores."""
    return scan_table(items, durable_key, hold=False)


def scan_table(
    items: Iterable[tuple[str, Any]], durable_key: str, hold: bool = True
) -> LinkageTable:
    """``linkage_records`` leaving, with ``hold``, the records' compact entries given as
    bytes undecoded (``LinkageTable.held``: their version read from the bytes,
    ``compact_version``), so that a restore from an index snapshot decodes only those the
    snapshot lacks (``LinkageTable.decode_tail``; ``decode_held`` for all)."""
    entries: list[LinkageEntry] = []
    held: list[tuple[str, int, bytes]] = []
    decisions: list[tuple[PairDecision, int]] = []
    marks: list[DurableMark] = []
    unreadable: list[tuple[str, str]] = []
    shared: dict[Any, Any] = {}
    decode, head = LinkageEntry.decode, compact_version
    for key, value in items:
        try:
            if type(value) is bytes:  # as stored: most of a table is records' compact entries
                if hold and (version := head(key, value)) is not None:
                    held.append((key, version, value))
                    continue
                value = orjson.loads(value)
            if type(value) is list:  # a record's compact entry, most of a table
                entries.append(decode(value, shared))
            elif (mark := DurableMark.decode(key, durable_key, value)) is not None:
                marks.append(mark)
            elif (decision := decode_decision(value)) is not None:
                decisions.append((decision, int(value.get("version", 0))))
            else:
                entries.append(decode(value, shared))
        except _UNREADABLE as exc:
            # the type only for others: a message may quote a value (a name, a date of birth)
            reason = str(exc) if isinstance(exc, UnreadableEntry) else type(exc).__name__
            if (held_apart := _held_apart(key)) is not None:
                decisions.append((held_apart, 0))
                reason += "; the pair is held apart until decided again"
            unreadable.append((key, reason))
    ids = [e.record.record_id for e in entries] + list(map(itemgetter(0), held))
    versions = [e.version for e in entries] + list(map(itemgetter(1), held))
    table = _read(ids, versions, decisions, marks)
    table.entries, table.held, table.pool = entries, held, shared
    table.records = len(entries) + len(held)
    table.unreadable, table.marks = unreadable, marks
    return table


def _held_apart(key: str) -> PairDecision | None:
    """What stands for a reviewer's decision whose entry cannot be read: the pair held apart
    (a "same person" read as "not the same" loses a link; the other way round would join two
    children, the worst error a MASH can make), ranked before any decision a reviewer makes
    again on the pair, which then stands."""
    pair = decision_pair(key)
    if pair is None:
        return None
    return PairDecision(pair, ReviewVerdict.NOT_SAME_PERSON, _EPOCH, "unreadable-entry")


def _read(
    ids: list[str],
    versions: list[int],
    decisions: list[tuple[PairDecision, int]],
    marks: list[DurableMark],
) -> LinkageTable:
    """What the records (their ids and versions), decisions and marks read tell a restore."""
    written = {*versions, *(v for _, v in decisions)}
    latest = max([*written, *(m.version for m in marks), 0])
    if not marks:
        return LinkageTable(
            [], [d for d, _ in decisions], None, _EPOCH, [], latest=latest, complete=latest
        )
    kept = Marks(marks)
    late_versions = {v for v in written if not kept.covers(v)}
    late = [d for d, v in decisions if v in late_versions]
    stale = kept.overtaken(written)
    return LinkageTable(
        [],
        [d for d, _ in decisions],
        max(m.version for m in marks),
        kept.since(late_versions),
        [r for r, v in zip(ids, versions, strict=True) if v in late_versions or v in stale]
        + [r for d in late for r in d.pair],
        late,
        latest,
        late_versions=late_versions,
        stale_versions=stale,
        complete=max(m.version if m.version > m.epoch else m.seen or 0 for m in marks),
    )
