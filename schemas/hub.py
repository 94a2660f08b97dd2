"""What the hub itself publishes: links to persons, possible matches, episode snapshots."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from schemas.common import Timestamp

__all__ = [
    "EpisodeEvent",
    "EpisodeSnapshot",
    "Link",
    "LinkOutcomeKind",
    "PossibleMatch",
]

PERSON_ONLY = "person changed by later evidence"
"""The explanation of a re-issue that restates only the record's person (weight 0, not
stored): its link as sent still holds, a match link keeping it in its person. Every
re-issue said this before 2026-12-06, when re-issues began to restate what holds a record
that is now alone, or held only by a reviewer's decision, or joined after being alone."""


class LinkOutcomeKind(StrEnum):
    """Linked, a new person, or re-issued: its person now, and what holds it there where
    its link as sent no longer says (``PERSON_ONLY`` where it does)."""

    LINKED = "LINKED"
    NEW_PERSON = "NEW_PERSON"
    REISSUED = "REISSUED"


class Link(BaseModel):
    """Which person a record belongs to, and why."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    record_id: str
    event_id: str
    event_type: str
    person_id: str
    outcome: LinkOutcomeKind
    weight: float
    explanation: str
    merged: tuple[str, ...] = ()
    version: int = 0
    model_version: str = ""


class PossibleMatch(BaseModel):
    """Two records that may be one child: for a human to decide."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    record_id: str
    candidate_record_id: str
    candidate_person_id: str
    weight: float
    explanation: str
    model_version: str = ""


class EpisodeEvent(BaseModel):
    """One agency's record in an episode, with its provenance."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: str
    event_type: str
    agency: str
    agency_record_id: str
    occurred_at: Timestamp


class EpisodeSnapshot(BaseModel):
    """A MASH episode as the analysts see it now."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    episode_id: str
    person_id: str
    opened_at: Timestamp
    events: tuple[EpisodeEvent, ...]
    agencies: tuple[str, ...]
    contact_id: str | None = None
    rag_rating: str | None = None
    received_at: Timestamp | None = None
    due_at: Timestamp | None = None
    decided_at: Timestamp | None = None
    decision: str | None = None
    research_responses: int = 0
    breached: bool = False
    version: int = 0
    tenants: tuple[str, ...] = ()
    """The tenants of the episode's records (each agency event names its tenant), sorted."""
