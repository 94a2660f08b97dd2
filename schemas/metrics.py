"""Metric snapshots the hub publishes for the sinks."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, field_validator

__all__ = ["ContactCount"]

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class ContactCount(BaseModel):
    """Contacts from one agency in one month, counted on one source partition."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    agency: str
    month: str
    partition: int
    contacts: int

    @field_validator("month")
    @classmethod
    def _month(cls, value: str) -> str:
        if not _MONTH.match(value):
            raise ValueError("month must be YYYY-MM")
        return value

    @property
    def key(self) -> str:
        """The table and topic key."""
        return self.key_of(self.agency, self.month, self.partition)

    @staticmethod
    def key_of(agency: str, month: str, partition: int) -> str:
        """The key of one (agency, month, partition) cell."""
        return f"{agency}|{month}|{partition}"
