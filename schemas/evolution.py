"""Schema evolution: every version must read data written by all earlier ones.

BACKWARD_TRANSITIVE, checked with the avro library's ReaderWriterCompatibilityChecker, so a
consumer on the newest schema can always read an old event on the topic.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import avro.schema
from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType

from schemas.contracts import CONTRACTS, Contract, SchemaVersion

__all__ = ["Incompatibility", "check_contracts", "check_versions"]


@dataclass(frozen=True)
class Incompatibility:
    """A newer version that cannot read what an older one wrote, and where."""

    fullname: str
    reader: int
    writer: int
    field: str
    problem: str

    def __str__(self) -> str:
        return (
            f"{self.fullname}: v{self.reader} cannot read v{self.writer}: "
            f"field {self.field!r}: {self.problem}"
        )


def check_versions(versions: Sequence[SchemaVersion]) -> list[Incompatibility]:
    """Each version against every earlier one (backward, transitive)."""
    found = []
    for i, reader in enumerate(versions):
        for writer in versions[:i]:
            found += _check(reader, writer)
    return found


def check_contracts(contracts: Sequence[Contract[Any]] = CONTRACTS) -> list[Incompatibility]:
    """Every shipped contract's versions."""
    return [problem for c in contracts for problem in check_versions(c.versions)]


def _check(reader: SchemaVersion, writer: SchemaVersion) -> list[Incompatibility]:
    checker = ReaderWriterCompatibilityChecker()  # type: ignore[no-untyped-call]  # avro ships no annotation on __init__
    result = checker.get_compatibility(
        avro.schema.parse(json.dumps(reader.schema)), avro.schema.parse(json.dumps(writer.schema))
    )
    if result.compatibility is SchemaCompatibilityType.compatible:
        return []
    kinds = ", ".join(sorted(k.value.replace("_", " ") for k in result.incompatibilities))
    detail = f"{kinds} ({', '.join(sorted(result.messages))})"
    return [
        Incompatibility(
            reader.fullname,
            reader.version,
            writer.version,
            _field_at(reader.schema, location),
            detail,
        )
        for location in sorted(result.locations)
    ]


def _field_at(schema: Any, location: str) -> str:
    """The dotted field path of a JSON-pointer-like location such as /fields/20/type/symbols."""
    names: list[str] = []
    node = schema
    parts = [p for p in location.split("/") if p]
    for part, following in zip(parts, [*parts[1:], None], strict=True):
        if isinstance(node, list) and part.isdigit():
            node = node[int(part)]
            if isinstance(node, dict) and "name" in node and following != "symbols":
                names.append(node["name"])
        elif isinstance(node, dict) and part in node:
            node = node[part]
    return ".".join(names) or "(record)"
