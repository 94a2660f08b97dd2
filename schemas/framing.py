"""Wire framing of events: Avro single-object encoding by default, Confluent with a registry.

- single object (the Avro specification's single-object encoding): ``C3 01`` + the writer
  schema's CRC-64-AVRO fingerprint (8 bytes, little-endian) + the Avro body. Needs no
  registry: every shipped schema version is known. Until issue 11 the hub wrote those 8 bytes
  reversed; a codec still reads that legacy form where it names a known version (unless
  ``accept_legacy`` is off), counts it per topic and logs ``framing.legacy_fingerprint`` once.
- Confluent: ``00`` + the registry's schema id (4 bytes, big-endian) + the Avro body, used
  when a schema registry is configured; the id is looked up once and cached.

Inside the hub, many framed events travel as one message (``pack``: each event's bytes behind
a 4-byte big-endian length), so a batch costs a few messages instead of one per event.

Consumers accept both. Bytes that fit neither, or name a schema no contract has, raise
DecodeError (the worker dead-letters them); a body that decodes but fails validation raises
InvalidRecord.
"""

from __future__ import annotations

import struct
import threading
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol

from pydantic import BaseModel

from plumbing.errors import DecodeError
from plumbing.logs import get_logger
from schemas.common import ValidationClock
from schemas.contracts import CONTRACTS, Contract, SchemaVersion, schema_json

__all__ = [
    "SINGLE_OBJECT",
    "Codec",
    "SchemaRegistry",
    "blocks",
    "decode",
    "encode",
    "pack",
    "single_object_header",
    "unpack",
]

log = get_logger(__name__)

SINGLE_OBJECT = b"\xc3\x01"
CONFLUENT = b"\x00"
_SINGLE = struct.Struct("<2sQ")
"""The single-object header: the marker, then the fingerprint as 8 bytes little-endian."""
_CONFLUENT = struct.Struct(">cI")
_LENGTH = struct.Struct(">I")


class SchemaRegistry(Protocol):
    """The two calls the hub needs of a Confluent-compatible schema registry."""

    def register(self, subject: str, schema: dict[str, Any]) -> int:
        """Register ``schema`` under ``subject`` (idempotent) and return its id."""
        ...

    def schema(self, schema_id: int) -> dict[str, Any] | None:
        """The schema with this id, or None if the registry has no such id."""
        ...


_Found = tuple[Contract[Any], SchemaVersion]


def single_object_header(version: SchemaVersion) -> bytes:
    """``C3 01`` and the version's fingerprint as 8 bytes little-endian (the specification's)."""
    return _SINGLE.pack(SINGLE_OBJECT, version.fingerprint)


def _reversed(known: Mapping[int, _Found]) -> dict[int, _Found]:
    """Each known version under its fingerprint with the 8 bytes reversed (the legacy header),
    except where that would be some version's true fingerprint."""
    swapped = {int.from_bytes(fp.to_bytes(8, "little"), "big"): v for fp, v in known.items()}
    return {fp: v for fp, v in swapped.items() if fp not in known}


