"""The police feed: a notification of a child coming to notice."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from schemas.common import ChildEvent, Flag, NonBlank

__all__ = ["IncidentType", "PoliceNotification", "RiskLevel"]


class IncidentType(StrEnum):
    """Kind of incident that brought the child to police notice."""

    DOMESTIC_ABUSE_INCIDENT = "DOMESTIC_ABUSE_INCIDENT"
    DOMESTIC_ABUSE_OFFENCE = "DOMESTIC_ABUSE_OFFENCE"
    NEGLECT = "NEGLECT"
    PHYSICAL_ASSAULT = "PHYSICAL_ASSAULT"
    SEXUAL_OFFENCE = "SEXUAL_OFFENCE"
    MISSING = "MISSING"
    EXPLOITATION = "EXPLOITATION"
    OTHER = "OTHER"


class RiskLevel(StrEnum):
    """The officer's risk assessment."""

    STANDARD = "STANDARD"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"


class PoliceNotification(ChildEvent):
    """A MERLIN-style police notification about a child, a contact for the MASH."""

    EVENT_TYPE: ClassVar[str] = "police.notification"

    merlin_ref: NonBlank
    cris_ref: str | None = None
    incident_type: IncidentType
    child_present: Flag
    risk_level: RiskLevel
