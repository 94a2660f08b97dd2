"""Contracts: each topic's versioned Avro schemas and pydantic model, and their adapters.

Schemas live in ``schemas/avro``: shared named types as ``<fullname>.avsc`` and each event's
versions as ``<fullname>.v<N>.avsc``. A version is made self-contained by inlining the named
types it refers to (the first use defines a type, later uses refer to it), so the same JSON
serves fastavro on the hot path and the avro library's compatibility checker.
"""

from __future__ import annotations

import copy
import io
import json
import re
from dataclasses import dataclass
from functools import cache, cached_property
from importlib import resources
from typing import Any, Generic, TypeVar, cast

import fastavro
from fastavro.schema import fingerprint, parse_schema, to_parsing_canonical_form
from pydantic import BaseModel, ValidationError

from plumbing.errors import DecodeError, InvalidRecord
from schemas.alerts import Alert
from schemas.childrens_services import (
    Assessment,
    CafCompleted,
    ChildDeathReviewed,
    ChildProtectionPlanEnded,
    ChildProtectionPlanStarted,
    Contact,
    LinkageDecision,
    LookedAfterEpisodeEnded,
    LookedAfterEpisodeStarted,
    MashDecision,
    PlacementChanged,
    Referral,
    ResearchRequest,
    ResearchResponse,
)
from schemas.common import ValidationClock
from schemas.community_safety import MaracCase
from schemas.education import EducationConcern
from schemas.health import HealthNotification
from schemas.hub import EpisodeSnapshot, Link, PossibleMatch
from schemas.lado import LadoAllegation
from schemas.metrics import ContactCount
from schemas.police import PoliceNotification
from schemas.probation import ProbationNotification

__all__ = [
    "AGENCY_CONTRACTS",
    "ALERT",
    "CONSOLE_ACTIONS",
    "CONTACT_COUNT",
    "CONTRACTS",
    "EPISODE",
    "EPISODE_FENCE",
    "EPISODE_SWEEP",
    "FENCE_SEEN_HEADER",
    "IDENTITIES",
    "LINK",
    "LINKAGE_DECISION",
    "POLICE_NOTIFICATION",
    "POSSIBLE_MATCH",
    "Contract",
    "SchemaVersion",
    "describe_errors",
    "schema_json",
]

M = TypeVar("M", bound=BaseModel)
_VERSIONED = re.compile(r"^(?P<fullname>.+)\.v(?P<version>\d+)\.avsc$")
_NAMED = {"record", "enum", "fixed"}


@dataclass(frozen=True)
class SchemaVersion:
    """One version of a contract's schema, self-contained."""

    fullname: str
    version: int
    schema: dict[str, Any]
    """The schema as JSON, with every named type it uses inlined once."""

    @cached_property
    def parsed(self) -> dict[str, Any]:
        """The schema parsed by fastavro."""
        return cast(dict[str, Any], parse_schema(copy.deepcopy(self.schema)))

    @cached_property
    def fingerprint(self) -> int:
        """The CRC-64-AVRO fingerprint of its parsing canonical form (unsigned; Java's
        ``SchemaNormalization.parsingFingerprint64`` is the same 64 bits, signed)."""
        # fastavro gives the fingerprint's bytes little-endian, as the specification writes them
        digest = fingerprint(to_parsing_canonical_form(self.parsed), "CRC-64-AVRO")
        return int.from_bytes(bytes.fromhex(digest), "little")


