"""A real broker, a real `mash worker`, a real database: 1,000 events in, exact counts out."""

from __future__ import annotations

import datetime as dt
import random
import struct
import time
from collections import Counter
from pathlib import Path

from mash.demo import wait_for_figures, wait_until_drained, wait_until_ready, worker_process
from plumbing.kafka import ensure_topics, read_topic
from plumbing.keys import key_secret
from plumbing.settings import WorkerSettings
from producers.publisher import subject_key
from schemas.contracts import CONTACT_COUNT, POLICE_NOTIFICATION
from schemas.framing import encode
from simulation.synthetic import police_notifications
from sinks.store import Store
from tests.integration.hub import admin, send_raw, settings_from

Message = tuple[bytes | None, bytes]


def _invalid(rng: random.Random, good: list[Message]) -> list[Message]:
    """50 records the worker must dead-letter: four kinds of broken bytes, one of bad content."""
    bad: list[Message] = []
    for n in range(50):
        key, value = good[n]
        match n % 5:
            case 0:
                bad.append((key, rng.randbytes(60)))  # not framed at all
            case 1:
                bad.append((key, b"\xc3\x01" + struct.pack("<Q", 12345) + value[10:]))
            case 2:
                bad.append((key, value[: len(value) // 2]))  # truncated body
            case 3:
                bad.append((key, value + b"\x07\x07"))  # trailing garbage
            case _:
                record = next(
                    police_notifications(1, 1000 + n, dt.date(2012, 4, 1), dt.date(2013, 4, 1))
                )
                child = record.subject.model_copy(update={"nhs_number": "9990000001"})
                wrong = record.model_copy(update={"subject": child})
                bad.append((key, encode(POLICE_NOTIFICATION, wrong)))
    return bad


def test_1000_events_with_50_invalid_and_20_duplicates_give_exact_counts(
    hub_env: dict[str, str], database_url: str, tmp_path: Path
) -> None:
    env = {**hub_env, "MASH_DATABASE_URL": database_url, "MASH_REPORTING_DATE": "2013-03-31"}
    settings = settings_from(env, WorkerSettings)
    rng = random.Random(42)
    records = list(police_notifications(930, 42, dt.date(2012, 4, 1), dt.date(2013, 4, 1)))
    good = [(subject_key(r, key_secret(settings)), encode(POLICE_NOTIFICATION, r)) for r in records]
    invalid = _invalid(rng, good)
    duplicates = rng.sample(good, 20)
    stream = good + invalid
    rng.shuffle(stream)
    stream += duplicates  # exact re-sends: same key, same bytes, same event id
    assert len(stream) == 1000

    intake = settings.topic(POLICE_NOTIFICATION.topic)
    counts_topic = settings.topic(CONTACT_COUNT.topic)
    ensure_topics(admin(settings), [intake, counts_topic, settings.deadletter_topic])
    expected = Counter(f"{r.reported_at:%Y-%m}" for r in records)

    with worker_process(env, tmp_path / "worker.log") as worker:
        ready_s = wait_until_ready(settings, worker)
        started = time.perf_counter()
        send_raw(settings, intake, stream)
        wait_until_drained(settings, len(stream), worker)
        elapsed = time.perf_counter() - started
        assert _assert_counts(settings, expected)["rejected"] == 50
        print(
            f"\nworker ready in {ready_s:.2f}s; 1,000 events published and processed in "
            f"{elapsed:.2f}s ({1000 / elapsed:,.0f} events/s)"
        )

        dead = read_topic(admin(settings), settings.deadletter_topic)
        assert len(dead) == 50
        assert sorted(d.value or b"" for d in dead) == sorted(v for _, v in invalid)
        assert all(
            d.headers["mash.reason"] and d.headers["mash.stage"] == b"validate" for d in dead
        )
        reasons = Counter(d.headers["mash.reason"].split(b":")[0] for d in dead)
        assert reasons[b"subject.nhs_number"] == 10

        send_raw(settings, intake, stream)  # the same 1,000 again: a replay
        wait_until_drained(settings, len(stream), worker)
        # nothing counted twice; every arrival is audited (the rejections again, too)
        assert _assert_counts(settings, expected)["rejected"] == 100


def _assert_counts(settings: WorkerSettings, expected: Counter[str]) -> dict[str, int]:
    """Contact counts, facts, the board's figures and the audit records in the database."""
    store = Store(settings.database)
    try:
        totals = store.contact_totals()
        facts = store.facts()
        wait_for_figures(settings, settings.as_of)
        _, figures = store.figures()
        audit = store.audit_count()
    finally:
        store.close()
    assert {t.agency for t in totals} == {"POLICE"}
    assert {t.month: t.contacts for t in totals} == dict(expected)
    assert sum(t.contacts for t in totals) == 930
    assert len(facts) == 930 and {f.event_type for f in facts} == {"police.notification"}
    dv = {(f.indicator, f.period): f.value for f in figures if f.indicator == "dv_incidents"}
    incidents = sum(
        f.data["incident_type"] in ("DOMESTIC_ABUSE_INCIDENT", "DOMESTIC_ABUSE_OFFENCE")
        and dt.date(2012, 4, 1) <= f.occurred_on <= dt.date(2013, 3, 31)
        for f in facts
    )
    assert dv[("dv_incidents", "2012-13")] == incidents > 0
    assert audit["new_person"] + audit.get("linked", 0) >= 930  # every record linked
    return audit
