"""Children's services: the MASH front door, statutory social care, early help and CDOP."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Annotated, ClassVar, Self

from pydantic import Field, model_validator

from schemas.codes import (
    CinFactor,
    CinReferralSource,
    ClosureReason,
    CpCategory,
    PlacementType,
    RagRating,
    ReasonCeased,
    ReasonNewEpisode,
)
from schemas.common import (
    Agency,
    ChildEvent,
    Envelope,
    Flag,
    LawfulBasis,
    NonBlank,
    PastDate,
    SpecialCategoryCondition,
    Timestamp,
    UserId,
)
from schemas.limits import LINKAGE_ID_CHARS, REASON_CHARS

__all__ = [
    "Assessment",
    "CafCompleted",
    "CafNeed",
    "CafSetting",
    "ChildDeathReviewed",
    "ChildProtectionPlanEnded",
    "ChildProtectionPlanStarted",
    "Contact",
    "DeathType",
    "LinkageDecision",
    "LookedAfterEpisodeEnded",
    "LookedAfterEpisodeStarted",
    "MashDecision",
    "MashOutcome",
    "PlacementChanged",
    "Referral",
    "ResearchRequest",
    "ResearchResponse",
    "ReviewVerdict",
]


class Contact(ChildEvent):
    """A contact received by the MASH front door, screened and RAG rated."""

    EVENT_TYPE: ClassVar[str] = "childrens_services.contact"

    contact_id: NonBlank
    referral_source: CinReferralSource
    rag_rating: RagRating
    already_open: Flag


class ResearchRequest(ChildEvent):
    """The MASH asks partner agencies to research a contact."""

    EVENT_TYPE: ClassVar[str] = "childrens_services.research_request"

    contact_id: NonBlank
    requested_agencies: tuple[Agency, ...] = Field(min_length=1)
    due_at: Timestamp


class ResearchResponse(ChildEvent):
    """One partner agency's response to a research request (no narrative crosses the hub)."""

    EVENT_TYPE: ClassVar[str] = "childrens_services.research_response"

    contact_id: NonBlank
    responding_agency: Agency
    information_held: Flag
    consent_to_release: Flag


class MashOutcome(StrEnum):
    """The MASH outcome of a contact."""

    NO_FURTHER_ACTION = "NO_FURTHER_ACTION"
    EARLY_HELP = "EARLY_HELP"
    CIN_ASSESSMENT_S17 = "CIN_ASSESSMENT_S17"
    STRATEGY_S47 = "STRATEGY_S47"
    IMMEDIATE_PROTECTION = "IMMEDIATE_PROTECTION"


class MashDecision(ChildEvent):
    """The MASH decision and outcome for a contact."""

    EVENT_TYPE: ClassVar[str] = "childrens_services.mash_decision"

    contact_id: NonBlank
    decision: MashOutcome
    referrer_informed: Flag


class Referral(ChildEvent):
    """A referral to children's social care (CIN census)."""

    EVENT_TYPE: ClassVar[str] = "childrens_services.referral"

    referral_id: NonBlank
    contact_id: str | None = None
    referral_source: CinReferralSource


class Assessment(ChildEvent):
    """A completed children-in-need assessment, with the factors identified."""

    EVENT_TYPE: ClassVar[str] = "childrens_services.assessment"

    assessment_id: NonBlank
    referral_id: NonBlank
    factors: tuple[CinFactor, ...]
    closure_reason: ClosureReason | None = None


class ChildProtectionPlanStarted(ChildEvent):
    """A child protection plan starts."""

    EVENT_TYPE: ClassVar[str] = "childrens_services.cp_plan_started"

    plan_id: NonBlank
    category: CpCategory
    start_date: PastDate


class ChildProtectionPlanEnded(ChildEvent):
    """A child protection plan ends."""

    EVENT_TYPE: ClassVar[str] = "childrens_services.cp_plan_ended"

    plan_id: NonBlank
    end_date: PastDate


class LookedAfterEpisodeStarted(ChildEvent):
    """A child starts to be looked after, or a new episode of care begins (SSDA903)."""

    EVENT_TYPE: ClassVar[str] = "childrens_services.lac_episode_started"

    episode_id: NonBlank
    period_id: NonBlank
    reason_new_episode: ReasonNewEpisode
    placement_type: PlacementType
    start_date: PastDate


class PlacementChanged(ChildEvent):
    """A looked-after child's placement changes (SSDA903 reasons P, T, B, U)."""

    EVENT_TYPE: ClassVar[str] = "childrens_services.lac_placement_changed"

    episode_id: NonBlank
    period_id: NonBlank
    reason_new_episode: ReasonNewEpisode
    placement_type: PlacementType
    change_date: PastDate


