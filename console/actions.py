"""What an analyst does on an episode, as children's services events published with the
console's Kafka principal: set or change the RAG rating (a contact, or a correction of the
episode's contact), request partner research, record the MASH decision.

Each event names the child as the agency records linked to the episode's person do (the
identity with an NHS number first), so linkage puts it on the same person, and carries the
episode's contact id, so it joins the episode. The reason an analyst gives is not a field of
these contracts: it is kept in the console's audit chain with the event's id (decision
``acted``), acknowledged before the event is published.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from console.kafka_out import Out
from console.screens import EpisodeView
from plumbing.errors import ConsoleError
from plumbing.settings import ConsoleSettings
from producers.publisher import subject_key
from schemas.childrens_services import Contact, MashDecision, MashOutcome, ResearchRequest
from schemas.codes import CinReferralSource, RagRating
from schemas.common import (
    Agency,
    Child,
    Envelope,
    LawfulBasis,
    SpecialCategoryCondition,
    ValidationClock,
)
from schemas.contracts import CONSOLE_ACTIONS, describe_errors
from schemas.framing import Codec
from sinks.identities import Identity

__all__ = ["ActionRefused", "Actions", "Published"]

SOURCE_SYSTEM = "mash-console"


class ActionRefused(ConsoleError):
    """A form the contract or the episode does not allow (shown on the page, one line)."""


@dataclass(frozen=True)
class Published:
    """An event the console published: its id and type."""

    event_id: str
    event_type: str


def _child(identities: list[Identity]) -> Child:
    if not identities:
        raise ActionRefused("no agency record of this child is held: nothing to name them by")
    best = sorted(identities, key=lambda i: (i.nhs_number is None, i.record_id))[0]
    data = {f: getattr(best, f) for f in Child.model_fields if hasattr(best, f)}
    return Child.model_validate(data)


class Actions:
    """Builds, validates and publishes the analysts' actions."""

    def __init__(self, settings: ConsoleSettings, out: Out, codec: Codec, secret: bytes) -> None:
        self.settings = settings
        self.out = out
        self.codec = codec
        self.secret = secret
        self.contracts = {c.model: c for c in CONSOLE_ACTIONS}

    def rag(self, view: EpisodeView, rating: str, now: dt.datetime) -> Envelope:
        """A contact with this rating: the episode's own (corrected) or a new one."""
        s = view.snapshot
        mine = next((e for e in s.events if e.event_type == Contact.EVENT_TYPE), None)
        fields = {
            "contact_id": s.contact_id or f"C-{s.episode_id}",
            # CIN census: RS6 police, RS9 other
            "referral_source": CinReferralSource.RS6
            if "POLICE" in s.agencies
            else CinReferralSource.RS9,
            "rag_rating": rating,
            "already_open": False,
        }
        record_id = mine.agency_record_id if mine else f"MASH-{s.episode_id}"
        occurred = s.received_at or s.opened_at  # the clock runs from receipt
        return self._build(Contact, view, record_id, occurred, now, fields)

    def research(self, view: EpisodeView, agency: str, due: str, now: dt.datetime) -> Envelope:
        """A request to one partner agency, answered by ``due`` (ISO, London time if naive)."""
        try:
            due_at = dt.datetime.fromisoformat(due)
        except ValueError:
            raise ActionRefused("the due time is not a date and time") from None
        if due_at.tzinfo is None:
            due_at = due_at.replace(tzinfo=dt.UTC)
        if due_at <= now:
            raise ActionRefused("the due time has passed already")
        fields = {
            "contact_id": self._contact(view),
            "requested_agencies": (agency,),
            "due_at": due_at,
        }
        record_id = f"RR-{uuid.uuid4().hex[:12]}"
        return self._build(ResearchRequest, view, record_id, now, now, fields)

    def decision(self, view: EpisodeView, outcome: str, now: dt.datetime) -> Envelope:
        """The MASH decision on the episode's contact."""
        fields = {
            "contact_id": self._contact(view),
            "decision": outcome,
            "referrer_informed": False,
        }
        record_id = f"DEC-{view.snapshot.episode_id}"
        return self._build(MashDecision, view, record_id, now, now, fields)

    def publish(self, event: Envelope) -> Published:
        """Publish the event (acknowledged) on its contract's topic."""
        contract = self.contracts[type(event)]
        topic = self.settings.topic(contract.topic)
        value = self.codec.encode(contract, event, topic)
        self.out.event(topic, subject_key(event, self.secret), value)
        return Published(str(event.event_id), event.event_type)

    def _contact(self, view: EpisodeView) -> str:
        if view.snapshot.contact_id is None:
            raise ActionRefused("set the RAG rating first: research and decisions need a contact")
        return view.snapshot.contact_id

    def _build(
        self,
        model: type[Envelope],
        view: EpisodeView,
        record_id: str,
        occurred: dt.datetime,
        now: dt.datetime,
        fields: Mapping[str, Any],
    ) -> Envelope:
        data = {
            "event_id": uuid.uuid4(),
            "event_type": getattr(model, "EVENT_TYPE"),  # noqa: B009  (a ClassVar of each model)
            "source_agency": Agency.CHILDRENS_SERVICES,
            "source_system": SOURCE_SYSTEM,
            "agency_record_id": record_id,
            "occurred_at": occurred,
            "reported_at": now,
            "tenant": self.settings.console_tenant,
            "lawful_basis": LawfulBasis.PUBLIC_TASK,
            "special_category_condition": SpecialCategoryCondition.SCH1_PARA18_SAFEGUARDING,
            "purpose": "safeguarding of children (MASH)",
            "isa_id": self.settings.console_isa_id,
            "reporter_role": "MASH analyst",
            "reporter_team_id": "MASH",
            **fields,
        }
        try:
            data["subject"] = _child(view.identities)
            return model.model_validate(data, context=ValidationClock(now=now))
        except ValidationError as exc:
            raise ActionRefused(describe_errors(exc)) from None


OUTCOMES = tuple(o.value for o in MashOutcome)
RATINGS = tuple(r.value for r in RagRating)
