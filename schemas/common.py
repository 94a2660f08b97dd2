"""The envelope every agency event shares, the child it is about, and their validation."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, ClassVar, Self
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from schemas.identifiers import check_nhs_number, check_postcode, check_upn
from schemas.limits import RECORD_KEY_CHARS, UNBORN_DUE_WITHIN_DAYS, USER_ID_CHARS

__all__ = [
    "Agency",
    "Child",
    "ChildEvent",
    "Envelope",
    "Flag",
    "LawfulBasis",
    "NhsNumber",
    "NonBlank",
    "PastDate",
    "PersonRole",
    "Postcode",
    "RelatedPerson",
    "Sex",
    "SpecialCategoryCondition",
    "Timestamp",
    "Upn",
    "UserId",
    "ValidationClock",
    "content_digest",
    "date_from_iso",
    "iso_date",
    "printable",
    "record_key",
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


class PersonRole(StrEnum):
    """How a related person stands to the child."""

    MOTHER = "MOTHER"
    FATHER = "FATHER"
    CARER = "CARER"
    HOUSEHOLD_MEMBER = "HOUSEHOLD_MEMBER"
    ALLEGED_PERPETRATOR = "ALLEGED_PERPETRATOR"
    OTHER = "OTHER"


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


def _non_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value.strip()


def _not_future(value: dt.date, info: ValidationInfo) -> dt.date:
    clock = ValidationClock.of(info)
    if value > (clock.now + clock.skew).date():
        raise ValueError("is in the future")
    return value


def _due_within_months(value: dt.date | None, info: ValidationInfo) -> dt.date | None:
    clock = ValidationClock.of(info)
    if value is not None and value > clock.now.date() + dt.timedelta(UNBORN_DUE_WITHIN_DAYS):
        raise ValueError(f"is more than {UNBORN_DUE_WITHIN_DAYS} days ahead")
    return value


def _utc_millis(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        raise ValueError("timestamp must carry a time zone (UTC)")
    value = value.astimezone(dt.UTC)
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


_UNPRINTABLE = frozenset({"Cc", "Cf", "Zl", "Zp"})
"""Unicode categories of characters no user id holds: controls (a newline, an escape),
formats (a zero-width or direction mark) and line or paragraph separators."""


def printable(value: str) -> str:
    """``value`` if it holds no control, format or line-separating character."""
    if any(unicodedata.category(c) in _UNPRINTABLE for c in value):
        raise ValueError("holds a control or invisible character (a newline, an escape)")
    return value


NonBlank = Annotated[str, AfterValidator(_non_blank)]
UserId = Annotated[
    str, Field(max_length=USER_ID_CHARS), AfterValidator(_non_blank), AfterValidator(printable)
]
"""A user's id (a reviewer's): printable, at most ``schemas.limits.USER_ID_CHARS``."""
_NUMBER = re.compile(r"[-+]?[0-9]+(\.[0-9]*)?")


def _not_a_number(value: object) -> object:
    """A date or time given as a number is refused: pydantic would read 1339030264 as seconds
    since 1970, and the contract's dates and times are ISO 8601 text (or Avro's own)."""
    if isinstance(value, int | float) or (
        isinstance(value, str) and _NUMBER.fullmatch(value.strip())
    ):
        raise ValueError(
            "must be an ISO 8601 date or time (2013-01-31, 2013-01-31T09:00:00Z), not a number"
        )
    return value


def _true_or_false(value: object) -> object:
    """A flag is true or false (any case), not yes, 1 or on."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ValueError("must be true or false")


Flag = Annotated[bool, BeforeValidator(_true_or_false)]
"""A yes/no field of a contract: true or false, as the README's exports say."""
Timestamp = Annotated[dt.datetime, BeforeValidator(_not_a_number), AfterValidator(_utc_millis)]
"""A zoned timestamp, held in UTC to the millisecond (what Avro timestamp-millis carries)."""
NhsNumber = Annotated[str, AfterValidator(check_nhs_number)]
Upn = Annotated[str, AfterValidator(check_upn)]
Postcode = Annotated[str, AfterValidator(check_postcode)]
PastDate = Annotated[dt.date, BeforeValidator(_not_a_number), AfterValidator(_not_future)]
"""A calendar date that is not after today (plus clock skew)."""


