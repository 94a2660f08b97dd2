"""Each topic's Avro schema and pydantic model agree field by field."""

from __future__ import annotations

import copy
import datetime as dt
import types
import typing
import uuid
from enum import StrEnum
from typing import Annotated, Any

import pytest
from pydantic import BaseModel

from schemas.contracts import AGENCY_CONTRACTS, CONTRACTS, POLICE_NOTIFICATION, Contract
from schemas.event_types import PARTNER_NOTIFICATIONS, EventType

_PRIMITIVE: dict[str, type] = {
    "string": str,
    "boolean": bool,
    "int": int,
    "long": int,
    "double": float,
    "uuid": uuid.UUID,
    "timestamp-millis": dt.datetime,
    "date": dt.date,
}


class _Checker:
    """Walks a self-contained schema beside a model, remembering named types as defined."""

    def __init__(self) -> None:
        self.named: dict[str, dict[str, Any]] = {}

    def record(self, model: type[BaseModel], schema: dict[str, Any], path: str = "") -> list[str]:
        problems = []
        avro = {f["name"]: f for f in schema["fields"]}
        fields = model.model_fields
        problems += [f"{path}{n}: in schema, not model" for n in avro.keys() - fields.keys()]
        problems += [f"{path}{n}: in model, not schema" for n in fields.keys() - avro.keys()]
        for name in sorted(avro.keys() & fields.keys()):
            if "doc" not in avro[name]:
                problems.append(f"{path}{name}: no doc in schema")
            optional_default = fields[name].is_required() is False
            if optional_default and "default" not in avro[name]:
                problems.append(f"{path}{name}: model has a default, schema has none")
            problems += self.type(fields[name].annotation, avro[name]["type"], f"{path}{name}")
        return problems

    def type(self, annotation: Any, avro: Any, where: str) -> list[str]:
        annotation = _unannotated(annotation)
        args = typing.get_args(annotation)
        optional = _is_union(annotation) and type(None) in args
        if isinstance(avro, list):
            if not optional or avro[0] != "null" or len(avro) != 2:
                return [f"{where}: nullable in schema but not in model (or null not first)"]
            inner = next(a for a in args if a is not type(None))
            return self.type(inner, avro[1], where)
        if optional:
            return [f"{where}: optional in model but not nullable in schema"]
        if isinstance(avro, str) and avro in self.named:
            avro = self.named[avro]
        if isinstance(avro, dict) and avro["type"] == "array":
            if typing.get_origin(annotation) is not tuple:
                return [f"{where}: array in schema, {annotation} in model"]
            return self.type(args[0], avro["items"], f"{where}[]")
        if isinstance(avro, dict) and avro["type"] == "record":
            return self.record(annotation, avro, f"{where}.")
        if isinstance(avro, dict) and avro["type"] == "enum":
            ok = isinstance(annotation, type) and issubclass(annotation, StrEnum)
            if not ok or [m.value for m in annotation] != avro["symbols"]:
                return [f"{where}: enum symbols differ"]
            return []
        key = avro.get("logicalType", avro["type"]) if isinstance(avro, dict) else avro
        return [] if _PRIMITIVE.get(key) is annotation else [f"{where}: {annotation} vs {key}"]

    def collect(self, node: Any) -> None:
        """Remember every named type defined anywhere in ``node``."""
        if isinstance(node, list):
            for item in node:
                self.collect(item)
        elif isinstance(node, dict):
            if node.get("type") in ("record", "enum"):
                self._define(node)
            for key in ("type", "items", "fields"):
                self.collect(node.get(key))

    def _define(self, schema: dict[str, Any]) -> None:
        name = schema["name"]
        full = name if "." in name else f"{schema.get('namespace', '')}.{name}"
        self.named[full] = schema


def _unannotated(annotation: Any) -> Any:
    if typing.get_origin(annotation) is Annotated:
        return typing.get_args(annotation)[0]
    if _is_union(annotation):
        return typing.Union[tuple(_unannotated(a) for a in typing.get_args(annotation))]  # noqa: UP007
    return annotation


def _is_union(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (typing.Union, types.UnionType)


def mismatches(model: type[BaseModel], schema: dict[str, Any]) -> list[str]:
    """Every way in which a record schema and a model disagree."""
    checker = _Checker()
    checker.collect(schema)
    return checker.record(model, schema)


@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda c: c.topic)
def test_model_and_latest_schema_agree_field_by_field(contract: Contract[Any]) -> None:
    assert mismatches(contract.model, contract.raw_schema) == []


def test_agreement_check_catches_a_dropped_field_a_nullability_and_an_enum_drift() -> None:
    schema = copy.deepcopy(POLICE_NOTIFICATION.raw_schema)
    schema["fields"] = [f for f in schema["fields"] if f["name"] != "cris_ref"]
    risk = next(f for f in schema["fields"] if f["name"] == "risk_level")
    risk["type"]["symbols"] = ["LOW", "HIGH"]
    merlin = next(f for f in schema["fields"] if f["name"] == "merlin_ref")
    merlin["type"] = ["null", "string"]
    assert sorted(mismatches(POLICE_NOTIFICATION.model, schema)) == [
        "cris_ref: in model, not schema",
        "merlin_ref: nullable in schema but not in model (or null not first)",
        "risk_level: enum symbols differ",
    ]


def test_every_agency_has_a_contract() -> None:
    agencies = {c.topic.split(".")[0] for c in CONTRACTS}
    assert {
        "police",
        "health",
        "probation",
        "education",
        "community_safety",
        "childrens_services",
        "lado",
    } <= agencies


def test_every_event_type_named_in_code_is_an_agency_contracts_event_type() -> None:
    # a retyped or mistyped event type would compare unequal to every event, silently
    assert {t.value for t in EventType} == {c.model.EVENT_TYPE for c in AGENCY_CONTRACTS}
    assert all(t.name.endswith(t.value.split(".")[1].upper()) for t in EventType)
    assert set(EventType) > PARTNER_NOTIFICATIONS
    assert {t.split(".")[0] for t in PARTNER_NOTIFICATIONS} == {
        "police",
        "health",
        "education",
        "probation",
    }
