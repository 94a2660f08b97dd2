"""The manager's queue health reads only what it counts: the research facts of the store and
the episodes' flows, whatever else the store holds."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from console.manager import RESEARCH, queue_health
from sinks.facts import Fact
from sinks.store import Store

_NOW = dt.datetime(2013, 1, 10, 12, tzinfo=dt.UTC)


def _fact(n: int, event_type: str, agency: str, **data: object) -> Fact:
    day = dt.date(2013, 1, 8)
    at = dt.datetime(2013, 1, 8, 9, tzinfo=dt.UTC)
    return Fact(f"{agency}|R{n}", f"e{n}", event_type, agency, day, at, f"d{n}", data)


def test_research_overdue_is_counted_from_the_research_facts_alone(tmp_path: Path) -> None:
    request = dict(contact_id="C1", requested_agencies=["POLICE", "HEALTH", "EDUCATION"])
    facts = [
        _fact(1, RESEARCH[0], "CHILDRENS_SERVICES", **request, due_at="2013-01-09T12:00:00+00:00"),
        _fact(2, RESEARCH[1], "POLICE", contact_id="C1", responding_agency="POLICE"),
        _fact(
            3,
            RESEARCH[0],
            "CHILDRENS_SERVICES",
            contact_id="C2",
            due_at="2013-01-11T12:00:00+00:00",
            requested_agencies=["POLICE"],
        ),
        _fact(4, "police.notification", "POLICE", contact_id="C1", responding_agency="HEALTH"),
    ]
    store = Store(f"sqlite:///{tmp_path / 'hub.db'}")
    try:
        store.upsert_facts(facts)
        read = store.facts(RESEARCH)
        every = store.facts()
    finally:
        store.close()
    assert sorted(f.event_id for f in read) == ["e1", "e2", "e3"]
    assert len(every) == 4
    health = queue_health([], read, _NOW)
    # C1 was due yesterday: POLICE answered, HEALTH and EDUCATION did not; C2 is not due yet
    assert health.research_overdue == {"EDUCATION": 1, "HEALTH": 1}
