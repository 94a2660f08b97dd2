"""The probation feed: an adult under supervision linked to a child."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from schemas.common import ChildEvent, NonBlank, RelatedPerson

__all__ = ["MappaLevel", "ProbationNotification", "RoshLevel"]


class RoshLevel(StrEnum):
    """Risk of serious harm to children (OASys)."""

    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    VERY_HIGH = "VERY_HIGH"


class MappaLevel(StrEnum):
    """Multi-Agency Public Protection Arrangements management level."""

    LEVEL_1 = "LEVEL_1"
    LEVEL_2 = "LEVEL_2"
    LEVEL_3 = "LEVEL_3"


class ProbationNotification(ChildEvent):
    """An adult under probation supervision is linked to the child."""

    EVENT_TYPE: ClassVar[str] = "probation.notification"

    case_reference: NonBlank
    supervised_person: RelatedPerson
    rosh_children: RoshLevel
    mappa_level: MappaLevel | None = None