class Child(BaseModel):
    """A child, possibly unborn (then an expected date of delivery instead of a birth date)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    person_id: str | None = None
    given_name: NonBlank
    family_name: NonBlank
    date_of_birth: dt.date | None = None
    expected_delivery_date: Annotated[dt.date | None, AfterValidator(_due_within_months)] = None
    sex: Sex
    nhs_number: NhsNumber | None = None
    upn: Upn | None = None
    address: str | None = None
    postcode: Postcode | None = None

    @model_validator(mode="after")
    def _born_or_unborn(self) -> Self:
        if (self.date_of_birth is None) == (self.expected_delivery_date is None):
            raise ValueError(
                "a child has either a date of birth or, unborn, an expected date "
                "of delivery (exactly one)"
            )
        return self

    def check_age_at(self, at: dt.datetime) -> None:
        """Raise ValueError unless under 18 at ``at`` (an unborn child always passes)."""
        if self.date_of_birth is None:
            return
        if self.date_of_birth > at.date():
            raise ValueError("date_of_birth is after the event")
        born = self.date_of_birth
        try:
            eighteenth = born.replace(year=born.year + 18)
        except ValueError:  # born on 29 February
            eighteenth = born.replace(year=born.year + 18, day=28)
        if at.date() >= eighteenth:
            raise ValueError("is 18 or over at the time of the event")


class RelatedPerson(BaseModel):
    """An adult or another child connected with the subject (for an unborn child, the mother)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: PersonRole
    person_id: str | None = None
    given_name: NonBlank
    family_name: NonBlank
    date_of_birth: PastDate | None = None
    nhs_number: NhsNumber | None = None
    postcode: Postcode | None = None


class Envelope(BaseModel):
    """Fields every agency event carries: identity, time, tenant, lawful basis, reporter."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    EVENT_TYPE: ClassVar[str] = ""

    event_id: UUID
    event_type: str
    source_agency: Agency
    source_system: NonBlank
    agency_record_id: NonBlank
    occurred_at: Timestamp
    reported_at: Timestamp
    tenant: NonBlank
    lawful_basis: LawfulBasis
    special_category_condition: SpecialCategoryCondition
    purpose: NonBlank
    isa_id: NonBlank
    reporter_role: NonBlank
    reporter_team_id: NonBlank

    @field_validator("occurred_at", "reported_at")
    @classmethod
    def _not_future(cls, value: dt.datetime, info: ValidationInfo) -> dt.datetime:
        clock = ValidationClock.of(info)
        if value > clock.now + clock.skew:
            raise ValueError(f"is in the future (beyond {clock.skew} of clock skew)")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.EVENT_TYPE and self.event_type != self.EVENT_TYPE:
            raise ValueError(f"event_type must be {self.EVENT_TYPE!r}")
        if self.reported_at < self.occurred_at:
            raise ValueError("reported_at is before occurred_at")
        if len(record_key(self)) > RECORD_KEY_CHARS:
            longest = RECORD_KEY_CHARS - len(record_key(self)) + len(self.agency_record_id)
            raise ValueError(f"agency_record_id is longer than {longest} characters")
        return self


class ChildEvent(Envelope):
    """An event about one child (born, or unborn with a due date), with related persons."""

    subject: Child
    related_persons: tuple[RelatedPerson, ...] = ()

    @model_validator(mode="after")
    def _plausible_age(self) -> Self:
        try:
            self.subject.check_age_at(self.occurred_at)
        except ValueError as exc:
            raise ValueError(f"subject {exc}") from None
        return self


_VOLATILE = {"event_id", "reported_at"}


def record_key(event: Envelope) -> str:
    """The agency's identity for a record: agency and its own record id."""
    return f"{event.source_agency.value}:{event.agency_record_id}"


def content_digest(event: Envelope) -> str:
    """A digest of what the record says (not when it was sent or under which event id)."""
    data = event.model_dump(mode="json", exclude=_VOLATILE)
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:32]


def iso_date(day: dt.date | None) -> str | None:
    """A date as ISO text (``2013-03-31``), None as None: how dates are stored outside models."""
    return day.isoformat() if day else None


def date_from_iso(text: str | None) -> dt.date | None:
    """The inverse of ``iso_date`` (blank or None is None)."""
    return dt.date.fromisoformat(text) if text else None
