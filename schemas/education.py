"""The education feed: a school designated safeguarding lead's concern."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import ClassVar

from pydantic import Field, field_validator

from schemas.common import ChildEvent

__all__ = ["EducationConcern", "SchoolConcern"]


class SchoolConcern(StrEnum):
    """What the designated safeguarding lead is concerned about."""

    DISCLOSURE = "DISCLOSURE"
    INJURY = "INJURY"
    NEGLECT = "NEGLECT"
    ATTENDANCE = "ATTENDANCE"
    BEHAVIOUR = "BEHAVIOUR"
    DOMESTIC_ABUSE = "DOMESTIC_ABUSE"
    OTHER = "OTHER"


class EducationConcern(ChildEvent):
    """A school's concern about a pupil, with attendance and exclusions."""

    EVENT_TYPE: ClassVar[str] = "education.concern"

    school_urn: str
    concern: SchoolConcern
    attendance_percent: float | None = Field(default=None, ge=0, le=100)
    exclusions_this_year: int = Field(default=0, ge=0)

    @field_validator("school_urn")
    @classmethod
    def _urn(cls, value: str) -> str:
        if not re.fullmatch(r"\d{6}", value.strip()):
            raise ValueError("a school URN is 6 digits")
        return value.strip()
