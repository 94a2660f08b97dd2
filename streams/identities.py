"""From an event to what linkage and episodes need: the children in it and a summary."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, NamedTuple, Protocol, cast

from plumbing.errors import UnreadableEntry
from schemas.childrens_services import ReviewVerdict
from schemas.common import (
    ChildEvent,
    Envelope,
    PersonRole,
    content_digest,
    iso_date,
)
from schemas.community_safety import MaracCase
from streams.episodes import EventSummary
from streams.linkage import PairDecision, PersonRecord

__all__ = [
    "COMPACT",
    "Batch",
    "Kept",
    "LinkageEntry",
    "StoredRecord",
    "UnreadableEntry",
    "blocking_scheme",
    "compact_version",
    "decision_key",
    "decision_pair",
    "decode_decision",
    "encode_decision",
    "identities",
    "summary",
    "table_entries",
]

_DECISION = "decision:"
"""Key prefix of a standing decision in the linkage table (a record's key is its record id)."""


def summary(event: Envelope) -> EventSummary:
    """The ids, times and codes of an event that episodes use."""
    decision = getattr(event, "decision", None)
    rag = getattr(event, "rag_rating", None)
    return EventSummary(
        event_id=str(event.event_id),
        event_type=event.event_type,
        agency=event.source_agency.value,
        agency_record_id=event.agency_record_id,
        occurred_at=event.occurred_at,
        contact_id=getattr(event, "contact_id", None),
        rag_rating=rag.value if rag is not None else None,
        decision=decision.value if decision is not None else None,
        digest=content_digest(event),
        tenant=event.tenant,
    )


def identities(event: Envelope, event_id: str | None = None) -> list[PersonRecord]:
    """A record for every child the event is about (MARAC cases name several).
    ``event_id``: the event's id as text, made already (its summary's): a child's record id
    is then that one string, not an equal copy."""
    agency = event.source_agency.value
    eid = str(event.event_id) if event_id is None else event_id
    if isinstance(event, ChildEvent):
        mother = next((p for p in event.related_persons if p.role is PersonRole.MOTHER), None)
        return [PersonRecord.from_child(eid, event.subject, agency, mother)]
    if isinstance(event, MaracCase):
        return [
            PersonRecord.from_child(f"{eid}#{n}", child, agency)
            for n, child in enumerate(event.children)
        ]
    return []


class StoredRecord(NamedTuple):
    """A record as the linkage table keeps it: its identity, its event's summary, and the
    match links (other record, weight) and twins-guard partners found when it was indexed,
    so that a restore needs no comparison (``links`` None: not kept, compare again), and its
    blocking keys (None: not kept, or made by another scheme: made again)."""

    record: PersonRecord
    event: EventSummary
    links: tuple[tuple[str, float], ...] | None = None
    apart: tuple[str, ...] = ()
    keys: tuple[str, ...] | None = None


class Kept(Protocol):
    """A stored record as a restore reads it (``StoredRecord`` and ``LinkageEntry`` both
    are: a restore indexes the decoded entries as they are, no copy made)."""

    @property
    def record(self) -> PersonRecord: ...

    @property
    def event(self) -> EventSummary: ...

    @property
    def links(self) -> tuple[tuple[str, float], ...] | None: ...

    @property
    def apart(self) -> tuple[str, ...]: ...

    @property
    def keys(self) -> tuple[str, ...] | None: ...


@cache
def blocking_scheme() -> str:
    """A fingerprint of how blocking keys are made now (the keys of two fixed records): keys
    stored under another fingerprint were made by other code and are made again."""
    born = PersonRecord.of(
        "p", given_name="Jo", family_name="Smith", date_of_birth=dt.date(2011, 3, 4),
        expected_delivery_date=None, sex="FEMALE", postcode="AB1 2CD", nhs_number="9",
        upn="U", agency_person_id="A", mother=("Ann", "Smith", dt.date(1990, 1, 2)),
    )  # fmt: skip
    unborn = PersonRecord.of(
        "q", given_name="", family_name="Li", date_of_birth=None,
        expected_delivery_date=dt.date(2013, 5, 6), sex="UNKNOWN", postcode=None,
        mother=("Bo", "Li", None),
    )  # fmt: skip
    keys = "|".join(k for r in (born, unborn) for k in r.blocking_keys())
    return hashlib.sha256(keys.encode()).hexdigest()[:12]


@dataclass(slots=True)
class LinkageEntry:
    """One record of the linkage table: the person record, the summary of its event, the
    links and twins-guard partners found when it was indexed, its blocking keys, and the
    version of the batch that wrote it (what was sent after the last durable point is sent
    again on a restore).

    Stored as one flat JSON array (``encode``; ``COMPACT`` first, then the record's fields,
    the event's, the links as ``[id, weight, id, weight, ...]``, the twins-guard partners,
    the blocking keys, their scheme and the version; an event id equal to the record id is
    null), so that a restore decodes a list and builds the record and summary from it without
    looking up a key per field. Entries of the object format written before
    (``encode_object``: ``{"record": {...}, "event": {...}, "links": [[id, weight], ...],
    ...}``) are still read, and so are that format's older forms: without the content digest
    (read with an empty one), without links (None: compared again on a restore, version 0),
    without keys or under another ``blocking_scheme`` (``keys`` None: made again).

    Not frozen: a restore makes one per record, and a frozen dataclass's ``__init__`` takes
    several times as long.
    """

    record: PersonRecord
    event: EventSummary
    links: tuple[tuple[str, float], ...] | None = None
    apart: tuple[str, ...] = ()
    keys: tuple[str, ...] | None = field(default=None, compare=False)
    """The record's blocking keys as stored (a function of the record: not compared)."""
    version: int = 0

    @property
    def stored(self) -> StoredRecord:
        """The entry as the hub restores it."""
        return StoredRecord(self.record, self.event, self.links, self.apart, self.keys)

    def encode(self) -> list[object]:
        """The stored form (the compact array), with the blocking keys made now."""
        r, e = self.record, self.event
        mother = [r.mother[0], r.mother[1], iso_date(r.mother[2])] if r.mother else None
        links = None if self.links is None else [x for link in self.links for x in link]
        return [
            COMPACT,
            r.record_id, r.given_name, r.family_name, iso_date(r.date_of_birth),
            iso_date(r.expected_delivery_date), r.sex, r.postcode, r.nhs_number, r.upn,
            r.agency_person_id, mother,
            None if e.event_id == r.record_id else e.event_id, e.event_type, e.agency,
            e.agency_record_id, e.occurred_at.isoformat(), e.contact_id, e.rag_rating,
            e.decision, e.digest, e.tenant,
            links, list(self.apart), list(r.blocking_keys()), blocking_scheme(), self.version,
        ]  # fmt: skip

    def encode_object(self) -> dict[str, object]:
        """The object format stored before the compact array (still read: a running
        deployment's table holds it), with the blocking keys made now."""
        r, e = self.record, self.event
        mother = [r.mother[0], r.mother[1], iso_date(r.mother[2])] if r.mother else None
        return {
            "record": {
                "record_id": r.record_id,
                "given_name": r.given_name,
                "family_name": r.family_name,
                "date_of_birth": iso_date(r.date_of_birth),
                "expected_delivery_date": iso_date(r.expected_delivery_date),
                "sex": r.sex,
                "postcode": r.postcode,
                "nhs_number": r.nhs_number,
                "upn": r.upn,
                "agency_person_id": r.agency_person_id,
                "mother": mother,
            },
            "event": {
                "event_id": e.event_id,
                "event_type": e.event_type,
                "agency": e.agency,
                "agency_record_id": e.agency_record_id,
                "occurred_at": e.occurred_at.isoformat(),
                "contact_id": e.contact_id,
                "rag_rating": e.rag_rating,
                "decision": e.decision,
                "digest": e.digest,
                "tenant": e.tenant,
            },
            "links": None if self.links is None else [list(link) for link in self.links],
            "apart": list(self.apart),
            "keys": list(r.blocking_keys()),
            "blocking": blocking_scheme(),
            "version": self.version,
        }

    @classmethod
    def decode(cls, state: Any, shared: dict[Any, Any] | None = None) -> LinkageEntry:
        """The inverse of ``encode`` and ``encode_object``, for every format ever stored.
        With ``shared`` (kept across the entries of one restore), equal names, codes and
        dates are one object, and an event id equal to the record id is that string: a large
        index holds far less. Raises ``UnreadableEntry`` for a value of no known format."""
        pool = {} if shared is None else shared
        try:
            if type(state) is list and state and state[0] == COMPACT:
                return _compact(cls, state, pool)
            if isinstance(state, dict):
                return _decoded(cls, state, pool)
        except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
            # the type only, and from None: a message may quote a value (a name, a birth date)
            raise UnreadableEntry(f"a field missing or malformed ({type(exc).__name__})") from None
        raise UnreadableEntry(f"not a linkage entry of a known format ({type(state).__name__})")


COMPACT = 2
"""The first element of a compact entry (the object format, before it, had no number)."""

_FIELDS = 27
"""The length of a compact entry."""


def _compact(cls: type[LinkageEntry], v: list[Any], pool: dict[Any, Any]) -> LinkageEntry:
    """``LinkageEntry.decode`` of the compact array (one call per record of a restore: what
    is shared is looked up inline)."""
    if len(v) != _FIELDS:
        raise UnreadableEntry(f"a compact entry of {len(v)} fields, not {_FIELDS}")
    (
        _, rid, given, family, born, due, sex, postcode, nhs, upn, agency_id, mother,
        event_id, kind, agency, agency_record_id, occurred_at, contact, rag, decision, digest,
        tenant, links, apart, keys, blocking, version,
    ) = v  # fmt: skip
    one = pool.setdefault
    dates: dict[str, dt.date] = one(_DATES, {})
    weights: dict[float, float] = one(_WEIGHTS, {})
    record = PersonRecord(
        rid,
        one(given, given),
        one(family, family),
        (dates.get(born) or _date(born, pool)) if born else None,
        (dates.get(due) or _date(due, pool)) if due else None,
        one(sex, sex),
        one(postcode, postcode),
        nhs,
        upn,
        agency_id,
        _mother(mother, pool) if mother else None,
    )
    event = EventSummary(
        rid if event_id is None else event_id,
        one(kind, kind),
        one(agency, agency),
        agency_record_id,
        dt.datetime.fromisoformat(occurred_at),
        contact,
        one(rag, rag),
        one(decision, decision),
        digest,
        one(tenant, tenant),
    )
    return cls(
        record,
        event,
        None if links is None else tuple(zip(links[::2], _weights(links, weights), strict=True)),
        tuple(apart) if apart else (),
        tuple(keys) if keys is not None and blocking == blocking_scheme() else None,
        int(version),
    )


def _decoded(cls: type[LinkageEntry], state: dict[str, Any], pool: dict[Any, Any]) -> LinkageEntry:
    """``LinkageEntry.decode`` of the object format (and its older forms), through the
    compact array it would be now."""
    r, e = state["record"], state["event"]
    links, keys = state.get("links"), state.get("keys")
    get = e.get
    return _compact(
        cls,
        [
            COMPACT,
            r["record_id"], r["given_name"], r["family_name"], r["date_of_birth"],
            r["expected_delivery_date"], r["sex"], r["postcode"], r["nhs_number"], r["upn"],
            r["agency_person_id"], r["mother"],
            None if e["event_id"] == r["record_id"] else e["event_id"], e["event_type"],
            e["agency"], e["agency_record_id"], e["occurred_at"], get("contact_id"),
            get("rag_rating"), get("decision"), get("digest", ""), get("tenant"),
            None if links is None else [x for link in links for x in link],
            state.get("apart"), keys, state.get("blocking") if keys is not None else None,
            state.get("version", 0),
        ],
        pool,
    )  # fmt: skip


_HEAD = f'[{COMPACT},"'.encode()
"""How a compact entry's stored bytes begin (as orjson, Faust's JSON, writes them)."""


def compact_version(key: str, stored: bytes) -> int | None:
    """The version of the compact entry ``stored`` (its bytes as the table keeps them) under
    ``key``, read without decoding the rest: a restore from an index snapshot decodes only
    the entries written after it. None if ``stored`` does not begin with ``key`` as a
    compact entry's record id and end with a version (decode it whole: another format, an
    id with escapes, or no entry at all)."""
    rid = key.encode()  # as JSON writes an id without escapes; one with them is not matched
    if b'"' in rid or not stored.startswith(_HEAD + rid + b'"') or stored[-1:] != b"]":
        return None  # (a key with a quote could run on into the entry's next field)
    version = stored[stored.rfind(b",") + 1 : -1]
    return int(version) if version.isdigit() else None


_DATES = object()
"""The key, in a restore's shared pool, of its dates by ISO text."""

_WEIGHTS = object()
"""The key, in a restore's shared pool, of its link weights: each value one float."""


def _weights(links: list[Any], one: dict[float, float]) -> Iterator[float]:
    """The weights of a compact entry's flat links, each value one float of the restore
    (``one``), as the live index's are (one per level combination of the model): a
    million records' links hold about a thousand distinct weights and six million links.
    Kept so, they cost no float each, and a save marshals a reference for each repeat."""
    weights = list(map(float, links[1::2]))
    return map(one.setdefault, weights, weights)


def _date(text: str | None, pool: dict[Any, Any]) -> dt.date | None:
    """A stored date, parsed once per distinct text of a restore."""
    if not text:
        return None
    dates: dict[str, dt.date] = pool.setdefault(_DATES, {})
    day = dates.get(text)
    if day is None:
        day = dates[text] = dt.date.fromisoformat(text)
    return day


def _mother(
    mother: list[Any] | None, pool: dict[Any, Any]
) -> tuple[str, str, dt.date | None] | None:
    if not mother:
        return None
    one = pool.setdefault
    kept = (one(mother[0], mother[0]), one(mother[1], mother[1]), _date(mother[2], pool))
    return cast(tuple[str, str, dt.date | None], one(kept, kept))


class Batch(Protocol):
    """What a linkage batch adds to the table (``streams.hub.HubOutput`` is one)."""

    @property
    def records(self) -> Mapping[str, StoredRecord]: ...

    @property
    def decisions(self) -> Mapping[tuple[str, str], PairDecision]: ...


def table_entries(batch: Batch, version: int) -> list[tuple[str, object]]:
    """The linkage table's (key, stored JSON) entries a batch writes: its records and its
    standing decisions, stamped with the batch's version (the one way the table is written)."""
    entries: list[tuple[str, object]] = [
        (rid, LinkageEntry(*stored, version=version).encode())
        for rid, stored in batch.records.items()
    ]
    entries += [(decision_key(d), encode_decision(d, version)) for d in batch.decisions.values()]
    return entries


def decision_key(decision: PairDecision) -> str:
    """The linkage table's key of a reviewer's decision: one entry per decision, not per
    pair, so that a restore reads every decision on a pair and the latest stands (its rank,
    as live). Until 2026-12-07 a pair had one entry, and the last write won: a worker the
    group had dropped, finishing its batch in flight, wrote an earlier "not the same person"
    over the later "same person" the new owner had written, and every later restore kept
    the two records apart (the frozen-worker test, seen once in a CI rehearsal). A table
    written before holds both kinds of key; both are read."""
    return f"{_DECISION}{decision.pair[0]}|{decision.pair[1]}|{decision.event_id}"


def decision_pair(key: str) -> tuple[str, str] | None:
    """The pair of record ids a decision's key names (``decision_key``, or a pair's one key
    of a table written before 2026-12-07); None for any other key."""
    if not key.startswith(_DECISION):
        return None
    parts = key[len(_DECISION) :].split("|")
    if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
        return None
    return parts[0], parts[1]


def encode_decision(decision: PairDecision, version: int = 0) -> dict[str, object]:
    """A standing decision as stored in the linkage table beside the records: ids, verdict
    and time only (the reason stays with the event), and the version of its batch."""
    return {
        "decision": {
            "pair": list(decision.pair),
            "verdict": decision.verdict.value,
            "at": decision.at.isoformat(),
            "event_id": decision.event_id,
        },
        "version": version,
    }


def decode_decision(state: Any) -> PairDecision | None:
    """The decision of a linkage table entry, or None if the entry is a record's (or no
    object at all: a compact record entry is an array)."""
    if type(state) is not dict or "decision" not in state:
        return None
    d = state["decision"]
    return PairDecision(
        (d["pair"][0], d["pair"][1]),
        ReviewVerdict(d["verdict"]),
        dt.datetime.fromisoformat(d["at"]),
        d["event_id"],
    )
