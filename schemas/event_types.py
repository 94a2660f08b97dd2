"""Event types by name, each taken from its contract's model, and the sets the hub reasons with.

A model's ``EVENT_TYPE`` is the one definition of its event type; ``EventType`` names them for
code that compares an event's ``event_type``, so a stage or a sink never retypes the string.
"""

from __future__ import annotations

from enum import StrEnum, unique

from schemas.childrens_services import (
    Assessment,
    CafCompleted,
    ChildDeathReviewed,
    ChildProtectionPlanEnded,
    ChildProtectionPlanStarted,
    Contact,
    LinkageDecision,
    LookedAfterEpisodeEnded,
    LookedAfterEpisodeStarted,
    MashDecision,
    PlacementChanged,
    Referral,
    ResearchRequest,
    ResearchResponse,
)
from schemas.community_safety import MaracCase
from schemas.education import EducationConcern
from schemas.health import HealthNotification
from schemas.lado import LadoAllegation
from schemas.police import PoliceNotification
from schemas.probation import ProbationNotification

__all__ = ["PARTNER_NOTIFICATIONS", "EventType"]


@unique
class EventType(StrEnum):
    """Every agency event type (a member equals its string, so it compares with ``event_type``)."""

    POLICE_NOTIFICATION = PoliceNotification.EVENT_TYPE
    HEALTH_NOTIFICATION = HealthNotification.EVENT_TYPE
    PROBATION_NOTIFICATION = ProbationNotification.EVENT_TYPE
    EDUCATION_CONCERN = EducationConcern.EVENT_TYPE
    MARAC_CASE = MaracCase.EVENT_TYPE
    CONTACT = Contact.EVENT_TYPE
    RESEARCH_REQUEST = ResearchRequest.EVENT_TYPE
    RESEARCH_RESPONSE = ResearchResponse.EVENT_TYPE
    MASH_DECISION = MashDecision.EVENT_TYPE
    REFERRAL = Referral.EVENT_TYPE
    ASSESSMENT = Assessment.EVENT_TYPE
    CP_PLAN_STARTED = ChildProtectionPlanStarted.EVENT_TYPE
    CP_PLAN_ENDED = ChildProtectionPlanEnded.EVENT_TYPE
    LAC_EPISODE_STARTED = LookedAfterEpisodeStarted.EVENT_TYPE
    LAC_PLACEMENT_CHANGED = PlacementChanged.EVENT_TYPE
    LAC_EPISODE_ENDED = LookedAfterEpisodeEnded.EVENT_TYPE
    CAF_COMPLETED = CafCompleted.EVENT_TYPE
    CHILD_DEATH_REVIEWED = ChildDeathReviewed.EVENT_TYPE
    LADO_ALLEGATION = LadoAllegation.EVENT_TYPE
    LINKAGE_DECISION = LinkageDecision.EVENT_TYPE


PARTNER_NOTIFICATIONS = frozenset(
    {
        EventType.POLICE_NOTIFICATION,
        EventType.HEALTH_NOTIFICATION,
        EventType.EDUCATION_CONCERN,
        EventType.PROBATION_NOTIFICATION,
    }
)
"""What the partner agencies (police, health, education, probation) send the MASH about a child:
the notifications an episode gathers, not children's services' own contact. The episode's
``agencies`` are theirs, and the board counts them merged into one episode."""