@dataclass(frozen=True)
class Contract(Generic[M]):
    """One topic's contract: its schema versions on the wire and its model in the code."""

    topic: str
    fullname: str
    model: type[M]

    @property
    def versions(self) -> tuple[SchemaVersion, ...]:
        """Every shipped version, oldest first."""
        return schema_versions(self.fullname)

    @property
    def latest(self) -> SchemaVersion:
        """The version producers write and consumers read into."""
        return self.versions[-1]

    @property
    def raw_schema(self) -> dict[str, Any]:
        """The latest schema as JSON."""
        return self.latest.schema

    def to_avro(self, record: M) -> dict[str, Any]:
        """The Avro datum for a model (enums as symbols, logical types as Python values)."""
        return record.model_dump(mode="python")

    def from_avro(self, datum: dict[str, Any], clock: ValidationClock | None = None) -> M:
        """The validated model for an Avro datum; raises InvalidRecord naming the fields."""
        try:
            return self.model.model_validate(datum, context=clock or ValidationClock())
        except ValidationError as exc:
            raise InvalidRecord(describe_errors(exc)) from exc

    def body(self, record: M) -> bytes:
        """The record's Avro binary body in the latest schema (no framing)."""
        buf = io.BytesIO()
        fastavro.schemaless_writer(buf, self.latest.parsed, self.to_avro(record))
        return buf.getvalue()

    def read_body(self, body: bytes, writer: SchemaVersion, clock: ValidationClock | None) -> M:
        """Decode a body written with ``writer`` into the latest schema, then validate."""
        stream = io.BytesIO(body)
        try:
            datum = fastavro.schemaless_reader(stream, writer.parsed, self.latest.parsed)
        except Exception as exc:  # fastavro raises assorted errors on corrupt bodies
            raise DecodeError(f"corrupt Avro body for {self.topic}: {type(exc).__name__}") from exc
        if stream.tell() != len(body) or not isinstance(datum, dict):
            raise DecodeError(f"corrupt Avro body for {self.topic}: trailing bytes")
        return self.from_avro(datum, clock)


def _avro_dir() -> Any:
    return resources.files("schemas").joinpath("avro")


@cache
def _files() -> dict[str, dict[str, Any]]:
    return {
        f.name: json.loads(f.read_text()) for f in _avro_dir().iterdir() if f.name.endswith(".avsc")
    }


@cache
def _named_types() -> dict[str, dict[str, Any]]:
    """Shared named types: every schema file that is not an event version."""
    return {
        name.removesuffix(".avsc"): schema
        for name, schema in _files().items()
        if not _VERSIONED.match(name)
    }


def schema_json(schema: Any, library: dict[str, dict[str, Any]] | None = None) -> Any:
    """``schema`` with each named type from ``library`` inlined where it is first used."""
    return _inline(copy.deepcopy(schema), library or _named_types(), set(), "")


def _inline(node: Any, library: dict[str, Any], defined: set[str], namespace: str) -> Any:
    if isinstance(node, str):
        full = node if "." in node else f"{namespace}.{node}" if namespace else node
        if full in library and full not in defined:
            return _inline(copy.deepcopy(library[full]), library, defined, namespace)
        return node
    if isinstance(node, list):
        return [_inline(item, library, defined, namespace) for item in node]
    if not isinstance(node, dict):
        return node
    if isinstance(node.get("type"), str) and node["type"] in _NAMED and "name" in node:
        namespace = node.get("namespace", namespace)
        name = node["name"]
        defined.add(name if "." in name else f"{namespace}.{name}")
    out = {}
    for key, value in node.items():
        if key in ("type", "items", "values", "fields"):
            out[key] = _inline(value, library, defined, namespace)
        else:
            out[key] = value
    return out


@cache
def schema_versions(fullname: str) -> tuple[SchemaVersion, ...]:
    """Every version of an event schema, oldest first."""
    found = []
    for name, raw in _files().items():
        match = _VERSIONED.match(name)
        if match and match["fullname"] == fullname:
            found.append(SchemaVersion(fullname, int(match["version"]), schema_json(raw)))
    if not found:
        raise KeyError(f"no schema {fullname}.v<N>.avsc in schemas/avro")
    return tuple(sorted(found, key=lambda v: v.version))


def _contract(topic: str, model: type[M], namespace: str) -> Contract[M]:
    return Contract(topic, f"uk.mashhub.{namespace}.{model.__name__}", model)


