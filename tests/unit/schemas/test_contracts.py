"""Each topic's Avro schema and pydantic model agree, and framing round-trips."""

from __future__ import annotations

import datetime as dt
import types
import typing
import uuid
from enum import StrEnum
from typing import Any

import pytest
from pydantic import BaseModel

from mash.errors import DecodeError, InvalidRecord
from producers.synthetic import police_notifications
from schemas.contracts import CONTRACTS, POLICE_NOTIFICATION, Contract, decode

_PRIMITIVE: dict[Any, type] = {
    "string": str,
    "boolean": bool,
    "int": int,
    "long": int,
    "double": float,
    "uuid": uuid.UUID,
    "timestamp-millis": dt.datetime,
    "date": dt.date,
}


def _mismatches(model: type[BaseModel], schema: dict[str, Any], path: str = "") -> list[str]:
    """Every way in which a record schema and a model disagree, field by field."""
    problems = []
    avro = {f["name"]: f for f in schema["fields"]}
    fields = model.model_fields
    problems += [f"{path}{n}: in schema, not model" for n in avro.keys() - fields.keys()]
    problems += [f"{path}{n}: in model, not schema" for n in fields.keys() - avro.keys()]
    for name in avro.keys() & fields.keys():
        problems += _type_mismatch(fields[name].annotation, avro[name]["type"], f"{path}{name}")
        if "doc" not in avro[name]:
            problems.append(f"{path}{name}: no doc in schema")
    return problems


def _type_mismatch(annotation: Any, avro_type: Any, where: str) -> list[str]:
    args = typing.get_args(annotation)
    optional = isinstance(annotation, types.UnionType) and type(None) in args
    if isinstance(avro_type, list):
        if not optional or avro_type[0] != "null":
            return [f"{where}: nullable in schema but not in model (or null not first)"]
        inner = next(a for a in args if a is not type(None))
        return _type_mismatch(inner, avro_type[1], where)
    if optional:
        return [f"{where}: optional in model but not nullable in schema"]
    if isinstance(avro_type, dict) and avro_type["type"] == "record":
        return _mismatches(annotation, avro_type, f"{where}.")
    if isinstance(avro_type, dict) and avro_type["type"] == "enum":
        ok = isinstance(annotation, type) and issubclass(annotation, StrEnum)
        if not ok or [m.value for m in annotation] != avro_type["symbols"]:
            return [f"{where}: enum symbols differ"]
        return []
    key = (
        avro_type.get("logicalType", avro_type["type"])
        if isinstance(avro_type, dict)
        else avro_type
    )
    return [] if _PRIMITIVE.get(key) is annotation else [f"{where}: {annotation} vs {key}"]


@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda c: c.topic)
def test_model_and_schema_agree_field_by_field(contract: Contract[Any]) -> None:
    assert _mismatches(contract.model, contract.raw_schema) == []


def test_agreement_check_catches_a_drift() -> None:
    schema = {**POLICE_NOTIFICATION.raw_schema}
    schema["fields"] = [f for f in schema["fields"] if f["name"] != "cris_ref"]
    assert _mismatches(POLICE_NOTIFICATION.model, schema) == ["cris_ref: in model, not schema"]


def test_police_notification_round_trips_through_avro_single_object_framing() -> None:
    for record in police_notifications(
        50, seed=3, start=dt.date(2012, 4, 1), end=dt.date(2013, 4, 1)
    ):
        framed = POLICE_NOTIFICATION.encode(record)
        assert framed[:2] == b"\xc3\x01"
        assert int.from_bytes(framed[2:10], "little") == POLICE_NOTIFICATION.fingerprint
        assert decode(framed) == record


def _one() -> bytes:
    record = next(police_notifications(1, 1, dt.date(2012, 4, 1), dt.date(2013, 4, 1)))
    return POLICE_NOTIFICATION.encode(record)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "too short"),
        (b"\x00\x00\x00\x00\x01" + b"\x00" * 10, "unknown framing"),
        (b"\xc3\x01" + b"\xff" * 8 + b"\x02", "unknown schema fingerprint"),
        (_one()[:40], "corrupt Avro body"),
        (_one() + b"\x00", "trailing bytes"),
    ],
)
def test_undecodable_bytes_raise_decode_error_with_the_reason(data: bytes, reason: str) -> None:
    with pytest.raises(DecodeError, match=reason):
        decode(data)


def test_a_valid_frame_with_an_invalid_value_raises_invalid_record_naming_the_field() -> None:
    record = next(police_notifications(1, 1, dt.date(2012, 4, 1), dt.date(2013, 4, 1)))
    bad_child = record.subject.model_copy(update={"nhs_number": "9990000001"})
    framed = POLICE_NOTIFICATION.encode(record.model_copy(update={"subject": bad_child}))
    with pytest.raises(InvalidRecord, match=r"subject\.nhs_number: NHS number fails"):
        decode(framed)