class Codec:
    """Frames and unframes contract records; thread-safe, caches every lookup."""

    def __init__(self, registry: SchemaRegistry | None = None, accept_legacy: bool = True) -> None:
        self.registry = registry
        self.accept_legacy = accept_legacy
        self._by_fingerprint = {v.fingerprint: (c, v) for c in CONTRACTS for v in c.versions}
        self._legacy = _reversed(self._by_fingerprint)
        self._legacy_reads: Counter[str] = Counter()
        self._ids: dict[str, int] = {}
        self._by_id: dict[int, _Found | None] = {}
        self._lock = threading.Lock()

    @property
    def legacy_reads(self) -> dict[str, int]:
        """Events read with the legacy (reversed) fingerprint, per contract topic."""
        with self._lock:
            return dict(self._legacy_reads)

    def encode(self, contract: Contract[Any], record: BaseModel, topic: str) -> bytes:
        """The record framed for ``topic``: Confluent when a registry is set, else single object."""
        body = contract.body(record)
        if self.registry is None:
            return single_object_header(contract.latest) + body
        return _CONFLUENT.pack(CONFLUENT, self._schema_id(contract, topic)) + body

    def decode(self, data: bytes, clock: ValidationClock | None = None) -> BaseModel:
        """Decode and validate one framed event (DecodeError or InvalidRecord on bad input)."""
        if data[:2] == SINGLE_OBJECT and len(data) >= _SINGLE.size:
            contract, version = self._by_header(data)
            record: BaseModel = contract.read_body(data[_SINGLE.size :], version, clock)
            return record
        if data[:1] == CONFLUENT and len(data) >= _CONFLUENT.size:
            contract, version = self._by_schema_id(_CONFLUENT.unpack_from(data)[1])
            record = contract.read_body(data[_CONFLUENT.size :], version, clock)
            return record
        if len(data) < _CONFLUENT.size:
            raise DecodeError(f"{len(data)} bytes is too short for a framed Avro event")
        raise DecodeError(
            f"unknown framing {data[:2].hex()} (expected Avro single-object c301 or Confluent 00)"
        )

    def canonical(self, data: bytes) -> bytes:
        """``data`` as the specification frames it: a legacy (reversed) single-object header
        rewritten, anything else as it is. What the hub forwards is then readable by any
        Avro implementation, whatever framing the agency used during the transition."""
        if data[:2] != SINGLE_OBJECT or len(data) < _SINGLE.size:
            return data
        fp = _SINGLE.unpack_from(data)[1]
        if fp in self._by_fingerprint or fp not in self._legacy:
            return data
        return single_object_header(self._legacy[fp][1]) + data[_SINGLE.size :]

    def _by_header(self, data: bytes) -> _Found:
        fp = _SINGLE.unpack_from(data)[1]
        found = self._by_fingerprint.get(fp)
        if found is not None:
            return found
        legacy = self._legacy.get(fp)
        if legacy is None:
            raise DecodeError(f"unknown schema fingerprint {data[2:10].hex()} (bytes as written)")
        if not self.accept_legacy:
            raise DecodeError(
                f"unknown schema fingerprint {data[2:10].hex()} (bytes as written): the reversed, "
                f"legacy form of {legacy[1].fullname} v{legacy[1].version}, and "
                "MASH_ACCEPT_LEGACY_FINGERPRINT is off"
            )
        self._count_legacy(*legacy)
        return legacy

    def _count_legacy(self, contract: Contract[Any], version: SchemaVersion) -> None:
        with self._lock:
            self._legacy_reads[contract.topic] += 1
            first = self._legacy_reads[contract.topic] == 1
        if first:
            log.warning(
                "framing.legacy_fingerprint",
                topic=contract.topic,
                schema=version.fullname,
                version=version.version,
            )

    def _schema_id(self, contract: Contract[Any], topic: str) -> int:
        subject = f"{topic}-value"
        with self._lock:
            if subject not in self._ids:
                assert self.registry is not None
                self._ids[subject] = self.registry.register(subject, contract.latest.schema)
            return self._ids[subject]

    def _by_schema_id(self, schema_id: int) -> _Found:
        with self._lock:
            if schema_id not in self._by_id:
                self._by_id[schema_id] = self._lookup(schema_id)
            found = self._by_id[schema_id]
        if found is None:
            raise DecodeError(f"schema id {schema_id} is not a version of any contract")
        return found

    def _lookup(self, schema_id: int) -> _Found | None:
        if self.registry is None:
            raise DecodeError(
                "Confluent-framed record, but no schema registry is configured "
                "(MASH_SCHEMA_REGISTRY_URL)"
            )
        schema = self.registry.schema(schema_id)
        if schema is None:
            return None
        version = SchemaVersion("registry", schema_id, schema_json(schema))
        return self._by_fingerprint.get(version.fingerprint)


_DEFAULT = Codec()


def encode(contract: Contract[Any], record: BaseModel) -> bytes:
    """The record in Avro single-object framing (no registry needed)."""
    return _DEFAULT.encode(contract, record, contract.topic)


def decode(data: bytes, clock: ValidationClock | None = None) -> BaseModel:
    """Decode a single-object-framed event with the shipped schemas."""
    return _DEFAULT.decode(data, clock)


def blocks(items: Sequence[bytes], limit: int, overhead: int = 0) -> Iterator[list[bytes]]:
    """Consecutive items grouped so that each group's bytes (plus ``overhead`` per item) stay
    within ``limit``; an item larger than that travels alone."""
    block: list[bytes] = []
    size = 0
    for item in items:
        if block and size + len(item) + overhead > limit:
            yield block
            block, size = [], 0
        block.append(item)
        size += len(item) + overhead
    if block:
        yield block


def pack(frames: Sequence[bytes]) -> bytes:
    """Framed events as one message: each behind its 4-byte big-endian length."""
    return b"".join(_LENGTH.pack(len(f)) + f for f in frames)


def unpack(data: bytes) -> list[bytes]:
    """The framed events of a packed message (DecodeError if the lengths do not add up)."""
    frames, at = [], 0
    while at < len(data):
        if at + _LENGTH.size > len(data):
            raise DecodeError(f"packed events: {len(data) - at} stray bytes at the end")
        (length,) = _LENGTH.unpack_from(data, at)
        at += _LENGTH.size
        if at + length > len(data):
            raise DecodeError(f"packed events: a {length}-byte event runs past the end")
        frames.append(data[at : at + length])
        at += length
    return frames
