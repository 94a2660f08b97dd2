"""Late and out-of-order events: the agencies' events sent shuffled, and a tenth of them held
back, reported a month late, and sent (oldest last) once the rest were processed. The persons
are those of the same events processed in order by the pure stages (computed without Kafka),
each record stored once, the audit chains verify; prints the time to take in the late ones."""

from __future__ import annotations

import datetime as dt
import random
import time
from pathlib import Path
from typing import Any

from mash.demo import wait_until_drained, wait_until_ready, worker_process
from plumbing.settings import WorkerSettings
from schemas.common import record_key
from sinks.store import Store
from tests.faults.checks import BOUND_S, EVENTS, fault_env, nothing_lost_nothing_twice
from tests.integration.hub import settings_from
from tests.integration.test_hub import expected, persons, publish, stream

LATE_BY = dt.timedelta(days=30)


def _late_and_shuffled(events: tuple[Any, ...]) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """The events in a shuffled order, and a tenth of them reported ``LATE_BY`` later than
    the last event (oldest last: the most out of order)."""
    shuffled = list(events)
    random.Random(15).shuffle(shuffled)
    last = max(e.reported_at for e in events)
    held = shuffled[: len(events) // 10]
    late = [e.model_copy(update={"reported_at": last + LATE_BY}) for e in held]
    return tuple(shuffled[len(held) :]), tuple(
        sorted(late, key=lambda e: -e.occurred_at.timestamp())
    )


def _groups(linked: dict[str, str], keys: dict[str, str]) -> list[list[str]]:
    """Who is one person, as sorted groups of agency record keys (and which of the event's
    persons, ``#n``): the same whichever of a record's re-submissions was kept first (a
    person id and record id depend on that)."""
    found: dict[str, list[str]] = {}
    for record, person in linked.items():
        event, _, n = record.partition("#")
        found.setdefault(person, []).append(f"{keys[event]}#{n}")
    return sorted(sorted(group) for group in found.values())


def test_late_and_out_of_order_events_give_the_in_order_persons(
    hub_env: dict[str, str], tmp_path: Path
) -> None:
    env = fault_env(hub_env, f"sqlite:///{tmp_path / 'hub.db'}")
    settings = settings_from(env, WorkerSettings)
    first, late = _late_and_shuffled(stream(EVENTS))
    in_order = tuple(sorted(first + late, key=lambda e: e.reported_at))
    keys = {str(e.event_id): record_key(e) for e in in_order}
    want = _groups(expected(in_order).linker.person, keys)
    with worker_process(env, tmp_path / "worker.log") as worker:
        wait_until_ready(settings, worker)
        publish(settings, first)
        wait_until_drained(settings, len(first), worker, timeout_s=BOUND_S)
        store = Store(settings.database)
        watermark = max(s.opened_at for s in store.episode_snapshots())
        store.close()
        assert min(e.occurred_at for e in late) < watermark, "the held-back events must be late"
        started = time.monotonic()
        publish(settings, late)
        wait_until_drained(settings, EVENTS, worker, timeout_s=BOUND_S)
        print(f"\nrecovery: {len(late)} late events drained in {time.monotonic() - started:.1f} s")
    store = Store(settings.database)
    got = _groups(persons(store), keys)
    store.close()
    assert got == want  # the same children found as one person as in order
    nothing_lost_nothing_twice(settings, first + late, tmp_path, same_persons=False)