class LookedAfterEpisodeEnded(ChildEvent):
    """A period of care ends (SSDA903 reason ceased)."""

    EVENT_TYPE: ClassVar[str] = "childrens_services.lac_episode_ended"

    period_id: NonBlank
    reason_ceased: ReasonCeased
    end_date: PastDate


class CafSetting(StrEnum):
    """Where a CAF was completed."""

    CHILDRENS_CENTRE = "CHILDRENS_CENTRE"
    SCHOOL = "SCHOOL"
    HEALTH = "HEALTH"
    OTHER = "OTHER"


class CafNeed(StrEnum):
    """The most significant need a CAF identified."""

    BEHAVIOURAL_DEVELOPMENT = "BEHAVIOURAL_DEVELOPMENT"
    EMOTIONAL_WELLBEING = "EMOTIONAL_WELLBEING"
    FAMILY_RELATIONSHIPS = "FAMILY_RELATIONSHIPS"
    PARENTING = "PARENTING"
    HEALTH = "HEALTH"
    LEARNING = "LEARNING"
    HOUSING = "HOUSING"
    OTHER = "OTHER"


class CafCompleted(ChildEvent):
    """A CAF (early help assessment) is completed; needs met is known at closure."""

    EVENT_TYPE: ClassVar[str] = "childrens_services.caf_completed"

    caf_id: NonBlank
    setting: CafSetting
    primary_need: CafNeed
    needs_met: Flag | None = None


class DeathType(StrEnum):
    """Whether a child's death was expected."""

    EXPECTED = "EXPECTED"
    UNEXPECTED = "UNEXPECTED"


class ChildDeathReviewed(ChildEvent):
    """The Child Death Overview Panel completes its review of a child's death."""

    EVENT_TYPE: ClassVar[str] = "childrens_services.child_death_reviewed"

    cdop_ref: NonBlank
    death_type: DeathType
    panel_date: PastDate
    co_sleeping: Flag


class ReviewVerdict(StrEnum):
    """A reviewer's verdict on a pair of linkage records."""

    SAME_PERSON = "SAME_PERSON"
    NOT_SAME_PERSON = "NOT_SAME_PERSON"
    WITHDRAWN = "WITHDRAWN"
    """Removes an earlier decision on the pair: it is undecided again."""


class LinkageDecision(Envelope):
    """A MASH reviewer's decision on whether two linkage records are one child.

    The records are linkage record ids as on the links and reviews topics; the decision's time
    is ``occurred_at``, and the latest decision on a pair (by time, then event id) stands.
    ``reason`` is free text: stored, never logged.
    """

    EVENT_TYPE: ClassVar[str] = "childrens_services.linkage_decision"

    record_id: Annotated[NonBlank, Field(max_length=LINKAGE_ID_CHARS)]
    other_record_id: Annotated[NonBlank, Field(max_length=LINKAGE_ID_CHARS)]
    verdict: ReviewVerdict
    decided_by: UserId
    """The reviewer's user id (printable, at most ``schemas.limits.USER_ID_CHARS``)."""
    reason: Annotated[NonBlank, Field(max_length=REASON_CHARS)]
    """At most ``schemas.limits.REASON_CHARS`` characters."""

    @classmethod
    def new(
        cls,
        pair: tuple[str, str],
        verdict: ReviewVerdict,
        decided_by: str,
        reason: str,
        at: dt.datetime,
        tenant: str,
        isa_id: str,
        event_id: uuid.UUID | None = None,
    ) -> LinkageDecision:
        """A decision on ``pair`` made ``at`` (UTC, to the millisecond) by ``decided_by``: one
        agency record per pair (a later decision is a correction of it)."""
        at = at.astimezone(dt.UTC).replace(microsecond=at.microsecond // 1000 * 1000)
        return cls(
            event_id=event_id or uuid.uuid4(),
            event_type=cls.EVENT_TYPE,
            source_agency=Agency.CHILDRENS_SERVICES,
            source_system="mash-review",
            agency_record_id="linkage-review:" + "|".join(sorted(pair)),
            occurred_at=at,
            reported_at=at,
            tenant=tenant,
            lawful_basis=LawfulBasis.PUBLIC_TASK,
            special_category_condition=SpecialCategoryCondition.SCH1_PARA18_SAFEGUARDING,
            purpose="safeguarding of children (MASH): record linkage review",
            isa_id=isa_id,
            reporter_role="reviewer",
            reporter_team_id="mash-review",
            record_id=pair[0],
            other_record_id=pair[1],
            verdict=verdict,
            decided_by=decided_by,
            reason=reason,
        )

    @model_validator(mode="after")
    def _two_records(self) -> Self:
        if self.record_id == self.other_record_id:
            raise ValueError("record_id and other_record_id are the same record")
        return self
