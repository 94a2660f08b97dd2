"""The store's upserts are idempotent (SQLite here; PostgreSQL in the integration tests)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from schemas.metrics import ContactCount
from sinks.store import ContactTotal, Store


def _count(month: str, partition: int, n: int) -> ContactCount:
    return ContactCount(agency="POLICE", month=month, partition=partition, contacts=n)


def test_upserts_keep_the_latest_absolute_count_and_replays_change_nothing(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'hub.db'}")
    batch = [_count("2012-04", 0, 3), _count("2012-04", 1, 2), _count("2012-05", 0, 1)]
    store.upsert_contact_counts(batch)
    store.upsert_contact_counts([_count("2012-04", 0, 5)])
    expected = [ContactTotal("POLICE", "2012-04", 7), ContactTotal("POLICE", "2012-05", 1)]
    assert store.contact_totals() == expected
    store.upsert_contact_counts([_count("2012-04", 0, 5), *batch[1:]])  # a replay
    assert store.contact_totals() == expected
    store.close()


def test_the_highest_count_of_a_cell_wins_within_a_batch_and_across_batches(
    tmp_path: Path,
) -> None:
    store = Store(f"sqlite:///{tmp_path / 'hub.db'}")
    store.upsert_contact_counts([_count("2012-04", 0, 1), _count("2012-04", 0, 3)])
    store.upsert_contact_counts([_count("2012-04", 0, 2)])  # late: counts only grow
    assert store.contact_totals() == [ContactTotal("POLICE", "2012-04", 3)]


def test_figures_are_upserted_by_key_and_ones_no_longer_computed_go(tmp_path: Path) -> None:
    from sinks.board import Figure

    store = Store(f"sqlite:///{tmp_path / 'hub.db'}")
    day = dt.date(2013, 3, 31)
    store.replace_figures(
        [Figure("cp_new", "2012-13", "NEG", 57.0), Figure("x", "p", "", 1.0)], day
    )
    store.replace_figures([Figure("cp_new", "2012-13", "NEG", 58.0)], day)
    store.replace_figures([Figure("cp_new", "2012-13", "NEG", 58.0)], day)  # again: no change
    assert store.figures() == (day, [Figure("cp_new", "2012-13", "NEG", 58.0)])


def test_a_link_keeps_its_model_a_re_issue_restates_it_and_an_old_database_gains_the_column(
    database_url: str,
) -> None:
    from sqlalchemy import create_engine, select, text

    from schemas.hub import PERSON_ONLY, Link, LinkOutcomeKind
    from sinks.tables import links

    url = database_url.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(url)
    with engine.begin() as conn:  # the links table as an earlier version made it
        conn.execute(
            text(
                "CREATE TABLE links (record_id VARCHAR(80) PRIMARY KEY, event_id VARCHAR(40) "
                "NOT NULL, event_type VARCHAR(60) NOT NULL, person_id VARCHAR(80) NOT NULL, "
                "weight FLOAT NOT NULL, explanation TEXT NOT NULL, version BIGINT NOT NULL)"
            )
        )
        conn.execute(text("INSERT INTO links VALUES ('r0', 'e0', 't', 'p0', 1.0, 'x', 1)"))
    engine.dispose()
    store = Store(url)
    try:
        made = Link(
            record_id="r1",
            event_id="e1",
            event_type="police.notification",
            person_id="p1",
            outcome=LinkOutcomeKind.LINKED,
            weight=21.5,
            explanation="nhs exact",
            version=2,
            model_version="lm-0123456789ab",
        )
        legacy = made.model_copy(
            update={
                "person_id": "p2",
                "outcome": LinkOutcomeKind.REISSUED,
                "version": 3,
                "model_version": "lm-other",
                "weight": 0.0,
                "explanation": PERSON_ONLY,
            }
        )
        store.upsert_links([made])
        store.upsert_links([legacy])  # a re-issue that restates the person only
        with store.engine.connect() as conn:
            rows = {r["record_id"]: r for r in conn.execute(select(links)).mappings()}
        assert rows["r0"]["model_version"] is None  # stored before the column
        assert (rows["r1"]["person_id"], rows["r1"]["model_version"]) == ("p2", "lm-0123456789ab")
        assert (rows["r1"]["weight"], rows["r1"]["explanation"]) == (21.5, "nhs exact")
        moved = legacy.model_copy(
            update={"person_id": "p3", "version": 4, "weight": 14.25, "explanation": "why now"}
        )
        store.upsert_links([moved])  # a re-issue states what holds the record there now
        with store.engine.connect() as conn:
            row = conn.execute(select(links).where(links.c.record_id == "r1")).mappings().one()
        assert (row["person_id"], row["weight"], row["explanation"]) == ("p3", 14.25, "why now")
        assert row["model_version"] == "lm-other"
    finally:
        store.close()


def test_a_record_moved_twice_in_one_batch_is_stored_as_the_last_link_says(
    tmp_path: Path,
) -> None:
    """One hub batch can re-issue a record twice under one version: its person only, then
    what holds it (now alone), or the reverse. A CI run found the person of the first stored
    over the second (the two kinds were written in two groups)."""
    from sqlalchemy import select

    from schemas.hub import PERSON_ONLY, Link, LinkOutcomeKind
    from sinks.tables import links

    def link(record: str, person: str, why: str, version: int = 5) -> Link:
        kind = LinkOutcomeKind.LINKED if why == "linked" else LinkOutcomeKind.REISSUED
        weight = 0.0 if why in (PERSON_ONLY, "alone") else 20.0
        return Link(
            record_id=record,
            event_id=f"e-{record}",
            event_type="police.notification",
            person_id=person,
            outcome=kind,
            weight=weight,
            explanation=why,
            version=version,
        )

    store = Store(f"sqlite:///{tmp_path / 'hub.db'}")
    store.upsert_links([link("a", "a", "linked", 1), link("b", "b", "linked", 1)])
    store.upsert_links(
        [
            link("a", "p", PERSON_ONLY),  # moved into p, then parted: alone
            link("a", "a", "alone"),
            link("b", "b", "alone"),  # alone, then joined to q: its person only
            link("b", "q", PERSON_ONLY),
        ]
    )
    with store.engine.connect() as conn:
        columns = (links.c.record_id, links.c.person_id, links.c.weight, links.c.explanation)
        rows = {r: (p, w, e) for r, p, w, e in conn.execute(select(*columns))}
    store.close()
    assert rows == {"a": ("a", 0.0, "alone"), "b": ("q", 0.0, "alone")}


def test_figures_keep_how_long_they_took_and_an_old_database_gains_the_column(
    database_url: str,
) -> None:
    """The restarted sinks' throttle reads the duration (``sinks.refresh.Changes.resumed``)."""
    import time

    from sqlalchemy import create_engine, text

    from sinks.metrics import refresh_figures

    url = database_url.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(url)
    with engine.begin() as conn:  # the provenance as an earlier version made it
        conn.execute(
            text(
                "CREATE TABLE figures_provenance (id INTEGER PRIMARY KEY, computed_at "
                "VARCHAR(40) NOT NULL, events BIGINT NOT NULL, latest_event VARCHAR(40))"
            )
        )
        conn.execute(text("INSERT INTO figures_provenance VALUES (1, :at, 5, NULL)"), {"at": AT})
    engine.dispose()
    store = Store(url)
    try:
        old = store.figures_provenance()
        assert old is not None and (old.events, old.seconds) == (5, None)
        started = time.perf_counter()
        refresh_figures(store, dt.date(2013, 3, 31))
        outside = time.perf_counter() - started
        stored = store.figures_provenance()
        assert stored is not None and stored.events == 0
        assert stored.seconds is not None and 0 <= stored.seconds <= outside
    finally:
        store.close()