POLICE_NOTIFICATION = _contract("police.notifications", PoliceNotification, "police")
CONTACT_COUNT = _contract("metrics.contacts", ContactCount, "metrics")
LINK = _contract("hub.links", Link, "hub")
POSSIBLE_MATCH = _contract("hub.reviews", PossibleMatch, "hub")
EPISODE = _contract("analysts.episodes", EpisodeSnapshot, "hub")
ALERT = _contract("hub.alerts", Alert, "hub")
"""The hub's wall-clock RAG alerts (warning, breach) on open episodes."""
EPISODE_SWEEP = b"__sweep__"
"""Key of the marker on the episodes topic after a republication: older episodes of that
partition are gone."""
EPISODE_FENCE = b"__fence__"
"""Key of the marker a linkage owner sends on every episodes partition as it restores, before
anything else: its epoch in ``mash.version``, and in ``FENCE_SEEN_HEADER`` the highest
version its restore read of the linkage table. A version between the two is an older owner's
batch the new owner never had: the sinks drop such episodes, whenever they arrive."""
FENCE_SEEN_HEADER = "mash.seen"
LINKAGE_DECISION = _contract(
    "childrens_services.linkage_decisions", LinkageDecision, "childrens_services"
)
"""A reviewer's decision on a pair of linkage records (published as children's services)."""
IDENTITIES = "hub.identities"
"""The validated, de-duplicated agency events as published (linkage's input, the facts' source):
one partition, so one index sees every child."""

AGENCY_CONTRACTS: tuple[Contract[Any], ...] = (
    POLICE_NOTIFICATION,
    _contract("health.notifications", HealthNotification, "health"),
    _contract("probation.notifications", ProbationNotification, "probation"),
    _contract("education.concerns", EducationConcern, "education"),
    _contract("community_safety.marac_cases", MaracCase, "community_safety"),
    _contract("childrens_services.contacts", Contact, "childrens_services"),
    _contract("childrens_services.research_requests", ResearchRequest, "childrens_services"),
    _contract("childrens_services.research_responses", ResearchResponse, "childrens_services"),
    _contract("childrens_services.mash_decisions", MashDecision, "childrens_services"),
    _contract("childrens_services.referrals", Referral, "childrens_services"),
    _contract("childrens_services.assessments", Assessment, "childrens_services"),
    _contract(
        "childrens_services.cp_plans_started", ChildProtectionPlanStarted, "childrens_services"
    ),
    _contract("childrens_services.cp_plans_ended", ChildProtectionPlanEnded, "childrens_services"),
    _contract(
        "childrens_services.lac_episodes_started", LookedAfterEpisodeStarted, "childrens_services"
    ),
    _contract("childrens_services.lac_placements_changed", PlacementChanged, "childrens_services"),
    _contract(
        "childrens_services.lac_episodes_ended", LookedAfterEpisodeEnded, "childrens_services"
    ),
    _contract("childrens_services.cafs_completed", CafCompleted, "childrens_services"),
    _contract("childrens_services.child_deaths_reviewed", ChildDeathReviewed, "childrens_services"),
    _contract("lado.allegations", LadoAllegation, "lado"),
    LINKAGE_DECISION,
)
CONSOLE_ACTIONS: tuple[Contract[Any], ...] = tuple(
    c for c in AGENCY_CONTRACTS if c.model in (Contact, ResearchRequest, MashDecision)
)
"""What an analyst does in the console, as children's services events: set or change the RAG
rating (a contact), request partner research, record the MASH decision."""
CONTRACTS: tuple[Contract[Any], ...] = (
    *AGENCY_CONTRACTS,
    CONTACT_COUNT,
    LINK,
    POSSIBLE_MATCH,
    EPISODE,
    ALERT,
)


def describe_errors(exc: ValidationError) -> str:
    """Pydantic's errors as '<field path>: <message>' joined by '; ', without input values."""
    parts = []
    for err in exc.errors(include_input=False, include_url=False):
        where = ".".join(str(p) for p in err["loc"]) or "record"
        parts.append(f"{where}: {err['msg'].removeprefix('Value error, ')}")
    return "; ".join(parts)
