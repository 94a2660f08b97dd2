"""The review queue in the sinks' database, on SQLite and PostgreSQL: possible matches wait
until a standing decision or a shared person takes them off; the latest decision stands."""

from __future__ import annotations

import datetime as dt

from schemas.childrens_services import LinkageDecision, ReviewVerdict
from schemas.hub import Link, LinkOutcomeKind, PossibleMatch
from sinks.reviews import known_records, review_queue, store_decisions, store_possible_matches
from sinks.store import Store

T0 = dt.datetime(2013, 1, 1, tzinfo=dt.UTC)


def _link(record: str, person: str, version: int = 1) -> Link:
    outcome = LinkOutcomeKind.NEW_PERSON
    return Link(
        record_id=record,
        event_id=record,
        event_type="police.notification",
        person_id=person,
        outcome=outcome,
        weight=0.0,
        explanation="",
        version=version,
    )


def _match(a: str, b: str, weight: float) -> PossibleMatch:
    return PossibleMatch(
        record_id=a, candidate_record_id=b, candidate_person_id=b, weight=weight, explanation="x"
    )


def _decision(a: str, b: str, verdict: ReviewVerdict, minute: int) -> LinkageDecision:
    at = T0 + dt.timedelta(minutes=minute)
    return LinkageDecision.new((a, b), verdict, "u-1", "private reason", at, "T", "I")


def test_the_queue_holds_undecided_pairs_of_different_persons_oldest_first(
    database_url: str,
) -> None:
    store = Store(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        store.upsert_links([_link(r, r) for r in "abcdef"])
        store_possible_matches(store, [_match("b", "a", 9.5)], T0)
        store_possible_matches(
            store, [_match("c", "d", 10.0), _match("e", "f", 11.0)], T0 + dt.timedelta(hours=1)
        )
        store_possible_matches(store, [_match("a", "b", 12.0)], T0 + dt.timedelta(hours=2))
        queue = review_queue(store, limit=10)
        assert [(i.record_id, i.other_record_id) for i in queue.items] == [
            ("a", "b"),
            ("c", "d"),
            ("e", "f"),
        ]
        assert queue.size == 3 and queue.oldest == T0 and queue.items[0].weight == 12.0
        assert known_records(store, ["a", "zz"]) == {"a"}

        later, earlier = (
            _decision("b", "a", ReviewVerdict.WITHDRAWN, 5),
            _decision("a", "b", ReviewVerdict.NOT_SAME_PERSON, 3),
        )
        store_decisions(store, [later])
        store_decisions(store, [earlier])  # arrives late: the withdrawal still stands
        store_decisions(store, [_decision("c", "d", ReviewVerdict.NOT_SAME_PERSON, 1)])
        store.upsert_links([_link("f", "e", version=2)])  # linked since: one person now
        queue = review_queue(store, limit=1)
        assert [(i.record_id, i.other_record_id) for i in queue.items] == [("a", "b")]
        assert queue.size == 1
    finally:
        store.close()
