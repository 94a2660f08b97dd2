"""The LADO feed: allegations against professionals who work with children."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from schemas.common import ChildEvent, NonBlank

__all__ = ["LadoAllegation", "LadoSector"]


class LadoSector(StrEnum):
    """The sector the professional works in."""

    EDUCATION = "EDUCATION"
    EARLY_YEARS = "EARLY_YEARS"
    HEALTH = "HEALTH"
    SOCIAL_CARE = "SOCIAL_CARE"
    FOSTER_CARE = "FOSTER_CARE"
    POLICE = "POLICE"
    FAITH = "FAITH"
    SPORT_LEISURE = "SPORT_LEISURE"
    TRANSPORT = "TRANSPORT"
    OTHER = "OTHER"


class LadoAllegation(ChildEvent):
    """An allegation against a professional, referred to the LADO."""

    EVENT_TYPE: ClassVar[str] = "lado.allegation"

    allegation_ref: NonBlank
    sector: LadoSector
