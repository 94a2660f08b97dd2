"""The linkage stage over a batch: link each child, rebuild the episodes that changed.

State is the set of linkage records with their event summaries and the links found when each
was indexed; the index, the persons and the episodes are all derived from it, so a restarted
worker rebuilds them from its records without comparing (in any order, with the same result).
"""

from __future__ import annotations

import datetime as dt
import gc
import weakref
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import compress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from plumbing.logs import get_logger
from schemas.audit import AuditEntry, Decision
from schemas.childrens_services import LinkageDecision
from schemas.common import Envelope
from schemas.event_types import EventType
from schemas.hub import PERSON_ONLY, EpisodeSnapshot, Link, LinkOutcomeKind, PossibleMatch
from streams import episodes as ep
from streams.durable import LinkageTable, scan_table
from streams.episodes import Episode, EpisodesOf, EventSummary, RagPolicy, group_episodes
from streams.identities import Kept, StoredRecord, identities, summary
from streams.linkage import Linker, LinkOutcome, Outcome, PairDecision, pair_of
from streams.restore import restore_from, restore_linker
from streams.snapshot import UNCOVERED, IndexSnapshot, load_snapshot, may_fit
from streams.summaries import Summaries

if TYPE_CHECKING:
    from streams.scan_ahead import Scanned

__all__ = [
    "HubOutput",
    "HubState",
    "Snapshots",
    "collection_paused",
    "preload_snapshot",
    "restore_table",
]

log = get_logger(__name__)

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass
class HubOutput:
    """What one batch produced."""

    links: list[Link] = field(default_factory=list)
    reviews: list[PossibleMatch] = field(default_factory=list)
    episodes: dict[str, EpisodeSnapshot | None] = field(default_factory=dict)
    """episode id -> its new snapshot, or None where the episode no longer exists."""
    audit: list[AuditEntry] = field(default_factory=list)
    records: dict[str, StoredRecord] = field(default_factory=dict)
    """New state: record id -> its identity and event summary."""
    decisions: dict[tuple[str, str], PairDecision] = field(default_factory=dict)
    """New state: pair -> its standing decision."""


