"""Agency export rows (flat CSV columns or JSONL of the model) to and from contract models.

One mechanism serves every agency: a CSV column ``subject_<field>`` is the subject's ``<field>``;
every other column is the event's own field; ``event_type`` and ``source_agency`` come from the
adapter, so an agency cannot publish under another's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from schemas.common import Agency, ValidationClock
from schemas.contracts import POLICE_NOTIFICATION, Contract

__all__ = ["ADAPTERS", "AgencyAdapter", "adapter_for"]

_SUBJECT = "subject_"


@dataclass(frozen=True)
class AgencyAdapter:
    """How one agency's export maps onto its contract."""

    contract: Contract[Any]
    event_type: str
    source_agency: Agency

    @property
    def csv_columns(self) -> list[str]:
        """The documented CSV columns, in order."""
        fixed = {"event_type", "source_agency"}
        columns: list[str] = []
        for name, field in self.contract.model.model_fields.items():
            if name in fixed:
                continue
            if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
                columns += [_SUBJECT + sub for sub in field.annotation.model_fields]
            else:
                columns.append(name)
        return columns

    def from_csv_row(self, row: dict[str, str], clock: ValidationClock) -> BaseModel:
        """The model for one CSV row; raises pydantic's ValidationError."""
        datum: dict[str, Any] = {"subject": {}}
        for column, text in row.items():
            if column is None:
                raise ValueError("row has more cells than the header")
            value = _cell(text)
            if column.startswith(_SUBJECT):
                datum["subject"][column.removeprefix(_SUBJECT)] = value
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
        row: dict[str, str] = {}
        data = record.model_dump(mode="json")
        for column in self.csv_columns:
            if column.startswith(_SUBJECT):
                value = data["subject"][column.removeprefix(_SUBJECT)]
            else:
                value = data[column]
            row[column] = "" if value is None else json_scalar(value)
        return row

    def to_json(self, record: BaseModel) -> str:
        """One JSONL line for a model."""
        return record.model_dump_json()


def json_scalar(value: Any) -> str:
    """A JSON-mode scalar as CSV text (booleans as 'true'/'false')."""
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _cell(text: str | None) -> str | None:
    """A CSV cell: blank means absent; pydantic converts the rest (it reads 'yes'/'no' as bools)."""
    if text is None:
        return None
    text = text.strip()
    return text or None


ADAPTERS: dict[str, AgencyAdapter] = {
    "police": AgencyAdapter(POLICE_NOTIFICATION, "police.notification", Agency.POLICE),
}


def adapter_for(agency: str) -> AgencyAdapter:
    """The adapter for an agency name; KeyError names the agencies there are."""
    try:
        return ADAPTERS[agency]
    except KeyError:
        raise KeyError(f"no agency {agency!r}; known: {', '.join(ADAPTERS)}") from None
