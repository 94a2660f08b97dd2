"""Hypothesis strategies for every contract model, derived from the models' own fields."""

from __future__ import annotations

import datetime as dt
import types
import typing
import uuid
from enum import StrEnum
from typing import Annotated, Any

from hypothesis import strategies as st
from pydantic import AfterValidator, BaseModel

from schemas.common import Child
from schemas.identifiers import check_nhs_number, check_postcode, check_upn
from simulation.synthetic import nhs_test_number

UTC_MILLIS = st.datetimes(
    min_value=dt.datetime(2011, 1, 1), max_value=dt.datetime(2013, 3, 31), timezones=st.just(dt.UTC)
).map(lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000))
PAST_DATES = st.dates(min_value=dt.date(2010, 1, 1), max_value=dt.date(2013, 3, 31))
BIRTH_DATES = st.dates(min_value=dt.date(1996, 1, 1), max_value=dt.date(2010, 12, 31))
TEXT = st.text(  # no control or invisible characters: a user id refuses them
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Cf", "Zl", "Zp")),
    min_size=1,
    max_size=12,
).filter(lambda s: s.strip() == s and s != "")
NHS = st.randoms(use_true_random=False).map(nhs_test_number)
_INWARD = "ABDEFGHJLNPQRSTUWXYZ"
POSTCODES = st.builds(
    lambda a, n, d, x, y: f"{a}{n} {d}{x}{y}",
    st.sampled_from(["RM", "E", "IG"]),
    st.integers(1, 14),
    st.integers(0, 9),
    st.sampled_from(_INWARD),
    st.sampled_from(_INWARD),
)
UPNS = st.sampled_from(["B801200005001"])

_BY_VALIDATOR: dict[Any, st.SearchStrategy[Any]] = {
    check_nhs_number: NHS,
    check_postcode: POSTCODES,
    check_upn: UPNS,
}
_BY_NAME: dict[str, st.SearchStrategy[Any]] = {
    "school_urn": st.from_regex(r"[0-9]{6}", fullmatch=True),
    "attendance_percent": st.none() | st.floats(0, 100),
    "date_of_birth": st.none() | BIRTH_DATES,
    "month": st.from_regex(r"20[0-9]{2}-(0[1-9]|1[0-2])", fullmatch=True),
    "other_record_id": st.uuids().map(str),  # never the (short) record_id it is paired with
}


def _for(annotation: Any, name: str) -> st.SearchStrategy[Any]:
    if name in _BY_NAME:
        return _BY_NAME[name]
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        return st.one_of(*(st.none() if a is type(None) else _for(a, name) for a in args))
    if origin is Annotated:
        for meta in args[1:]:
            if isinstance(meta, AfterValidator) and meta.func in _BY_VALIDATOR:
                return _BY_VALIDATOR[meta.func]
        return PAST_DATES if args[0] is dt.date else _for(args[0], name)
    if origin is tuple:
        return st.lists(_for(args[0], name), min_size=1, max_size=3).map(tuple)
    if annotation is Child:
        return children()
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return models(annotation)
    if isinstance(annotation, type) and issubclass(annotation, StrEnum):
        return st.sampled_from(list(annotation))
    simple: dict[Any, st.SearchStrategy[Any]] = {
        str: TEXT,
        bool: st.booleans(),
        int: st.integers(0, 50),
        float: st.floats(0, 100),
        uuid.UUID: st.uuids(),
        dt.datetime: UTC_MILLIS,
        dt.date: PAST_DATES,
    }
    return simple[annotation]


@st.composite
def children(draw: st.DrawFn) -> Child:
    """A child: born (under 18 in 2011-13) or unborn with a due date, never both."""
    fields = {n: draw(_for(f.annotation, n)) for n, f in Child.model_fields.items()}
    if draw(st.booleans()):
        fields |= {"date_of_birth": draw(BIRTH_DATES), "expected_delivery_date": None}
    else:
        fields |= {"date_of_birth": None, "expected_delivery_date": draw(PAST_DATES)}
    return Child.model_validate(fields)


@st.composite
def models(draw: st.DrawFn, model: type[BaseModel]) -> BaseModel:
    """A valid instance of ``model`` with every field drawn, consistent across fields."""
    fields = {n: draw(_for(f.annotation, n)) for n, f in model.model_fields.items()}
    if hasattr(model, "EVENT_TYPE"):
        fields["event_type"] = model.EVENT_TYPE  # type: ignore[attr-defined]
        later = draw(st.integers(0, 10 * 24 * 3600 * 1000))
        fields["reported_at"] = fields["occurred_at"] + dt.timedelta(milliseconds=later)
    return model.model_validate(fields)
