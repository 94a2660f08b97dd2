"""The envelope every agency event shares, the child it is about, and their validation."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator, model_validator

from schemas.identifiers import check_nhs_number, check_postcode, check_upn

__all__ = [
    "Agency",
    "Child",
    "Envelope",
    "LawfulBasis",
    "Sex",
    "SpecialCategoryCondition",
    "ValidationClock",
]


class Agency(StrEnum):
    """The agency that published an event."""

    POLICE = "POLICE"
    HEALTH = "HEALTH"
    PROBATION = "PROBATION"
    EDUCATION = "EDUCATION"
    COMMUNITY_SAFETY = "COMMUNITY_SAFETY"
    CHILDRENS_SERVICES = "CHILDRENS_SERVICES"
    LADO = "LADO"


class LawfulBasis(StrEnum):
    """UK GDPR Article 6 basis, or DPA 2018 Part 3 for law enforcement."""

    PUBLIC_TASK = "PUBLIC_TASK"
    LEGAL_OBLIGATION = "LEGAL_OBLIGATION"
    VITAL_INTERESTS = "VITAL_INTERESTS"
    LAW_ENFORCEMENT = "LAW_ENFORCEMENT"


class SpecialCategoryCondition(StrEnum):
    """DPA 2018 condition for processing special-category data."""

    SCH1_PARA18_SAFEGUARDING = "SCH1_PARA18_SAFEGUARDING"
    PART3_S35_SCH8 = "PART3_S35_SCH8"


class Sex(StrEnum):
    """Sex as recorded by the agency."""

    MALE = "MALE"
    FEMALE = "FEMALE"
    UNKNOWN = "UNKNOWN"


@dataclass(frozen=True)
class ValidationClock:
    """The 'now' that timestamps are checked against, with the tolerated clock skew."""

    skew: dt.timedelta = dt.timedelta(minutes=5)
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    @classmethod
    def of(cls, info: ValidationInfo) -> ValidationClock:
        """The clock passed as validation context, else the real clock."""
        ctx = info.context
        return ctx if isinstance(ctx, ValidationClock) else cls()


class Child(BaseModel):
    """A child, possibly unborn (then an expected date of delivery instead of a birth date)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    person_id: str | None = None
    given_name: str
    family_name: str
    date_of_birth: dt.date | None = None
    expected_delivery_date: dt.date | None = None
    sex: Sex
    nhs_number: str | None = None
    upn: str | None = None
    address: str | None = None
    postcode: str | None = None

    @field_validator("nhs_number")
    @classmethod
    def _nhs(cls, value: str | None) -> str | None:
        return None if value is None else check_nhs_number(value)

    @field_validator("upn")
    @classmethod
    def _upn(cls, value: str | None) -> str | None:
        return None if value is None else check_upn(value)

    @field_validator("postcode")
    @classmethod
    def _postcode(cls, value: str | None) -> str | None:
        return None if value is None else check_postcode(value)

    @field_validator("given_name", "family_name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()

    @model_validator(mode="after")
    def _born_or_unborn(self) -> Self:
        if (self.date_of_birth is None) == (self.expected_delivery_date is None):
            raise ValueError(
                "a child has either a date of birth or, unborn, an expected date "
                "of delivery (exactly one)"
            )
        return self


class Envelope(BaseModel):
    """Fields every agency event carries: identity, time, tenant, lawful basis, reporter."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: UUID
    event_type: str
    source_agency: Agency
    source_system: str
    agency_record_id: str
    occurred_at: dt.datetime
    reported_at: dt.datetime
    tenant: str
    lawful_basis: LawfulBasis
    special_category_condition: SpecialCategoryCondition
    purpose: str
    isa_id: str
    reporter_role: str
    reporter_team_id: str

    @field_validator(
        "event_type",
        "source_system",
        "agency_record_id",
        "tenant",
        "purpose",
        "isa_id",
        "reporter_role",
        "reporter_team_id",
    )
    @classmethod
    def _present(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()

    @field_validator("occurred_at", "reported_at")
    @classmethod
    def _not_future(cls, value: dt.datetime, info: ValidationInfo) -> dt.datetime:
        if value.tzinfo is None:
            raise ValueError("timestamp must carry a time zone (UTC)")
        clock = ValidationClock.of(info)
        if value > clock.now + clock.skew:
            raise ValueError(f"is in the future (beyond {clock.skew} of clock skew)")
        return value.astimezone(dt.UTC)

    @model_validator(mode="after")
    def _reported_after_occurred(self) -> Self:
        if self.reported_at < self.occurred_at:
            raise ValueError("reported_at is before occurred_at")
        return self


def child_age_check(child: Child, at: dt.datetime) -> None:
    """Raise ValueError unless the child is under 18 at ``at`` (or unborn with a due date)."""
    if child.date_of_birth is None:
        return
    day = at.date()
    if child.date_of_birth > day:
        raise ValueError("subject.date_of_birth is after the event")
    eighteenth = _add_years(child.date_of_birth, 18)
    if day >= eighteenth:
        raise ValueError("subject is 18 or over at the time of the event")


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def plain(value: Any) -> Any:
    """An enum as its symbol, anything else unchanged (fastavro writes enums from strings)."""
    return value.value if isinstance(value, StrEnum) else value
