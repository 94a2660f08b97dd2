"""Agency export rows (flat CSV columns, or JSONL of the model) to and from contract models.

One mechanism serves every agency. A CSV column ``subject_<field>`` is the child's
``<field>``; a column for a list or a nested record (``related_persons``, ``children``,
``supervised_person``, ``factors``...) holds that value as JSON; every other column is the
event's own field. ``event_type`` and ``source_agency`` come from the adapter, so an agency
cannot publish under another's name.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import types
import typing
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from plumbing.errors import UsageError
from schemas.common import Agency, ValidationClock
from schemas.contracts import AGENCY_CONTRACTS, Contract

__all__ = ["ADAPTERS", "AgencyAdapter", "ColumnGuide", "adapter_for"]

_SUBJECT = "subject_"
_FIXED = {"event_type", "source_agency"}


@dataclass(frozen=True)
class AgencyAdapter:
    """How one agency's export of one event type maps onto its contract."""

    name: str
    """The event type, which names the export kind."""
    contract: Contract[Any]
    source_agency: Agency

    @property
    def event_type(self) -> str:
        """The event type this adapter publishes."""
        return self.name

    @cached_property
    def csv_columns(self) -> list[str]:
        """The documented CSV columns, in order."""
        columns: list[str] = []
        for name, field in self.contract.model.model_fields.items():
            if name in _FIXED:
                continue
            if name == "subject":
                columns += [
                    _SUBJECT + sub
                    for sub in typing.cast(type[BaseModel], field.annotation).model_fields
                ]
            else:
                columns.append(name)
        return columns

    @cached_property
    def json_columns(self) -> frozenset[str]:
        """Columns whose cells hold JSON: lists and nested records other than the subject."""
        fields = self.contract.model.model_fields
        return frozenset(
            n for n, f in fields.items() if n != "subject" and _is_complex(f.annotation)
        )

    @cached_property
    def column_guide(self) -> list[ColumnGuide]:
        """Each CSV column: what its cell holds, whether it must have a value, and for a
        code list its codes (the contract's own, so the guide cannot drift from it)."""
        model = self.contract.model
        guide = []
        for column in self.csv_columns:
            owner, name = model, column
            if column.startswith(_SUBJECT) and column not in model.model_fields:
                owner = typing.cast(type[BaseModel], model.model_fields["subject"].annotation)
                name = column.removeprefix(_SUBJECT)
            field = owner.model_fields[name]
            codes = _codes(field.annotation)
            cell = "json" if column in self.json_columns else _cell_kind(field.annotation, codes)
            guide.append(ColumnGuide(column, cell, not _absent_by_default(field), codes))
        return guide

    def from_csv_row(self, row: dict[str, str], clock: ValidationClock) -> BaseModel:
        """The model for one CSV row; raises pydantic's ValidationError or ValueError."""
        datum: dict[str, Any] = {}
        fields = self.contract.model.model_fields
        for column, text in row.items():
            if column is None:
                raise ValueError("row has more cells than the header")
            value = _cell(text)
            if value is None and column in fields and _absent_by_default(fields[column]):
                continue  # blank means absent: the field's default (e.g. no related persons)
            if column.startswith(_SUBJECT):
                datum.setdefault("subject", {})[column.removeprefix(_SUBJECT)] = value
            elif column in self.json_columns and value is not None:
                datum[column] = _json_cell(column, value)
            else:
                datum[column] = value
        return self.from_dict(datum, clock)

    def from_dict(self, datum: dict[str, Any], clock: ValidationClock) -> BaseModel:
        """The model for one JSON object of the model's shape."""
        datum = {**datum, "event_type": self.event_type, "source_agency": self.source_agency}
        model: BaseModel = self.contract.model.model_validate(datum, context=clock)
        return model

    def to_csv_row(self, record: BaseModel) -> dict[str, str]:
        """One CSV row for a model (the inverse of ``from_csv_row``)."""
        data = record.model_dump(mode="json")
        row: dict[str, str] = {}
        for column in self.csv_columns:
            if column.startswith(_SUBJECT):
                value = data["subject"][column.removeprefix(_SUBJECT)]
            else:
                value = data[column]
            row[column] = _text(value)
        return row

    def to_json(self, record: BaseModel) -> str:
        """One JSONL line for a model."""
        return record.model_dump_json()


@dataclass(frozen=True)
class ColumnGuide:
    """One CSV column as `mash schemas list --kind` shows it."""

    column: str
    cell: str
    required: bool
    codes: tuple[str, ...] = ()


def _absent_by_default(field: FieldInfo) -> bool:
    """Whether a blank cell may take the field's default: only a default that means absent
    (None, or no items). A blank is never read as a value such as 0 exclusions."""
    if field.is_required():
        return False
    default = field.get_default(call_default_factory=True)
    return default is None or (isinstance(default, (tuple, list, dict, frozenset)) and not default)


def _plain(annotation: Any) -> list[Any]:
    """The types an annotation allows, unions and ``Annotated`` unwrapped, None left out."""
    if typing.get_origin(annotation) is typing.Annotated:
        return _plain(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [t for a in typing.get_args(annotation) for t in _plain(a)]
    return [] if annotation is type(None) else [annotation]


def _codes(annotation: Any) -> tuple[str, ...]:
    for kind in _plain(annotation):
        if isinstance(kind, type) and issubclass(kind, enum.Enum):
            return tuple(str(member.value) for member in kind)
    return ()


def _cell_kind(annotation: Any, codes: tuple[str, ...]) -> str:
    if codes:
        return "code"
    kinds = _plain(annotation)
    for kind, name in (
        (bool, "true/false"),
        (dt.datetime, "date-time (ISO 8601)"),
        (dt.date, "date (YYYY-MM-DD)"),
        (int, "number"),
        (float, "number"),
    ):
        if kind in kinds:
            return name
    return "text"


def _is_complex(annotation: Any) -> bool:
    """Whether a field holds a list or a record (written in a cell as JSON)."""
    return any(
        typing.get_origin(kind) in (tuple, list)
        or (isinstance(kind, type) and issubclass(kind, BaseModel))
        for kind in _plain(annotation)
    )


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _cell(text: str | None) -> str | None:
    """A CSV cell: blank means absent; pydantic converts the rest (a flag is true or false)."""
    if text is None:
        return None
    text = text.strip()
    return text or None


def _json_cell(column: str, text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{column}: not JSON ({exc.msg} at column {exc.colno})") from None


def _adapter(contract: Contract[Any]) -> AgencyAdapter:
    event_type: str = contract.model.EVENT_TYPE
    return AgencyAdapter(event_type, contract, Agency(event_type.split(".")[0].upper()))


ADAPTERS: dict[str, AgencyAdapter] = {a.name: a for a in map(_adapter, AGENCY_CONTRACTS)}
"""Every export kind, by event type (e.g. 'police.notification', 'childrens_services.contact')."""


def adapter_for(kind: str) -> AgencyAdapter:
    """The adapter for an event type, or for an agency that publishes only one type;
    `UsageError` naming the valid kinds otherwise."""
    if kind in ADAPTERS:
        return ADAPTERS[kind]
    single = [a for a in ADAPTERS.values() if a.source_agency.value.lower() == kind.lower()]
    if len(single) == 1:
        return single[0]
    raise UsageError(
        f"no export kind {kind!r}: use one of police, health, probation, education, "
        f"community_safety, lado, or an event type (`mash schemas list`)"
    )