@contextmanager
def collection_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a restore makes millions of long-lived
    objects (each collection would walk them all again: a third of a restore's time), then
    move what is alive out of its reach (``gc.freeze``): the index is kept for the life of
    the worker, and later collections need not walk it either."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was:
            gc.enable()


def restore_table(
    state: HubState,
    items: Iterable[tuple[str, Any]],
    durable_key: str,
    snapshot: Path | None = None,
    preloaded: IndexSnapshot | None = None,
    scanned: Scanned | None = None,
) -> LinkageTable:
    """Restore ``state`` from the linkage table's entries (read one at a time; values decoded
    or as the bytes stored), with the collector paused, from the index snapshot at
    ``snapshot`` where one fits the table (``streams.snapshot``): then only the entries it
    lacks or that were written after it are decoded. ``preloaded``: that snapshot as loaded
    already (``preload_snapshot``; of this model, whose version is not checked against the
    table yet), used once. ``scanned``: the table as read beside that load
    (``streams.scan_ahead``), used instead of ``items`` if the snapshot fits it. Returns what
    was read (durable point, what followed it) for the republish."""
    with collection_paused():
        if scanned is not None and preloaded is not None:
            table = scanned.table
            if _may_use(table, preloaded.version) and scanned.split.fits(preloaded.person):
                table.adopt_tail(scanned.split)
                table.from_snapshot = _restored(state, table, preloaded, snapshot)
                return table
            log.info("linkage.scan_ahead_unused", reason="the snapshot does not fit the table")
        # no snapshot it may use (none, another format, model or blocking scheme): each
        # entry decoded as read, its head not read first
        hold = snapshot is not None and (
            preloaded is not None or may_fit(snapshot, state.model_version)
        )
        table = scan_table(items, durable_key, hold=hold)
        found = _fitting(table, state, snapshot, preloaded)
        if found is None:
            table.decode_held()
        table.forget_stale_links()  # none with a snapshot: it fits no overtaken table
        table.from_snapshot = _restored(state, table, found, snapshot)
    return table


def _restored(
    state: HubState, table: LinkageTable, found: IndexSnapshot | None, snapshot: Path | None
) -> int | None:
    """``state.restore`` from the table's entries and the index snapshot ``found`` (of the
    file ``snapshot``). If a restore from a snapshot fails, the file is removed before the
    error goes on: the worker's next restore rebuilds the index in full from the table (the
    source of truth) instead of failing the same way at every start. (A snapshot whose
    digest matches and whose shape was checked fails only by a fault of the code that wrote
    it.)"""
    try:
        return state.restore(table.entries, table.decisions, found)
    except MemoryError:  # the machine's, not the snapshot's: it stays
        raise
    except Exception as exc:
        if found is not None and snapshot is not None:
            snapshot.unlink(missing_ok=True)
            log.error("linkage.snapshot_removed", path=str(snapshot), reason=type(exc).__name__)
        raise


def preload_snapshot(snapshot: Path, model_version: str) -> IndexSnapshot | None:
    """The index snapshot at ``snapshot`` if it is whole and of this format, model and
    blocking scheme, loaded now with the collector paused, for ``restore_table`` to check
    against the table later (None: none, or one it may not use, logged). A worker loads it
    as it starts, before it joins its group: loading a million records' index holds the
    interpreter for seconds, which in a group member's restore would stop the consumer's
    heartbeat (its session expired in one, measured)."""
    if not may_fit(snapshot, model_version):
        return None
    with collection_paused():
        found = load_snapshot(snapshot, model_version, lambda _: True)
        if found is not None:  # made now, while the table is read beside: the restore waits
            found.first_events = found.summaries.first_events()
        return found


def _fitting(
    table: LinkageTable,
    state: HubState,
    snapshot: Path | None,
    preloaded: IndexSnapshot | None = None,
) -> IndexSnapshot | None:
    """The index snapshot at ``snapshot`` (or ``preloaded`` from it) if it fits ``table``,
    the table's entries then cut to the tail it lacks, decoded
    (``LinkageTable.decode_tail``); else None, logged."""
    if snapshot is None or table.overtaken is not None:
        return None
    if preloaded is None:
        found = load_snapshot(snapshot, state.model_version, table.covers)
    elif table.covers(preloaded.version):
        found = preloaded
    else:
        found = None
        log.warning("linkage.snapshot_ignored", path=str(snapshot), reason=UNCOVERED)
    if found is None:
        return None
    if table.swept_after(found.version):  # late writes below its version it never read
        why: str | None = "an older owner's late writes were swept after it"
    else:  # the table holds its records, and it every record at or below its version
        why = table.decode_tail(found.person, found.version)
    if why is not None:
        log.warning("linkage.snapshot_ignored", path=str(snapshot), reason=why)
        return None
    return found


def _may_use(table: LinkageTable, version: int) -> bool:
    """Whether a snapshot of ``version`` may stand for ``table``'s records at or below it:
    no older owner's late writes (``overtaken``: they may hold other edges for records the
    snapshot has, which only a full rebuild reads as a restore always did), a durable mark
    that reaches it, and no sweep of late writes after it (``_fitting`` says which)."""
    return table.overtaken is None and table.covers(version) and not table.swept_after(version)


class Snapshots(Mapping[str, EpisodeSnapshot]):
    """The hub's episodes as the analysts' model, each built when read (kept as
    ``Episode``: a tenth of the memory)."""

    def __init__(self, episodes: Mapping[str, Episode]) -> None:
        self._episodes = episodes

    def __getitem__(self, episode_id: str) -> EpisodeSnapshot:
        return self._episodes[episode_id].snapshot()

    def __iter__(self) -> Iterator[str]:
        return iter(self._episodes)

    def __len__(self) -> int:
        return len(self._episodes)


@dataclass
class HubState:
    """The master person index and the episodes it implies."""

    policy: RagPolicy = field(default_factory=RagPolicy)
    linker: Linker = field(default_factory=Linker)
    summaries: Summaries = field(default_factory=Summaries)
    episodes_of: EpisodesOf = field(init=False)
    """person id -> its current episode ids (after a restore, some built when needed)."""
    episodes: dict[str, Episode] = field(default_factory=dict)
    """episode id -> the episode (``snapshots`` shows them as the analysts' model)."""
    watermark: dt.datetime = _EPOCH
    """The latest event time seen (RAG clocks run on event time, so replays agree)."""
    contents: dict[str, str] = field(default_factory=dict)
    """content digest -> the event id that brought it first. The digest covers the agency
    and its record id with all else the record says but the event's id and when it was sent
    (``schemas.common.content_digest``): one string a record. Keyed by a tuple of the agency,
    record id and digest, a restore of a million records took 1.45 s to key them, against
    0.87 s, and kept 64 MB more."""

    def __post_init__(self) -> None:
        # through a weak reference: the bound method itself would make the state a reference
        # cycle, which only the collector frees, and not at all while it is frozen
        # (``plumbing.gc_pauses``); so a dropped state goes as soon as nothing refers to it
        build = weakref.WeakMethod(self._build_episodes)

        def build_episodes(person: str, members: Iterable[str] | None) -> None:
            method = build()
            if method is not None:
                method(person, members)

        self.episodes_of = EpisodesOf(build_episodes)

    def restore(
        self,
        records: Sequence[Kept],
        decisions: Sequence[PairDecision] = (),
        snapshot: IndexSnapshot | None = None,
    ) -> int | None:
        """Rebuild the index and episodes from stored records and standing decisions (order
        does not matter); with a ``snapshot`` of the index and records, take it, and
        ``records`` are the table's entries it lacks or that were written after it (the
        caller checked the table holds the others). Records kept with their links are
        indexed without comparing; the others (stored before links were kept) are compared
        as when they came. Only the episodes of persons with a contact (a RAG clock) are
        built now, the others when a change or a reader needs them (``EpisodesOf``).
        Returns the snapshot's version if it was used (None: rebuilt in full)."""
        linked = [r for r in records if r.links is not None]
        if snapshot is None:
            restore_linker(self.linker, linked, decisions)
        else:
            restore_from(self.linker, snapshot, linked, decisions)
            self.summaries = snapshot.summaries
        summaries = self.summaries
        for entry in records:
            if entry.links is None:
                self.linker.add(entry.record)
            summaries[entry.record.record_id] = entry.event
        made = None
        if snapshot is not None and snapshot.first_events is not None:
            ahead, snapshot.first_events = snapshot.first_events, None  # taken: it is changed
            made = self.summaries.first_events_after(ahead)
        self._take_summaries(made)
        return None if snapshot is None else snapshot.version

    def _take_summaries(self, first: dict[str, str] | None = None) -> None:
        """After a restore: the watermark, the first event of each content (``first``, if
        made ahead: ``Summaries.first_events_after``), and the episodes of persons with a
        contact (a RAG clock), from the restored records' summaries."""
        summaries = self.summaries
        latest = summaries.latest()
        if latest is not None:
            self.watermark = max(self.watermark, latest)
        if first is None:
            first = summaries.first_events()
        first.update(self.contents)
        self.contents = first
        person = self.linker.person
        kinds, rags = summaries.column("event_type"), summaries.column("rag_rating")
        rated = compress(zip(summaries, kinds, strict=True), rags)  # most have no RAG rating
        persons = {person[r] for r, kind in rated if kind == EventType.CONTACT}
        self.episodes_of.pending |= set(person.values()) - persons
        self._rebuild(persons, None)

    def set_aside_episodes(self) -> int:
        """Let go of the episodes of every person with no RAG clock: they are built again
        from the person's records when next needed (``EpisodesOf.pending``), the same, as
        after a restore (an episode's clock is the one thing read across every person's:
        ``_overdue``, ``republish``). A live worker otherwise keeps every person's episodes,
        about 300 bytes a record. Returns the episodes let go."""
        clocked = {e.person_id for e in self.episodes.values() if e.due_at is not None}
        gone = self.episodes_of.set_aside(clocked)
        for episode_id in gone:
            del self.episodes[episode_id]
        return len(gone)

    def _build_episodes(self, person: str, members: Iterable[str] | None) -> None:
        """Keep the episodes of one person, from ``members`` (None: its records now)."""
        ids = self.linker.records_of(person) if members is None else members
        events = [self.summaries[r] for r in ids]
        episodes = group_episodes(person, events, self.policy, self.watermark)
        self.episodes_of[person] = tuple(e.episode_id for e in episodes)
        for episode in episodes:
            self.episodes[episode.episode_id] = episode

    def _settle(
        self, moved: Sequence[tuple[str, str, str]], person: str = "", new: str = ""
    ) -> None:
        """Build, from the records they had before a change, the episodes of the persons it
        touched (``person`` too) whose episodes were not built yet (``new``: a record the
        change added to the index; "" for none)."""
        touched = {p for _, old, now in moved for p in (old, now)} | {person}
        for p in touched & self.episodes_of.pending:
            members = set(self.linker.records_of(p)) - {new}
            members -= {r for r, _, now in moved if now == p}
            members |= {r for r, old, _ in moved if old == p}
            self.episodes_of.ready(p, members)

    def republish(self, records: Iterable[str], since: dt.datetime) -> HubOutput:
        """What may have been lost with outputs sent after a durable point: the links of
        every record in the clusters of ``records`` (a change moves records only within its
        cluster; a record of ``records`` with what holds it in its person now, as its own
        link may never have been stored, the others with their persons only), their
        persons' episodes, a tombstone for every episode id those persons
        may have had and have no more, and the episodes whose clock ran out after ``since``
        (the watermark at the durable point)."""
        out = HubOutput()
        clusters = self.linker.clusters
        lost = {r for r in records if r in self.linker.records}
        roots = {clusters.find(r) for r in lost}
        members = [r for root in sorted(roots) for r in clusters.value[root]]
        persons = {self.linker.person[r] for r in members}
        # a record of the batch itself may have no stored link at all (its own was lost):
        # it states what holds it now; the others, their persons only (their links stand)
        out.links = [
            self._reissue(r, self.linker.standing(r, joined=True, decided=True))
            if r in lost
            else self.reissue(r)
            for r in members
        ]
        current = {e for p in persons for e in self.episodes_of.get(p, ())}
        current |= {s.episode_id for s in self.episodes.values() if s.due_at and s.due_at > since}
        out.episodes = {e: self.episodes[e].snapshot() for e in sorted(current)}
        for root in roots:
            ids = clusters.value[root]
            events = {self.summaries[r].event_id for r in ids}
            for gone in {ep.episode_id(p, e) for p in ids for e in events} - current:
                out.episodes[gone] = None
        return out

    def process(self, events: Sequence[Envelope], at: str) -> HubOutput:
        """Link every child of every event; return links, reviews, episodes and audit."""
        out = HubOutput()
        touched: set[str] = set()
        for event in events:
            if isinstance(event, LinkageDecision):  # not a child: a constraint on persons
                touched |= self._decide(event, at, out)
                continue
            event_summary = summary(event)
            if self._first_with(event_summary) != event_summary.event_id:
                # a re-submission the intake could not tell (its mark was lost in a crash)
                continue
            self.watermark = max(self.watermark, event.occurred_at)
            for record in identities(event, event_summary.event_id):
                if record.record_id in self.linker.records:
                    # a re-send the intake forwards (or a replay): linked already, its link
                    # stands as sent (linking it again restated it at the top weight)
                    continue
                result = self.linker.add(record)
                self._settle(result.moved, result.person_id, record.record_id)
                self.summaries[record.record_id] = event_summary
                out.records[record.record_id] = StoredRecord(
                    record, event_summary, *self.linker.edges(record.record_id)
                )
                self._report(result, event_summary, at, out)
                touched |= {result.person_id, *result.merged}
                touched |= {p for _, old, new in result.moved for p in (old, new)}
        self._rebuild(touched | self._overdue(), out)
        return out

    @property
    def model_version(self) -> str:
        """The version of the linkage model that makes this index's decisions."""
        return self.linker.model.version

    def _decide(self, event: LinkageDecision, at: str, out: HubOutput) -> set[str]:
        """Apply a reviewer's decision; re-issue the links of records that moved, audit it
        (ids only: never the reason), and return the persons whose episodes change. Decisions
        do not move the watermark (restored state has none to move it with)."""
        decision = PairDecision(
            pair_of(event.record_id, event.other_record_id),
            event.verdict,
            event.occurred_at,
            str(event.event_id),
        )
        if self.linker.decisions.get(decision.pair) == decision:
            return set()  # this very event read again (a batch re-delivered): applied, audited
        result = self.linker.decide(decision)
        self._settle(result.moved)
        if self.linker.decisions[decision.pair] == decision:
            out.decisions[decision.pair] = decision
        out.links += self._reissued(result.moved)
        facts = {
            "record_id": decision.pair[0],
            "other_record_id": decision.pair[1],
            "verdict": decision.verdict.value,
            "decided_by": event.decided_by,
            "applied": result.applied,
            "why": result.why,
            "model": self.model_version,
        }
        out.audit.append(AuditEntry(Decision.REVIEW_DECIDED, decision.event_id, at, facts))
        self._audit_splits(result.moved, decision.event_id, at, out)
        self._offer_split_links(result.moved, decision.event_id, at, out)
        return {p for _, old, new in result.moved for p in (old, new)}

    def _audit_splits(
        self, moved: Sequence[tuple[str, str, str]], event_id: str, at: str, out: HubOutput
    ) -> None:
        """Audit each person whose records now lie in two or more persons. (A person whose
        records all moved to one other person was merged or renamed, not split.)"""
        into: dict[str, set[str]] = {}
        for _, old, new in moved:
            into.setdefault(old, set()).add(new)
        for old, persons in sorted(into.items()):
            if self.linker.person.get(old) == old:  # the old person still exists
                persons = persons | {old}
            if len(persons) > 1:
                parts = ",".join(sorted(persons))
                facts = {"person_id": old, "into": parts, "model": self.model_version}
                out.audit.append(AuditEntry(Decision.SPLIT, event_id, at, facts))

    def _offer_split_links(
        self, moved: Sequence[tuple[str, str, str]], event_id: str, at: str, out: HubOutput
    ) -> None:
        """Offer for review each match link a split left between two persons: its records were
        one person, linked on their weight, and a later record or decision parted them (the
        twins guard between a newcomer and one of them, a reviewer's "not the same"). A
        human sees the pair again instead of the link quietly lost (an outside probe's
        finding: a "same person" decision for one record split off another, unoffered)."""
        if not moved:
            return
        person = self.linker.person_of
        before = {rid: old for rid, old, _ in moved}
        offered: set[tuple[str, str]] = set()
        for rid, old, new in moved:
            for other, weight in self.linker.links.of(rid):
                pair = pair_of(rid, other)
                if pair in offered or before.get(other, person(other)) != old:
                    continue  # offered already, or not one person before
                if person(other) == new:
                    continue  # still one person
                offered.add(pair)
                why = f"one person at weight {weight:.2f} until a split parted them"
                self._offer(rid, other, person(other), weight, why, event_id, at, out, why)

    def _first_with(self, event: EventSummary) -> str:
        """The event that first brought this record with this content."""
        return self.contents.setdefault(event.digest, event.event_id)

    def _report(self, result: LinkOutcome, event: EventSummary, at: str, out: HubOutput) -> None:
        out.links.append(self._link(result.record_id, event, result))
        decision = Decision.LINKED if result.outcome is Outcome.LINKED else Decision.NEW_PERSON
        out.audit.append(
            AuditEntry(
                decision,
                event.event_id,
                at,
                {
                    "record_id": result.record_id,
                    "person_id": result.person_id,
                    "weight": round(result.weight, 3),
                    "why": result.explanation,
                    "model": self.model_version,
                },
            )
        )
        for gone in result.merged:
            out.audit.append(
                AuditEntry(
                    Decision.MERGED,
                    event.event_id,
                    at,
                    {"person_id": result.person_id, "merged": gone, "model": self.model_version},
                )
            )
        out.links += self._reissued(result.moved, result.record_id)
        self._audit_splits(result.moved, event.event_id, at, out)
        self._offer_split_links(result.moved, event.event_id, at, out)
        for c in result.possible:
            self._offer(
                result.record_id, c.record_id, c.person_id, c.comparison.weight,
                c.comparison.explain(), event.event_id, at, out,
            )  # fmt: skip

    def _offer(
        self,
        record_id: str,
        candidate: str,
        candidate_person: str,
        weight: float,
        explanation: str,
        event_id: str,
        at: str,
        out: HubOutput,
        why: str | None = None,
    ) -> None:
        """Offer a pair for review and audit the offer (``why`` in the audit, if given)."""
        out.reviews.append(
            PossibleMatch(
                record_id=record_id,
                candidate_record_id=candidate,
                candidate_person_id=candidate_person,
                weight=weight,
                explanation=explanation,
                model_version=self.model_version,
            )
        )
        facts: dict[str, str | int | float | bool | None] = {
            "record_id": record_id,
            "candidate": candidate,
            "weight": round(weight, 3),
            **({} if why is None else {"why": why}),
            "model": self.model_version,
        }
        out.audit.append(AuditEntry(Decision.POSSIBLE_MATCH, event_id, at, facts))

    def _link(self, record_id: str, event: EventSummary, result: LinkOutcome) -> Link:
        person = self.linker.person_of(record_id)
        return Link(
            record_id=record_id,
            event_id=event.event_id,
            event_type=event.event_type,
            person_id=person,
            outcome=LinkOutcomeKind(result.outcome.name),
            weight=result.weight,
            explanation=result.explanation,
            merged=result.merged,
            model_version=self.model_version,
        )

    def _reissued(self, moved: Sequence[tuple[str, str, str]], new: str = "") -> list[Link]:
        """The links of the records a change moved, restated where what they said is no
        longer true (``Linker.standing``), and of each first record of a person whose other
        records the change moved away, if that left it alone. ``new``: the record the change
        added ("" for a reviewer's decision)."""
        person, links = self.linker.person, self.linker.links
        before = {rid: old for rid, old, _ in moved}
        left: dict[str, set[str]] = {}
        for rid, old, _ in moved:
            left.setdefault(old, set()).add(rid)

        def parted(rid: str) -> bool:
            """Alone before the change, with match links: its link said it was held apart."""
            was = before[rid]
            if left[was] != {rid}:
                return False  # others moved out of its person with it
            stayed = self.linker.records_of(was) if person.get(was) == was else []
            if any(r != rid and r not in before for r in stayed):
                return False
            return any(other != new for other, _ in links.of(rid))

        out = [
            self._reissue(rid, self.linker.standing(rid, parted(rid), not new)) for rid in before
        ]
        for rid in sorted(left.keys() - before.keys()):
            if person.get(rid) == rid:  # a person's first record, which did not move
                standing = self.linker.standing(rid)
                if standing is not None:  # alone now
                    out.append(self._reissue(rid, standing))
        return out

    def reissue(self, record_id: str) -> Link:
        """A record's link restated as it stands: its person now, the weight and explanation
        stored (``PERSON_ONLY``), as a republish sends it again."""
        return self._reissue(record_id, None)

    def _reissue(self, record_id: str, standing: tuple[float, str] | None) -> Link:
        """A record's link with its person now and ``standing`` (weight, explanation), or
        ``PERSON_ONLY`` for None: the weight and explanation stored stand."""
        event = self.summaries[record_id]
        weight, explanation = (0.0, PERSON_ONLY) if standing is None else standing
        return Link(
            record_id=record_id,
            event_id=event.event_id,
            event_type=event.event_type,
            person_id=self.linker.person_of(record_id),
            outcome=LinkOutcomeKind.REISSUED,
            weight=weight,
            explanation=explanation,
            model_version=self.model_version,
        )

    def _overdue(self) -> set[str]:
        """Persons with an undecided episode whose RAG clock ran out before the watermark."""
        return {
            s.person_id
            for s in self.episodes.values()
            if s.due_at and not s.breached and s.decided_at is None and s.due_at < self.watermark
        }

    @property
    def snapshots(self) -> Mapping[str, EpisodeSnapshot]:
        """Every current episode as the analysts' model (built on reading)."""
        self.episodes_of.ready_all()
        return Snapshots(self.episodes)

    def _rebuild(self, persons: set[str], out: HubOutput | None) -> None:
        """Rebuild the episodes of ``persons``; into ``out``, those that changed (with their
        audit) and those that exist no more. ``out`` None: a restore, nothing to tell."""
        current = {p for p in persons if p in self.linker.person and self.linker.person[p] == p}
        old: dict[str, Episode] = {}
        for person in persons:
            for episode_id in self.episodes_of.pop(person, ()):
                old[episode_id] = self.episodes.pop(episode_id)
        for person in current:
            events = [self.summaries[r] for r in self.linker.records_of(person)]
            episodes = group_episodes(person, events, self.policy, self.watermark)
            self.episodes_of[person] = tuple(e.episode_id for e in episodes)
            for episode in episodes:
                self.episodes[episode.episode_id] = episode
                previous = old.pop(episode.episode_id, None)
                if out is not None and episode != previous:  # only what changed goes out
                    out.episodes[episode.episode_id] = episode.snapshot()
                    self._audit_episode(previous, episode, out)
        if out is not None:
            out.episodes |= dict.fromkeys(old)  # episodes that exist no more

    def _audit_episode(self, previous: Episode | None, now: Episode, out: HubOutput) -> None:
        at = self.watermark.isoformat()
        facts = {"episode_id": now.episode_id, "person_id": now.person_id}
        first = now.events[0].event_id
        if previous is None:
            out.audit.append(AuditEntry(Decision.EPISODE_OPENED, first, at, facts))
        elif len(now.events) > len(previous.events):
            out.audit.append(AuditEntry(Decision.JOINED, now.events[-1].event_id, at, facts))
        if now.decided_at and not (previous and previous.decided_at):
            out.audit.append(AuditEntry(Decision.DECIDED, first, at, facts))
        if now.breached and not (previous and previous.breached):
            out.audit.append(AuditEntry(Decision.CLOCK_BREACHED, first, at, facts))
