"""The health feed: A&E attendances and midwifery, health visiting and CAMHS concerns."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from schemas.common import ChildEvent, Flag, NonBlank

__all__ = ["HealthNotification", "HealthService", "PresentingConcern"]


class HealthService(StrEnum):
    """The health service that saw the child."""

    AE_ATTENDANCE = "AE_ATTENDANCE"
    MIDWIFERY = "MIDWIFERY"
    HEALTH_VISITING = "HEALTH_VISITING"
    CAMHS = "CAMHS"
    SCHOOL_NURSING = "SCHOOL_NURSING"
    GP = "GP"


class PresentingConcern(StrEnum):
    """Why the service is concerned."""

    INJURY = "INJURY"
    SELF_HARM = "SELF_HARM"
    OVERDOSE = "OVERDOSE"
    NEGLECT = "NEGLECT"
    DOMESTIC_ABUSE = "DOMESTIC_ABUSE"
    MENTAL_HEALTH = "MENTAL_HEALTH"
    SUBSTANCE_MISUSE = "SUBSTANCE_MISUSE"
    PRE_BIRTH = "PRE_BIRTH"
    OTHER = "OTHER"


class HealthNotification(ChildEvent):
    """A health service's safeguarding notification about a child."""

    EVENT_TYPE: ClassVar[str] = "health.notification"

    service: HealthService
    site_code: NonBlank
    presenting_concern: PresentingConcern
    cpis_flag_seen: Flag
