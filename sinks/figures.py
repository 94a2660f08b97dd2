"""What the indicator families share: the ``Figure`` rows they write, the facts and episodes
they read."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict

from schemas.event_types import EventType
from schemas.hub import EpisodeSnapshot
from sinks.facts import Fact

__all__ = [
    "EpisodeFlow",
    "EpisodeFlowEvent",
    "FactIndex",
    "Figure",
    "Figures",
    "Provenance",
    "provenance_of",
]


@dataclass(frozen=True, slots=True)
class Provenance:
    """When the board's figures were computed and from what (every report states it)."""

    computed_at: dt.datetime
    events: int
    """The agency records (facts) they were computed from."""
    latest_event: dt.datetime | None
    """When the latest of them was reported (None: no events)."""
    seconds: float | None = None
    """How long computing them took, the facts' read included (None: not recorded)."""


def provenance_of(facts: Iterable[Fact], computed_at: dt.datetime) -> Provenance:
    """The provenance of figures computed at ``computed_at`` from ``facts``."""
    reported = [f.reported_at for f in facts]
    return Provenance(computed_at, len(reported), max(reported, default=None))


class EpisodeFlowEvent(BaseModel):
    """What is read of one event of an episode (``EpisodeFlow``)."""

    model_config = ConfigDict(frozen=True)

    event_id: str
    event_type: str
    agency: str


class EpisodeFlow(BaseModel):
    """What the readers of every episode use of one (``schemas.hub.EpisodeSnapshot``): the
    MASH-flow figures, the manager's queue health, the links export. Read from the stored
    snapshot's JSON, the rest of it passed over, without the contract's own checks (the
    snapshot passed them when it was stored). At a million episodes reading them whole was
    most of a minute and 3.4 GB, the largest part of computing the figures."""

    model_config = ConfigDict(frozen=True)

    episode_id: str
    opened_at: dt.datetime
    events: tuple[EpisodeFlowEvent, ...]
    rag_rating: str | None = None
    received_at: dt.datetime | None = None
    due_at: dt.datetime | None = None
    decided_at: dt.datetime | None = None

    @classmethod
    def of(cls, snapshot: EpisodeSnapshot) -> EpisodeFlow:
        """The flow of a whole snapshot."""
        fields = {f: True for f in cls.model_fields}
        events = {"__all__": {f: True for f in EpisodeFlowEvent.model_fields}}
        return cls.model_validate(snapshot.model_dump(include={**fields, "events": events}))


@dataclass(frozen=True, slots=True)
class Figure:
    """One value of one indicator, for one period and dimension."""

    indicator: str
    period: str
    dimension: str
    value: float
    numerator: int | None = None
    denominator: int | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.indicator, self.period, self.dimension)


def _percent(numerator: int, denominator: int) -> float:
    return round(100 * numerator / denominator, 1) if denominator else 0.0


@dataclass
class FactIndex:
    """Facts by event type, and the persons of linked events."""

    by_type: dict[str, list[Fact]] = field(default_factory=lambda: defaultdict(list))
    person: Mapping[str, str] = field(default_factory=dict)

    def of(self, event_type: EventType) -> list[Fact]:
        """The facts of one event type."""
        return self.by_type.get(event_type, [])


@dataclass
class Figures:
    """The figures computed so far, as counts and as rates (percentages)."""

    figures: list[Figure] = field(default_factory=list)

    def count(self, indicator: str, period: str, counts: Mapping[str, int]) -> None:
        self.figures += [Figure(indicator, period, d, float(n)) for d, n in counts.items()]

    def rate(self, indicator: str, period: str, dimension: str, num: int, den: int) -> None:
        self.figures.append(Figure(indicator, period, dimension, _percent(num, den), num, den))
