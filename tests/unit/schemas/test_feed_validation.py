"""The validators of every feed reject a bad value with an error naming the field."""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from schemas.common import ValidationClock
from schemas.contracts import describe_errors
from simulation.year import simulate

CLOCK = ValidationClock(now=dt.datetime(2013, 6, 1, tzinfo=dt.UTC))


@cache
def _events() -> dict[str, list[BaseModel]]:
    return dict(simulate("havering-2012", seed=1).events)


def _example(kind: str) -> BaseModel:
    return _events()[kind][0]


def _error(kind: str, changes: dict[str, Any]) -> str:
    record = _example(kind)
    datum = record.model_dump()
    for path, value in changes.items():
        target = datum
        *parents, leaf = path.split(".")
        for part in parents:
            target = target[int(part)] if isinstance(target, (list, tuple)) else target[part]
        target[leaf] = value
    with pytest.raises(ValidationError) as caught:
        type(record).model_validate(datum, context=CLOCK)
    return describe_errors(caught.value)


@pytest.mark.parametrize(
    ("kind", "changes", "message"),
    [
        ("education.concern", {"school_urn": "12345"}, "school_urn: a school URN is 6 digits"),
        ("education.concern", {"attendance_percent": 101.0}, "attendance_percent: Input should be"),
        (
            "education.concern",
            {"exclusions_this_year": -1},
            "exclusions_this_year: Input should be",
        ),
        ("community_safety.marac_case", {"children": []}, "children: Tuple should have at least 1"),
        (
            "community_safety.marac_case",
            {"meeting_date": dt.date(2014, 1, 1)},
            "meeting_date: is in the future",
        ),
        (
            "community_safety.marac_case",
            {"children.0.postcode": "XX"},
            "children.0.postcode: not a UK postcode",
        ),
        (
            "childrens_services.research_request",
            {"requested_agencies": []},
            "requested_agencies: Tuple should have at least 1",
        ),
        (
            "childrens_services.research_request",
            {"due_at": dt.datetime(2012, 5, 1)},
            "due_at: timestamp must carry a time zone",
        ),
        ("childrens_services.cp_plan_started", {"category": "XYZ"}, "category: Input should be"),
        (
            "childrens_services.cp_plan_started",
            {"start_date": dt.date(2013, 7, 1)},
            "start_date: is in the future",
        ),
        (
            "childrens_services.contact",
            {"referral_source": "RS99"},
            "referral_source: Input should be",
        ),
        ("childrens_services.assessment", {"factors": ["F99Z"]}, "factors.0: Input should be"),
        (
            "childrens_services.lac_episode_ended",
            {"reason_ceased": "E99"},
            "reason_ceased: Input should be",
        ),
        (
            "childrens_services.lac_episode_started",
            {"placement_type": "Q9"},
            "placement_type: Input should be",
        ),
        (
            "probation.notification",
            {"supervised_person.nhs_number": "9990000001"},
            "supervised_person.nhs_number: NHS number fails its check digit",
        ),
        ("probation.notification", {"mappa_level": "LEVEL_9"}, "mappa_level: Input should be"),
        ("health.notification", {"service": "DENTIST"}, "service: Input should be"),
        ("health.notification", {"site_code": " "}, "site_code: must not be blank"),
        ("lado.allegation", {"sector": "PIRATES"}, "sector: Input should be"),
        (
            "childrens_services.child_death_reviewed",
            {"death_type": "MAYBE"},
            "death_type: Input should be",
        ),
        (
            "police.notification",
            {"event_type": "health.notification"},
            "event_type must be 'police.notification'",
        ),
        ("police.notification", {"subject.upn": "A801200005001"}, "subject.upn: UPN fails"),
        (
            "police.notification",
            {"subject.date_of_birth": None, "subject.expected_delivery_date": dt.date(2090, 1, 1)},
            "subject.expected_delivery_date: is more than 305 days ahead",
        ),
        (
            "police.notification",
            {
                "related_persons": [
                    {
                        "role": "MOTHER",
                        "given_name": "A",
                        "family_name": "B",
                        "date_of_birth": dt.date(2099, 1, 1),
                    }
                ]
            },
            "related_persons.0.date_of_birth: is in the future",
        ),
        (
            "police.notification",
            {"agency_record_id": "R" * 150},
            "agency_record_id is longer than 113 characters",
        ),
    ],
)
def test_a_bad_value_is_rejected_naming_the_field(
    kind: str, changes: dict[str, Any], message: str
) -> None:
    assert message in _error(kind, changes)


def test_every_kind_has_a_valid_example() -> None:
    events = _events()
    assert len(events) == 19
    for records in events.values():
        type(records[0]).model_validate(records[0].model_dump(), context=CLOCK)
