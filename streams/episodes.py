"""Stage 4: join a child's notifications into MASH episodes, with a RAG clock.

Notifications about one child within the window of an episode's first notification are one
episode (police, A&E and school about the same incident); the MASH contact, partner research
and decision join the episode of their contact. An episode is a function of the child's
events, so it is rebuilt whenever they change (a new event, or a merge of two persons).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Iterator, MutableMapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from zoneinfo import ZoneInfo

import holidays

from schemas.event_types import PARTNER_NOTIFICATIONS, EventType
from schemas.hub import EpisodeEvent, EpisodeSnapshot

__all__ = [
    "Episode",
    "EpisodesOf",
    "EventSummary",
    "RagPolicy",
    "build_episodes",
    "due_at",
    "episode_id",
    "group_episodes",
]

JOINS_BY_WINDOW = frozenset({*PARTNER_NOTIFICATIONS, EventType.CONTACT})
"""What opens an episode, or joins it within the window of its first: the partners'
notifications and the MASH contact."""
JOINS_BY_CONTACT = frozenset(
    {
        EventType.RESEARCH_REQUEST,
        EventType.RESEARCH_RESPONSE,
        EventType.MASH_DECISION,
        EventType.REFERRAL,
    }
)
"""What joins the episode of its contact (by ``contact_id``), whenever it happens."""


@dataclass(slots=True, unsafe_hash=True)
class EventSummary:
    """What episodes need of one event (ids, times and codes; no personal data).

    Never changed once made, but not frozen: a restore makes one per record, and a frozen
    dataclass's ``__init__`` takes about four times as long (hashed by value all the same)."""

    event_id: str
    event_type: str
    agency: str
    agency_record_id: str
    occurred_at: dt.datetime
    contact_id: str | None = None
    rag_rating: str | None = None
    decision: str | None = None
    digest: str = ""
    """What the record says (``dedupe.content_digest``): tells a re-submission from news."""
    tenant: str | None = None
    """The event's tenant (None in linkage state stored before tenants were kept)."""


class Hours(StrEnum):
    """Whether RAG timescales count every hour or working hours only."""

    CALENDAR = "calendar"
    WORKING = "working"


@dataclass(frozen=True)
class RagPolicy:
    """The local RAG timescales (e.g. 4/24/72 hours, or 2/6/24) and how hours count."""

    hours: dict[str, float] = field(default_factory=lambda: {"RED": 4, "AMBER": 24, "GREEN": 72})
    counting: Hours = Hours.CALENDAR
    window: dt.timedelta = dt.timedelta(hours=72)
    """Notifications within this long of an episode's first one join it."""
    day: tuple[int, int] = (9, 17)
    """Working hours (start, end), Europe/London time, Monday to Friday but bank holidays."""


def due_at(received: dt.datetime, rating: str, policy: RagPolicy) -> dt.datetime:
    """When a decision on a contact received at ``received`` is due."""
    hours = policy.hours[rating]
    if policy.counting is Hours.CALENDAR:
        return received + dt.timedelta(hours=hours)
    return _add_working_hours(received, dt.timedelta(hours=hours), policy.day)


def _add_working_hours(start: dt.datetime, left: dt.timedelta, day: tuple[int, int]) -> dt.datetime:
    """``start`` plus ``left`` counted in working hours: ``day`` on Monday to Friday in
    Europe/London (so summer time moves them in UTC), not on England and Wales bank holidays."""
    zone = start.tzinfo or dt.UTC
    at = (start if start.tzinfo else start.replace(tzinfo=dt.UTC)).astimezone(LONDON)
    at = at.replace(tzinfo=None)  # wall-clock arithmetic, localised again at the end
    while True:
        opens = at.replace(hour=day[0], minute=0, second=0, microsecond=0)
        closes = at.replace(hour=day[1], minute=0, second=0, microsecond=0)
        if not _working_day(at.date()) or at >= closes:
            at = opens + dt.timedelta(days=1)
            continue
        at = max(at, opens)
        if at + left <= closes:
            return (at + left).replace(tzinfo=LONDON).astimezone(zone)
        left -= closes - at
        at = opens + dt.timedelta(days=1)


LONDON = ZoneInfo("Europe/London")
_BANK_HOLIDAYS = holidays.country_holidays("GB", subdiv="ENG")
"""England and Wales bank holidays (the ``holidays`` package; England's list is Wales's)."""


def _working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in _BANK_HOLIDAYS


def build_episodes(
    person_id: str, events: Iterable[EventSummary], policy: RagPolicy, now: dt.datetime
) -> list[EpisodeSnapshot]:
    """Every episode of one child, as of event time ``now`` (for clocks still running)."""
    return [e.snapshot() for e in group_episodes(person_id, events, policy, now)]


