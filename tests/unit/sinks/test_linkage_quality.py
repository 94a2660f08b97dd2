"""The manager's linkage figures, from links and audit records stored in a real database."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict
from pathlib import Path

from sqlalchemy import select

from schemas.audit import AuditRecord
from schemas.hub import Link, LinkOutcomeKind, PossibleMatch
from simulation.decisions import corrected_decisions
from simulation.synthetic import police_notifications
from sinks.linkage_quality import (
    link_method,
    linkage_quality,
    refresh_linkage_quality,
    size_band,
    stored_linkage_quality,
)
from sinks.report_html import linkage_body
from sinks.reviews import store_possible_matches
from sinks.store import Store
from sinks.tables import links
from streams.hub import HubState

NOW = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC)


def _link(record: str, person: str, why: str) -> Link:
    outcome = LinkOutcomeKind.NEW_PERSON if why.startswith("no candidate") else "LINKED"
    return Link(
        record_id=record,
        event_id=f"e-{record}",
        event_type="police.notification",
        person_id=person,
        outcome=LinkOutcomeKind(outcome),
        weight=0.0,
        explanation=why,
    )


def _possible(record: str, other: str) -> PossibleMatch:
    return PossibleMatch(
        record_id=record,
        candidate_record_id=other,
        candidate_person_id=other,
        weight=9.0,
        explanation="probabilistic: given_name=close(+3.0)",
    )


def _audit(seq: int, decision: str, at: str, event: int = 0, merged: str = "") -> AuditRecord:
    facts: dict[str, str | int | float | bool | None] = {"person_id": "p", "merged": merged}
    return AuditRecord("linkage", seq, decision, f"e{event or seq}", at, facts, "", "")


def test_figures_count_persons_methods_merges_and_the_queue(database_url: str) -> None:
    """On SQLite and on PostgreSQL (which refused the per-day query once: a fault case found
    the sinks stopping on it)."""
    store = Store(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    alone = "no candidate above the link threshold"
    store.upsert_links(
        [
            _link("a1", "a1", alone),
            _link("a2", "a1", "same NHS number: "),
            _link("a3", "a1", "probabilistic: given_name=exact(+5.0)"),
            _link("b1", "b1", alone),
            _link("c1", "c1", alone),
            _link("c2", "c1", "same UPN: "),
        ]
    )
    store.insert_audit(
        [
            _audit(1, "merged", "2026-12-02T09:00:00+00:00"),
            _audit(2, "merged", "2026-12-01T23:59:00+00:00"),
            _audit(3, "split", "2026-12-02T10:00:00+00:00"),
            _audit(4, "merged", "2026-11-01T10:00:00+00:00"),  # outside the last 7 days
            _audit(5, "linked", "2026-12-02T10:00:00+00:00"),
            # event 1's batch audited again after a crash: one merge, not two
            _audit(6, "merged", "2026-12-02T09:05:00+00:00", event=1),
            _audit(7, "merged", "2026-12-02T09:00:00+00:00", event=1, merged="q"),  # another
        ]
    )
    oldest = NOW - dt.timedelta(hours=5, minutes=30)
    waiting = [("a1", "b1", oldest), ("b1", "c1", NOW), ("a2", "c2", NOW)]
    for record, other, seen in waiting:
        store_possible_matches(store, [_possible(record, other)], seen)
    store_possible_matches(store, [_possible("a1", "a3")], oldest)  # one person now: not waiting
    quality = linkage_quality(store, NOW)
    refresh_linkage_quality(store, NOW)
    stored = stored_linkage_quality(store)
    store.close()
    assert stored == quality  # what the board's views read is what was computed

    assert (quality.records, quality.persons) == (6, 3)
    assert quality.per_person == {"1": 1, "2": 1, "3-4": 1, "5-9": 0, "10+": 0}
    assert quality.linked_by == {
        "NHS number": 1,
        "other identifier": 1,
        "mother and due date": 0,
        "probabilistic": 1,
        "reviewer's decision": 0,
    }
    assert list(quality.daily) == [f"2026-11-{d}" for d in (26, 27, 28, 29, 30)] + [
        "2026-12-01",
        "2026-12-02",
    ]
    assert quality.daily["2026-12-02"] == (2, 1)
    assert quality.daily["2026-12-01"] == (1, 0)
    assert (quality.queue.size, quality.oldest_waiting()) == (3, dt.timedelta(hours=5, minutes=30))
    assert quality.oldest_waiting(NOW + dt.timedelta(hours=1)) == dt.timedelta(hours=6, minutes=30)
    page = linkage_body(quality)
    assert "5.5 h" in page
    assert ">3<" in page


def test_nothing_stored_yet(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'hub.db'}")
    assert stored_linkage_quality(store) is None
    store.close()


def test_bands_and_methods() -> None:
    assert [size_band(n) for n in (1, 2, 3, 4, 5, 9, 10, 250)] == [
        "1",
        "2",
        "3-4",
        "3-4",
        "5-9",
        "5-9",
        "10+",
        "10+",
    ]
    assert link_method("person changed by later evidence") is None
    assert link_method("born to the same mother within 6 weeks") == "mother and due date"


def test_what_the_stored_links_say_is_true_and_a_republish_changes_nothing(tmp_path: Path) -> None:
    """The hub's links (re-issues after merges, splits and reviewers' decisions among them),
    stored as the sinks store them: a record alone in its person is not counted as linked,
    one stored as held apart is alone or its person's first record, and a full republish
    (after a restart) changes no stored row, so neither the figures nor the analysts'
    screens depend on restarts."""
    events = list(police_notifications(600, 13, dt.date(2012, 4, 1), dt.date(2013, 4, 1)))
    state = HubState()
    sent = [state.process(events[:400], "t").links]  # the links of each batch
    linker, rng = state.linker, random.Random(4)
    persons: dict[str, list[str]] = defaultdict(list)
    for record, person in sorted(linker.person.items()):
        persons[person].append(record)
    several = sorted(p for p, records in persons.items() if len(records) > 1)
    apart = [tuple(rng.sample(persons[p], 2)) for p in rng.sample(several, 12)]
    same = [tuple(rng.sample(sorted(linker.records), 2)) for _ in range(12)]
    for decision in corrected_decisions(same, apart, 9, dt.datetime(2013, 1, 1, tzinfo=dt.UTC)):
        sent.append(state.process([decision], "t").links)
    sent.append(state.process(events[400:], "t").links)
    store = Store(f"sqlite:///{tmp_path / 'hub.db'}")
    for version, batch in enumerate(sent, 1):  # a batch's links share its version
        store.upsert_links([link.model_copy(update={"version": version}) for link in batch])
    live = _stored(store)
    again = [state.reissue(r).model_copy(update={"version": len(sent) + 1}) for r in live]
    store.upsert_links(again)
    assert _stored(store) == live
    store.close()
    said = Counter(why.split(" ")[0] for _, _, why in live.values())
    assert said["held"] and said["one"]  # the case holds partings and reviewers' joins
    for record, (person, _, why) in live.items():
        assert person == linker.person[record]
        alone = len(linker.records_of(person)) == 1
        if why.startswith("held apart"):  # alone, or others joined it since: its person's first
            assert alone or record == person, record
        assert not alone or link_method(why) is None, record


def _stored(store: Store) -> dict[str, tuple[str, float, str]]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(links.c.record_id, links.c.person_id, links.c.weight, links.c.explanation)
        )
        return {r: (p, w, e) for r, p, w, e in rows}
