"""Contracts: a topic's Avro schema and pydantic model, their adapters, and the wire framing.

Events are framed with Avro single-object encoding (``C3 01`` + the schema's CRC-64-AVRO
fingerprint, little-endian, then the Avro body), so any consumer can tell which schema wrote
them without a registry.
"""

from __future__ import annotations

import io
import json
import struct
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Generic, TypeVar, cast

import fastavro
from fastavro.schema import fingerprint, parse_schema, to_parsing_canonical_form
from pydantic import BaseModel, ValidationError

from mash.errors import DecodeError, InvalidRecord
from schemas.common import ValidationClock
from schemas.metrics import ContactCount
from schemas.police import PoliceNotification

__all__ = [
    "AGENCY_CONTRACTS",
    "CONTACT_COUNT",
    "CONTRACTS",
    "POLICE_NOTIFICATION",
    "Contract",
    "decode",
    "describe_errors",
]

M = TypeVar("M", bound=BaseModel)

SINGLE_OBJECT_MAGIC = b"\xc3\x01"
_HEADER = struct.Struct("<2sQ")


@dataclass(frozen=True)
class Contract(Generic[M]):
    """One topic's contract: the Avro schema on the wire and the model in the code."""

    topic: str
    schema_file: str
    model: type[M]

    @property
    def schema(self) -> dict[str, Any]:
        """The parsed Avro schema."""
        return _load(self.schema_file)[0]

    @property
    def raw_schema(self) -> dict[str, Any]:
        """The Avro schema as written in its .avsc file."""
        return _load(self.schema_file)[2]

    @property
    def fingerprint(self) -> int:
        """The schema's CRC-64-AVRO fingerprint."""
        return _load(self.schema_file)[1]

    def to_avro(self, record: M) -> dict[str, Any]:
        """The Avro datum for a model (enums as symbols, logical types as Python values)."""
        return record.model_dump(mode="python")

    def from_avro(self, datum: dict[str, Any], clock: ValidationClock | None = None) -> M:
        """The validated model for an Avro datum; raises pydantic's ValidationError."""
        return self.model.model_validate(datum, context=clock or ValidationClock())

    def encode(self, record: M) -> bytes:
        """The record framed as an Avro single object."""
        buf = io.BytesIO()
        buf.write(_HEADER.pack(SINGLE_OBJECT_MAGIC, self.fingerprint))
        fastavro.schemaless_writer(buf, self.schema, self.to_avro(record))
        return buf.getvalue()


@cache
def _load(schema_file: str) -> tuple[dict[str, Any], int, dict[str, Any]]:
    raw = json.loads(resources.files("schemas").joinpath("avro", schema_file).read_text())
    parsed = cast(dict[str, Any], parse_schema(raw))
    fp = int(fingerprint(to_parsing_canonical_form(parsed), "CRC-64-AVRO"), 16)
    return parsed, fp, raw


POLICE_NOTIFICATION: Contract[PoliceNotification] = Contract(
    "police.notifications", "uk.mashhub.police.PoliceNotification.v1.avsc", PoliceNotification
)
CONTACT_COUNT: Contract[ContactCount] = Contract(
    "metrics.contacts", "uk.mashhub.metrics.ContactCount.v1.avsc", ContactCount
)

CONTRACTS: tuple[Contract[Any], ...] = (POLICE_NOTIFICATION, CONTACT_COUNT)
AGENCY_CONTRACTS: tuple[Contract[Any], ...] = (POLICE_NOTIFICATION,)


@cache
def _by_fingerprint() -> dict[int, Contract[Any]]:
    return {c.fingerprint: c for c in CONTRACTS}


def decode(data: bytes, clock: ValidationClock | None = None) -> BaseModel:
    """Decode and validate one framed event; raises DecodeError or InvalidRecord with the reason."""
    if len(data) < _HEADER.size:
        raise DecodeError(f"{len(data)} bytes is too short for a framed Avro event")
    magic, fp = _HEADER.unpack_from(data)
    if magic != SINGLE_OBJECT_MAGIC:
        raise DecodeError(f"unknown framing {data[:2].hex()} (expected Avro single-object c301)")
    contract = _by_fingerprint().get(fp)
    if contract is None:
        raise DecodeError(f"unknown schema fingerprint {fp:016x}")
    body = io.BytesIO(data)
    body.seek(_HEADER.size)
    try:
        datum = fastavro.schemaless_reader(body, contract.schema, None)
    except Exception as exc:  # fastavro raises assorted errors on corrupt bodies
        raise DecodeError(f"corrupt Avro body for {contract.topic}: {type(exc).__name__}") from exc
    if body.tell() != len(data) or not isinstance(datum, dict):
        raise DecodeError(f"corrupt Avro body for {contract.topic}: trailing bytes")
    try:
        model: BaseModel = contract.from_avro(datum, clock)
    except ValidationError as exc:
        raise InvalidRecord(describe_errors(exc)) from exc
    return model


def describe_errors(exc: ValidationError) -> str:
    """Pydantic's errors as '<field path>: <message>' joined by '; ', without input values."""
    parts = []
    for err in exc.errors(include_input=False, include_url=False):
        where = ".".join(str(p) for p in err["loc"]) or "record"
        parts.append(f"{where}: {err['msg'].removeprefix('Value error, ')}")
    return "; ".join(parts)
