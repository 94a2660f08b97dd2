"""From an event to what linkage and episodes need: the children in it and a summary."""

from __future__ import annotations

import datetime as dt
from typing import Any

from schemas.common import ChildEvent, Envelope, PersonRole, content_digest
from schemas.community_safety import MaracCase
from streams.episodes import EventSummary
from streams.linkage import PersonRecord

__all__ = ["from_state", "identities", "summary", "to_state"]


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


def to_state(record: PersonRecord, event: EventSummary) -> dict[str, object]:
    """A linkage record as JSON-able state (for the changelogged table)."""
    r, e = record, event  # hand-built: dataclasses.asdict deep-copies, too slow per event
    mother = [r.mother[0], r.mother[1], _iso(r.mother[2])] if r.mother else None
    return {
        "record": {
            "record_id": r.record_id,
            "given_name": r.given_name,
            "family_name": r.family_name,
            "date_of_birth": _iso(r.date_of_birth),
            "expected_delivery_date": _iso(r.expected_delivery_date),
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
        },
    }


def from_state(state: dict[str, Any]) -> tuple[PersonRecord, EventSummary]:
    """The inverse of ``to_state``."""
    r, e = dict(state["record"]), dict(state["event"])
    for name in ("date_of_birth", "expected_delivery_date"):
        r[name] = _date(r[name])
    r["mother"] = (r["mother"][0], r["mother"][1], _date(r["mother"][2])) if r["mother"] else None
    e["occurred_at"] = dt.datetime.fromisoformat(e["occurred_at"])
    return PersonRecord(**r), EventSummary(**e)


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None