AT = "2013-03-31T12:00:00+00:00"


def test_the_figures_read_of_stored_episodes_what_the_whole_snapshots_hold(
    database_url: str,
) -> None:
    """``episode_flows`` reads the stored JSON without the contract's model: the same
    fields, instants and figures as the whole snapshots give (SQLite and PostgreSQL)."""
    from schemas.event_types import EventType
    from sinks.board import compute
    from sinks.figures import EpisodeFlow
    from sinks.store import EpisodeChange
    from tests.unit.sinks.test_board import _episode

    kinds = [
        (EventType.POLICE_NOTIFICATION, "POLICE"),
        (EventType.HEALTH_NOTIFICATION, "HEALTH"),
        (EventType.CONTACT, "CHILDRENS_SERVICES"),
    ]
    snapshots = []
    for n in range(12):
        opened = dt.datetime(2012, 6, 4, 9, 0, 0, 123_000, tzinfo=dt.UTC) + dt.timedelta(40 * n)
        snapshots.append(
            _episode(n, *kinds[: 1 + n % 3]).model_copy(
                update={
                    "opened_at": opened,
                    "rag_rating": (None, "RED", "AMBER", "GREEN")[n % 4],
                    "due_at": opened + dt.timedelta(hours=n % 5 * 6) if n % 4 else None,
                    "decided_at": opened + dt.timedelta(hours=n % 7 * 4) if n % 2 else None,
                }
            )
        )
    store = Store(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        store.apply_episodes([EpisodeChange(s.episode_id, s, 1, 0) for s in snapshots])
        flows = sorted(store.episode_flows(), key=lambda f: f.opened_at)
        whole = sorted(store.episode_snapshots(), key=lambda s: s.opened_at)
    finally:
        store.close()
    assert flows == [EpisodeFlow.of(s) for s in snapshots] == [EpisodeFlow.of(s) for s in whole]
    assert flows[5].decided_at == snapshots[5].decided_at and flows[5].rag_rating == "RED"
    figures = compute([], dt.date(2013, 3, 31), episodes=flows)
    rag = {f.dimension: f for f in figures if f.indicator == "rag_timeliness"}
    year = [
        s for s in snapshots if dt.date(2012, 4, 1) <= s.opened_at.date() <= dt.date(2013, 3, 31)
    ]
    decided = [s for s in year if s.rag_rating and s.due_at and s.decided_at]
    on_time = [s for s in decided if s.decided_at and s.due_at and s.decided_at <= s.due_at]
    assert 0 < len(on_time) < len(decided)  # the data tells the two apart
    assert (rag[""].numerator, rag[""].denominator) == (len(on_time), len(decided))


def test_reads_in_a_snapshot_see_the_database_as_at_the_first_of_them(database_url: str) -> None:
    """The figures read the facts, persons and episodes together while the sinks write: a
    write between two reads of one ``snapshot`` is not seen by the second (SQLite in WAL
    mode and PostgreSQL), and is seen after it."""
    from simulation.synthetic import police_notifications
    from sinks.facts import fact_of

    url = database_url.replace("postgresql://", "postgresql+psycopg://", 1)
    events = list(police_notifications(6, 5, dt.date(2012, 4, 1), dt.date(2013, 3, 31)))
    reader, writer = Store(url), Store(url)
    try:
        writer.upsert_facts([fact_of(e) for e in events[:2]])
        with reader.snapshot() as conn:
            first = reader.facts(conn=conn)
            writer.upsert_facts([fact_of(e) for e in events[2:]])  # the sinks, meanwhile
            again = reader.facts(conn=conn)
            flows, persons = reader.episode_flows(conn), reader.persons(conn)
        after = reader.facts()
    finally:
        reader.close()
        writer.close()
    assert len(first) == len(again) == 2 and (flows, persons) == ([], {})
    assert len(after) == 6
