"""From an agency event to the fact the board's figures count: codes, ids and dates only.

A fact keeps what an indicator needs and nothing else (no names, no addresses, no
narratives; a date of birth only where an indicator is defined by age). Facts are keyed by
the agency's own record (agency and record id), so a re-send or re-submission lands on the
same fact, and a correction (the same record with new content, reported later) replaces it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from schemas.childrens_services import (
    CafCompleted,
    ChildDeathReviewed,
    ChildProtectionPlanEnded,
    ChildProtectionPlanStarted,
    Contact,
    LookedAfterEpisodeEnded,
    LookedAfterEpisodeStarted,
    MashDecision,
    PlacementChanged,
    Referral,
    ResearchRequest,
    ResearchResponse,
)
from schemas.common import Envelope, content_digest, date_from_iso, iso_date, record_key
from schemas.community_safety import MaracCase
from schemas.lado import LadoAllegation
from schemas.police import PoliceNotification

__all__ = ["Fact", "fact_of"]


@dataclass(frozen=True, slots=True)
class Fact:
    """One agency record as the board's figures see it."""

    record_key: str
    event_id: str
    event_type: str
    agency: str
    occurred_on: dt.date
    reported_at: dt.datetime
    digest: str
    data: Mapping[str, Any]
    """The codes, ids and dates the indicators read (JSON values; dates as ISO text)."""

    def day(self, name: str) -> dt.date | None:
        """A date field of ``data``."""
        return date_from_iso(self.data.get(name))

    def data_json(self) -> str:
        """``data`` as stored."""
        return json.dumps(self.data, sort_keys=True)


_FIELDS: dict[type[Envelope], Callable[[Any], dict[str, Any]]] = {
    PoliceNotification: lambda e: {"incident_type": e.incident_type.value},
    Contact: lambda e: {
        "contact_id": e.contact_id,
        "referral_source": e.referral_source.value,
        "rag_rating": e.rag_rating.value,
    },
    MashDecision: lambda e: {"contact_id": e.contact_id, "decision": e.decision.value},
    ResearchRequest: lambda e: {
        "contact_id": e.contact_id,
        "requested_agencies": [a.value for a in e.requested_agencies],
        "due_at": e.due_at.isoformat(),
    },
    ResearchResponse: lambda e: {
        "contact_id": e.contact_id,
        "responding_agency": e.responding_agency.value,
    },
    Referral: lambda e: {
        "referral_id": e.referral_id,
        "contact_id": e.contact_id,
        "referral_source": e.referral_source.value,
    },
    ChildProtectionPlanStarted: lambda e: {
        "plan_id": e.plan_id,
        "category": e.category.value,
        "start_date": iso_date(e.start_date),
        "unborn": e.subject.date_of_birth is None,
    },
    ChildProtectionPlanEnded: lambda e: {"plan_id": e.plan_id, "end_date": iso_date(e.end_date)},
    LookedAfterEpisodeStarted: lambda e: {
        "period_id": e.period_id,
        "start_date": iso_date(e.start_date),
        "placement_type": e.placement_type.value,
        "date_of_birth": iso_date(e.subject.date_of_birth),  # NI63 counts children under 16
    },
    PlacementChanged: lambda e: {
        "period_id": e.period_id,
        "change_date": iso_date(e.change_date),
        "placement_type": e.placement_type.value,
    },
    LookedAfterEpisodeEnded: lambda e: {
        "period_id": e.period_id,
        "end_date": iso_date(e.end_date),
        "reason_ceased": e.reason_ceased.value,
    },
    CafCompleted: lambda e: {
        "setting": e.setting.value,
        "primary_need": e.primary_need.value,
        "needs_met": e.needs_met,
    },
    ChildDeathReviewed: lambda e: {
        "death_type": e.death_type.value,
        "panel_date": iso_date(e.panel_date),
        "co_sleeping": e.co_sleeping,
    },
    LadoAllegation: lambda e: {"sector": e.sector.value},
    MaracCase: lambda e: {
        "meeting_date": iso_date(e.meeting_date),
        "children": sum(c.date_of_birth is not None for c in e.children),
        "unborn": sum(c.date_of_birth is None for c in e.children),
    },
}


def fact_of(event: Envelope) -> Fact:
    """The fact of an event (every event is one; most types add fields to it)."""
    fields = _FIELDS.get(type(event))
    return Fact(
        record_key=record_key(event),
        event_id=str(event.event_id),
        event_type=event.event_type,
        agency=event.source_agency.value,
        occurred_on=event.occurred_at.date(),
        reported_at=event.reported_at,
        digest=content_digest(event),
        data=fields(event) if fields else {},
    )
