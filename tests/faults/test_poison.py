"""Faults on the real stack: a poison pill on every topic the hub or the sinks consume, the
same event 1,000 times, and the hub's clock 10 minutes ahead, in one run. Nothing lost, none
counted twice, the audit chains verify; the pills are dead letters or quarantined, listed by
stage, and a replay sends one back once. Prints the time to drain after the pills."""

from __future__ import annotations

import json
import time
from pathlib import Path

from mash.deadletters import Selection, letters, replay, summary
from mash.demo import wait_until_drained, wait_until_ready, worker_process
from plumbing.keys import audit_key
from plumbing.settings import WorkerSettings
from schemas.audit import Decision, verify
from schemas.common import record_key
from schemas.contracts import AGENCY_CONTRACTS, CONTACT_COUNT, EPISODE, IDENTITIES, LINK
from schemas.framing import encode
from schemas.topics import AUDIT, Stage, Table, changelog, heads_table
from sinks.audit import export_audit
from sinks.store import Store
from tests.integration.hub import admin, send_raw, settings_from
from tests.integration.test_hub import expected, persons, publish, stream

PILLS = (b"", b"\xff\xfe junk", b"{not json", b"\xc3\x01" + b"\x00" * 40)


def test_pills_on_every_topic_a_thousand_resends_and_a_clock_ahead_lose_nothing(
    hub_env: dict[str, str], tmp_path: Path
) -> None:
    env = {
        **hub_env,
        "MASH_DATABASE_URL": f"sqlite:///{tmp_path / 'hub.db'}",
        "MASH_CLOCK_OFFSET_S": "600",
    }
    settings = settings_from(env, WorkerSettings)
    events = stream(300)
    by_type = {c.model.EVENT_TYPE: c for c in AGENCY_CONTRACTS}
    again = events[0]
    agency = [settings.topic(c.topic) for c in AGENCY_CONTRACTS]
    internal = [settings.topic(t) for t in (IDENTITIES, AUDIT)]
    internal += [settings.topic(c.topic) for c in (LINK, EPISODE, CONTACT_COUNT)]
    with worker_process(env, tmp_path / "worker.log") as worker:
        wait_until_ready(settings, worker)
        started = time.monotonic()
        for topic in agency + internal:
            send_raw(settings, topic, [(b"pill", pill) for pill in PILLS if pill])
        publish(settings, events)
        resend = encode(by_type[again.event_type], again)
        send_raw(settings, settings.topic(by_type[again.event_type].topic), [(b"k", resend)] * 999)
        wait_until_drained(settings, len(events) + 999, worker, timeout_s=240)
        print(
            f"\nrecovery: drained {len(events) + 999} events and pills in "
            f"{time.monotonic() - started:.1f} s"
        )
        assert worker.poll() is None, "the worker died"
    store = Store(settings.database)
    want = expected(events)
    assert persons(store) == want.linker.person  # every event, each child once
    keys = sorted(f.record_key for f in store.facts())  # one fact per agency record
    assert len(keys) == len(set(keys)) == len({record_key(e) for e in events})
    decisions = store.audit_count()
    store.close()
    assert decisions[Decision.DEDUPLICATED.value] >= 999  # the re-sends, each decided once
    key = audit_key(settings)
    files = export_audit(admin(settings), settings.app_id, key, tmp_path / "audit")
    verdicts = {p.stem: verify(p.read_bytes().splitlines(), key).ok for p in files}
    assert verdicts.pop("pill") is False  # the pills on the audit topic: exported, refused
    assert verdicts and all(verdicts.values())  # the hub's own chains verify
    found = letters(settings, Selection())
    by_stage = {stage for stage, _ in summary(found)}
    assert {"validate", "sinks"} <= by_stage
    pilled = {f.origin.topic for f in found}
    assert pilled >= set(agency)  # every agency topic's pills are dead letters
    assert pilled >= set(internal)  # and every internal topic's are quarantined
    assert "sinks.quarantined" in (tmp_path / "worker.log").read_text()
    chosen = [f for f in found if f.origin.stage == "sinks"][:1]
    assert replay(settings, chosen).sent == 1 and replay(settings, chosen).sent == 0  # once


def test_junk_on_every_changelog_is_logged_and_a_restart_still_restores(
    hub_env: dict[str, str], tmp_path: Path
) -> None:
    # written with the hub's own credentials (a bug, a hand, a damaged disk): each entry is an
    # error with its position, and recovery goes past it (it waited for its offset for ever)
    env = {**hub_env, "MASH_DATABASE_URL": f"sqlite:///{tmp_path / 'hub.db'}"}
    settings = settings_from(env, WorkerSettings)
    events = stream(200)
    first, later = events[:120], events[120:]
    with worker_process(env, tmp_path / "worker-1.log") as worker:
        wait_until_ready(settings, worker)
        publish(settings, first)
        wait_until_drained(settings, len(first), worker)
    tables = [*Table, *(heads_table(stage) for stage in Stage)]
    junk: list[tuple[bytes | None, bytes]] = [
        (b"\xff\xfe", b"{}"),
        (b'"not-a-record"', b"\xff junk"),
        (b"\xc3\x01", PILLS[1]),
    ]
    for table in tables:
        send_raw(admin(settings), changelog(settings.app_id, table), junk)
    # a new disk: the restart reads every changelog whole, junk included
    env["MASH_DATA_DIR"] = str(tmp_path / "worker-2")
    with worker_process(env, tmp_path / "worker-2.log") as worker:
        wait_until_ready(settings, worker)
        publish(settings, later)
        wait_until_drained(settings, len(later), worker)
    lines = [json.loads(line) for line in (tmp_path / "worker-2.log").read_text().splitlines()]
    skipped = {(e["table"], e["offset"]) for e in lines if e["event"] == "changelog.undecodable"}
    assert {table for table, _ in skipped} == set(tables)
    assert all(e["level"] == "error" for e in lines if e["event"] == "changelog.undecodable")
    store = Store(settings.database)
    try:
        assert persons(store) == expected(events).linker.person
    finally:
        store.close()
