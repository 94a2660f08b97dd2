"""From an event to what linkage and episodes need: the children in it and a summary."""

from __future__ import annotations

from schemas.common import ChildEvent, Envelope, PersonRole
from schemas.community_safety import MaracCase
from streams.episodes import EventSummary
from streams.linkage import PersonRecord

__all__ = ["identities", "summary"]


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