def group_episodes(
    person_id: str, events: Iterable[EventSummary], policy: RagPolicy, now: dt.datetime
) -> list[Episode]:
    """Every episode of one child as the hub keeps it (``Episode.snapshot`` for the model)."""
    ordered = sorted(events, key=lambda e: (e.occurred_at, e.event_id))
    groups: list[list[EventSummary]] = []
    for event in (e for e in ordered if e.event_type in JOINS_BY_WINDOW):
        if groups and event.occurred_at - groups[-1][0].occurred_at <= policy.window:
            groups[-1].append(event)
        else:
            groups.append([event])
    by_contact = {
        e.contact_id: n
        for n, g in enumerate(groups)
        for e in g
        if e.event_type == EventType.CONTACT and e.contact_id
    }
    for event in ordered:
        if event.event_type in JOINS_BY_CONTACT and event.contact_id in by_contact:
            groups[by_contact[event.contact_id]].append(event)
    return [_episode(person_id, group, policy, now) for group in groups]


def episode_id(person_id: str, first_event_id: str) -> str:
    """The id of a person's episode opened by an event (stable while both stand)."""
    digest = hashlib.sha256(f"{person_id}|{first_event_id}".encode()).hexdigest()[:20]
    return f"E{digest}"


@dataclass(frozen=True, slots=True)
class Episode:
    """An episode as the hub keeps it in memory: its events (the summaries the hub holds
    anyway) and its clock, a few hundred bytes; equal exactly when the snapshots are."""

    episode_id: str
    person_id: str
    events: tuple[EventSummary, ...]
    """In episode order: by time, then event id."""
    contact: EventSummary | None
    decision: EventSummary | None
    due_at: dt.datetime | None
    breached: bool

    @property
    def decided_at(self) -> dt.datetime | None:
        """When the MASH decision was made, if it was."""
        return self.decision.occurred_at if self.decision else None

    def snapshot(self) -> EpisodeSnapshot:
        """The episode as the analysts see it."""
        contact, decision, group = self.contact, self.decision, self.events
        return EpisodeSnapshot(
            episode_id=self.episode_id,
            person_id=self.person_id,
            opened_at=group[0].occurred_at,
            events=tuple(
                EpisodeEvent(
                    event_id=e.event_id,
                    event_type=e.event_type,
                    agency=e.agency,
                    agency_record_id=e.agency_record_id,
                    occurred_at=e.occurred_at,
                )
                for e in group
            ),
            agencies=tuple(
                sorted({e.agency for e in group if e.event_type in PARTNER_NOTIFICATIONS})
            ),
            contact_id=contact.contact_id if contact else None,
            rag_rating=contact.rag_rating if contact else None,
            received_at=contact.occurred_at if contact else None,
            due_at=self.due_at,
            decided_at=self.decided_at,
            decision=decision.decision if decision else None,
            research_responses=sum(e.event_type == EventType.RESEARCH_RESPONSE for e in group),
            breached=self.breached,
            tenants=tuple(sorted({e.tenant for e in group if e.tenant})),
        )


def _episode(
    person_id: str, group: Sequence[EventSummary], policy: RagPolicy, now: dt.datetime
) -> Episode:
    first = group[0]
    contact = next((e for e in group if e.event_type == EventType.CONTACT), None)
    decision = next((e for e in group if e.event_type == EventType.MASH_DECISION), None)
    due = (
        due_at(contact.occurred_at, contact.rag_rating, policy)
        if contact and contact.rag_rating
        else None
    )
    decided = decision.occurred_at if decision else None
    breached = due is not None and (decided > due if decided else now > due)
    return Episode(
        episode_id(person_id, first.event_id),
        person_id,
        tuple(sorted(group, key=lambda e: (e.occurred_at, e.event_id))),
        contact,
        decision,
        due,
        breached,
    )


class EpisodesOf(MutableMapping[str, tuple[str, ...]]):
    """person id -> the ids of its current episodes, some built only when first needed.

    After a restore, the persons with no running clock are ``pending``: nothing needs their
    episodes until a change touches them or they are read, so they are built then (a fifth
    of a restore's time, an eighth of its memory). Reading a pending person builds its episodes from
    its records then (``build(person, None)``); a change that moves records must first build
    them from the records the person had before it (``build(person, those records)``).
    """

    def __init__(self, build: Callable[[str, Iterable[str] | None], None]) -> None:
        self._ids: dict[str, tuple[str, ...]] = {}
        self.pending: set[str] = set()
        self.build = build

    def ready(self, person: str, members: Iterable[str] | None = None) -> None:
        """Build a pending person's episodes (from ``members``, or its records now)."""
        if person in self.pending:
            self.pending.discard(person)
            self.build(person, members)

    def set_aside(self, keep: set[str]) -> list[str]:
        """Make every built person but those of ``keep`` pending again (its episodes built
        when next needed); the ids of the episodes they had, for their holder to let go."""
        gone = [p for p in self._ids if p not in keep]
        self.pending.update(gone)
        return [e for p in gone for e in self._ids.pop(p)]

    def ready_all(self) -> None:
        """Build every pending person's episodes."""
        for person in list(self.pending):
            self.ready(person)

    def __getitem__(self, person: str) -> tuple[str, ...]:
        self.ready(person)
        return self._ids[person]

    def __setitem__(self, person: str, ids: tuple[str, ...]) -> None:
        self._ids[person] = ids

    def __delitem__(self, person: str) -> None:
        self.ready(person)
        del self._ids[person]

    def __iter__(self) -> Iterator[str]:
        self.ready_all()
        return iter(self._ids)

    def __len__(self) -> int:
        self.ready_all()
        return len(self._ids)
