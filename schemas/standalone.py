"""Self-contained schema files for agencies (`mash schemas export DIR`): one file per topic
and version that any Avro library loads on its own, with the fingerprint its events carry.

For each contract topic and version, ``DIR`` gets:

- ``<topic>.v<N>.avsc``: the schema with every named type it uses inlined once, where first
  used (the same JSON the hub parses);
- ``<topic>.v<N>.fingerprint``: the 8 bytes, as hex, that follow ``C3 01`` in an event's
  single-object header: the CRC-64-AVRO fingerprint, little-endian, as the specification
  writes it;

and ``index.json`` lists them all with the deployment's topic names and the fingerprint as
the signed 64-bit number Java's ``SchemaNormalization.parsingFingerprint64`` returns.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from plumbing.settings import CommonSettings
from schemas.contracts import AGENCY_CONTRACTS, CONTRACTS, Contract, SchemaVersion
from schemas.framing import SINGLE_OBJECT, single_object_header

__all__ = ["ExportedSchema", "export_schemas", "fingerprint_bytes"]


@dataclass(frozen=True)
class ExportedSchema:
    """One exported schema version, as listed in ``index.json``."""

    topic: str
    published_by: str
    """``agency`` for the topics agencies publish to, ``hub`` for the hub's outputs."""
    schema: str
    version: int
    latest: bool
    file: str
    fingerprint: str
    """Hex of the 8 bytes after ``C3 01`` in the single-object header."""
    fingerprint_int64: int
    """The same fingerprint as Java's ``SchemaNormalization.parsingFingerprint64`` gives it."""


def fingerprint_bytes(version: SchemaVersion) -> bytes:
    """The version's fingerprint in the order the single-object header carries it."""
    return single_object_header(version).removeprefix(SINGLE_OBJECT)


def export_schemas(directory: Path, settings: CommonSettings) -> list[ExportedSchema]:
    """Write every contract version's self-contained schema and fingerprint, and the index."""
    directory.mkdir(parents=True, exist_ok=True)
    exported = [_export(directory, settings, c, v) for c in CONTRACTS for v in c.versions]
    index = [asdict(e) for e in exported]
    (directory / "index.json").write_text(json.dumps(index, indent=2) + "\n")
    return exported


def _export(
    directory: Path, settings: CommonSettings, contract: Contract[Any], version: SchemaVersion
) -> ExportedSchema:
    stem = f"{contract.topic}.v{version.version}"
    fingerprint = fingerprint_bytes(version)
    (directory / f"{stem}.avsc").write_text(json.dumps(version.schema, indent=2) + "\n")
    (directory / f"{stem}.fingerprint").write_text(fingerprint.hex() + "\n")
    return ExportedSchema(
        topic=settings.topic(contract.topic),
        published_by="agency" if contract in AGENCY_CONTRACTS else "hub",
        schema=version.fullname,
        version=version.version,
        latest=version.version == contract.latest.version,
        file=f"{stem}.avsc",
        fingerprint=fingerprint.hex(),
        fingerprint_int64=int.from_bytes(fingerprint, "little", signed=True),
    )
