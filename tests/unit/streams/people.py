"""A girl's linkage record for stage tests: the fields a test varies, the rest fixed."""

from __future__ import annotations

import datetime as dt

from streams.comparison import PersonRecord

__all__ = ["girl"]


def girl(
    rid: str, given: str, family: str, born: dt.date, postcode: str | None = "LS1 4AP"
) -> PersonRecord:
    """A record with no NHS number and no expected delivery date."""
    return PersonRecord.of(
        rid,
        given_name=given,
        family_name=family,
        date_of_birth=born,
        expected_delivery_date=None,
        sex="FEMALE",
        postcode=postcode,
    )
