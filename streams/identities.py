"""From an event to what linkage and episodes need: the children in it and a summary."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from schemas.childrens_services import ReviewVerdict
from schemas.common import (
    ChildEvent,
    Envelope,
    PersonRole,
    content_digest,
    date_from_iso,
    iso_date,
)
from schemas.community_safety import MaracCase
from streams.episodes import EventSummary
from streams.linkage import PairDecision, PersonRecord

__all__ = [
    "LinkageEntry",
    "decision_key",
    "decode_decision",
    "encode_decision",
    "identities",
    "summary",
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


def identities(event: Envelope) -> list[PersonRecord]:
    """A record for every child the event is about (MARAC cases name several)."""
    agency = event.source_agency.value
    if isinstance(event, ChildEvent):
        mother = next((p for p in event.related_persons if p.role is PersonRole.MOTHER), None)
        return [PersonRecord.from_child(str(event.event_id), event.subject, agency, mother)]
    if isinstance(event, MaracCase):
        return [
            PersonRecord.from_child(f"{event.event_id}#{n}", child, agency)
            for n, child in enumerate(event.children)
        ]
    return []


@dataclass(frozen=True)
class LinkageEntry:
    """One record of the linkage table: the person record and the summary of its event.

    Stored as JSON, ``{"record": {...}, "event": {...}}`` (dates as ISO text); entries
    written before summaries carried the content digest decode with an empty one.
    """

    record: PersonRecord
    event: EventSummary

    def encode(self) -> dict[str, object]:
        """The stored form (hand-built: ``dataclasses.asdict`` deep-copies, too slow here)."""
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
        }

    @classmethod
    def decode(cls, state: dict[str, Any]) -> LinkageEntry:
        """The inverse of ``encode``, for every format ever stored."""
        r, e = dict(state["record"]), dict(state["event"])
        for name in ("date_of_birth", "expected_delivery_date"):
            r[name] = date_from_iso(r[name])
        mother = r["mother"]
        r["mother"] = (mother[0], mother[1], date_from_iso(mother[2])) if mother else None
        e["occurred_at"] = dt.datetime.fromisoformat(e["occurred_at"])
        return cls(PersonRecord(**r), EventSummary(**e))


def decision_key(decision: PairDecision) -> str:
    """The linkage table's key of a pair's standing decision (one entry per pair)."""
    return f"{_DECISION}{decision.pair[0]}|{decision.pair[1]}"


def encode_decision(decision: PairDecision) -> dict[str, object]:
    """A standing decision as stored in the linkage table beside the records: ids, verdict
    and time only (the reason stays with the event)."""
    return {
        "decision": {
            "pair": list(decision.pair),
            "verdict": decision.verdict.value,
            "at": decision.at.isoformat(),
            "event_id": decision.event_id,
        }
    }


def decode_decision(state: dict[str, Any]) -> PairDecision | None:
    """The decision of a linkage table entry, or None if the entry is a record's."""
    if "decision" not in state:
        return None
    d = state["decision"]
    return PairDecision(
        (d["pair"][0], d["pair"][1]),
        ReviewVerdict(d["verdict"]),
        dt.datetime.fromisoformat(d["at"]),
        d["event_id"],
    )
