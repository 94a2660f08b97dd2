"""Every validator on the police contract rejects a bad value with an error naming the field."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError

from schemas.common import ValidationClock
from schemas.contracts import describe_errors
from schemas.police import PoliceNotification
from simulation.synthetic import police_notifications

NOW = dt.datetime(2013, 4, 1, tzinfo=dt.UTC)
CLOCK = ValidationClock(skew=dt.timedelta(minutes=5), now=NOW)


def _valid() -> dict[str, Any]:
    record = next(police_notifications(1, 9, dt.date(2012, 4, 1), dt.date(2013, 3, 1)))
    return record.model_dump()


def _error(datum: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as caught:
        PoliceNotification.model_validate(datum, context=CLOCK)
    return describe_errors(caught.value)


def _with(path: str, value: Any) -> dict[str, Any]:
    datum = _valid()
    if path.startswith("subject."):
        datum["subject"] = {**datum["subject"], path.removeprefix("subject."): value}
    else:
        datum[path] = value
    return datum


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("subject.nhs_number", "9990000001", "subject.nhs_number: NHS number fails its check"),
        ("subject.upn", "A801200005001", "subject.upn: UPN fails its check letter"),
        ("subject.postcode", "ZZ99 9ZZ", "subject.postcode: not a UK postcode"),
        ("incident_type", "ALIENS", "incident_type: Input should be"),
        ("risk_level", "EXTREME", "risk_level: Input should be"),
        ("lawful_basis", "BECAUSE", "lawful_basis: Input should be"),
        ("isa_id", "  ", "isa_id: must not be blank"),
        ("purpose", "", "purpose: must not be blank"),
        ("subject.given_name", " ", "subject.given_name: must not be blank"),
        ("occurred_at", NOW + dt.timedelta(hours=1), "occurred_at: is in the future"),
        ("reported_at", dt.datetime(2012, 1, 1), "reported_at: timestamp must carry a time zone"),
        ("event_type", "health.ae", "event_type must be 'police.notification'"),
        ("subject.date_of_birth", dt.date(1990, 1, 1), "18 or over"),
        ("subject.date_of_birth", None, "either a date of birth or, unborn"),
    ],
)
def test_bad_value_is_rejected_with_the_field_and_reason(
    path: str, value: Any, message: str
) -> None:
    assert message in _error(_with(path, value))


def test_clock_skew_is_tolerated_up_to_the_configured_limit() -> None:
    datum = _with("occurred_at", NOW + dt.timedelta(minutes=4))
    datum["reported_at"] = NOW + dt.timedelta(minutes=4)
    assert PoliceNotification.model_validate(datum, context=CLOCK).occurred_at > NOW


def test_reported_before_occurred_is_rejected() -> None:
    datum = _valid()
    datum["reported_at"] = datum["occurred_at"] - dt.timedelta(hours=1)
    assert "reported_at is before occurred_at" in _error(datum)


def test_an_unborn_child_has_a_due_date_instead_of_a_birth_date() -> None:
    datum = _with("subject.date_of_birth", None)
    datum["subject"]["expected_delivery_date"] = dt.date(2013, 6, 1)
    assert PoliceNotification.model_validate(datum, context=CLOCK).subject.date_of_birth is None


def test_errors_never_echo_the_rejected_value() -> None:
    assert "9990000001" not in _error(_with("subject.nhs_number", "9990000001"))
