"""The MASH manager's queue health, from the episodes and facts the sinks keep (counts and
durations only): open episodes by RAG, breaches today, the median time from contact to
decision, and partner research overdue by agency."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sinks.facts import Fact
from sinks.figures import EpisodeFlow

__all__ = ["RESEARCH", "QueueHealth", "queue_health"]

RESEARCH = ("childrens_services.research_request", "childrens_services.research_response")
"""The facts queue health reads: requests for partner research and the agencies' answers."""

LONDON = ZoneInfo("Europe/London")
"""The MASH's day (breaches today) is London's."""


@dataclass(frozen=True)
class QueueHealth:
    """The queue's figures at ``at``."""

    at: dt.datetime
    open_by_rag: dict[str, int]
    breaches_today: int
    decided: int
    median_to_decision: dt.timedelta | None
    research_overdue: dict[str, int]


def queue_health(
    flows: Sequence[EpisodeFlow], facts: Sequence[Fact], now: dt.datetime
) -> QueueHealth:
    """The figures of the episodes' ``flows``; ``facts`` give the research requests and
    responses (``RESEARCH``: no other fact is read). A breach today is an episode whose
    clock ran out today (London) before it was decided."""
    open_ = [s for s in flows if s.decided_at is None]
    by_rag = Counter(s.rag_rating or "not rated" for s in open_)
    today = now.astimezone(LONDON).date()
    breaches = sum(
        1
        for s in flows
        if s.due_at is not None
        and s.due_at.astimezone(LONDON).date() == today
        and s.due_at <= now
        and (s.decided_at is None or s.decided_at > s.due_at)
    )
    waits = [
        s.decided_at - (s.received_at or s.opened_at) for s in flows if s.decided_at is not None
    ]
    median = (
        dt.timedelta(seconds=statistics.median(w.total_seconds() for w in waits)) if waits else None
    )
    return QueueHealth(
        now,
        {r: by_rag.get(r, 0) for r in ("RED", "AMBER", "GREEN", "not rated")},
        breaches,
        len(waits),
        median,
        _overdue(facts, now),
    )


def _overdue(facts: Sequence[Fact], now: dt.datetime) -> dict[str, int]:
    """Requested agencies that have not answered a request whose due time has passed."""
    answered = {
        (f.data["contact_id"], f.data["responding_agency"])
        for f in facts
        if f.event_type == RESEARCH[1]
    }
    overdue: Counter[str] = Counter()
    for f in facts:
        if f.event_type != RESEARCH[0] or "due_at" not in f.data:
            continue
        if dt.datetime.fromisoformat(f.data["due_at"]) > now:
            continue
        for agency in f.data["requested_agencies"]:
            if (f.data["contact_id"], agency) not in answered:
                overdue[agency] += 1
    return dict(sorted(overdue.items()))
