"""Children's services: the MASH front door, statutory social care, early help and CDOP."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from pydantic import Field

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
from schemas.common import Agency, ChildEvent, NonBlank, PastDate, Timestamp

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
    "LookedAfterEpisodeEnded",
    "LookedAfterEpisodeStarted",
    "MashDecision",
    "MashOutcome",
    "PlacementChanged",
    "Referral",
    "ResearchRequest",
    "ResearchResponse",
]


class Contact(ChildEvent):
    """A contact received by the MASH front door, screened and RAG rated."""

    EVENT_TYPE: ClassVar[str] = "childrens_services.contact"

    contact_id: NonBlank
    referral_source: CinReferralSource
    rag_rating: RagRating
    already_open: bool


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
    information_held: bool
    consent_to_release: bool


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
    referrer_informed: bool


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
    needs_met: bool | None = None


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
    co_sleeping: bool
