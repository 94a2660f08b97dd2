"""Late and out-of-order events: each agency's events sent shuffled, and a tenth of them held
back until the rest were processed (months behind the hub's watermark). Nothing lost, none
counted twice, the audit chains verify. The persons are not compared with the in-order run's:
linkage is greedy, so which records join first depends on arrival order (by design)."""

from __future__ import annotations

import random
import time
from pathlib import Path

from mash.demo import wait_until_drained, wait_until_ready, worker_process
from plumbing.settings import WorkerSettings
from sinks.store import Store
from tests.faults.checks import BOUND_S, EVENTS, nothing_lost_nothing_twice
from tests.integration.hub import settings_from
from tests.integration.test_hub import publish, stream


def test_late_and_out_of_order_events_are_each_stored_once(
    hub_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**hub_env, "MASH_DATABASE_URL": f"sqlite:///{tmp_path / 'hub.db'}"}
    settings = settings_from(env, WorkerSettings)
    events = list(stream(EVENTS))
    random.Random(15).shuffle(events)
    late = sorted(events[: EVENTS // 10], key=lambda e: e.occurred_at)[::-1]  # oldest last
    first = tuple(events[EVENTS // 10 :])
    with worker_process(env, tmp_path / "worker.log") as worker:
        wait_until_ready(settings, worker)
        publish(settings, first)
        wait_until_drained(settings, len(first), worker, timeout_s=BOUND_S)
        store = Store(settings.database)
        watermark = max(s.opened_at for s in store.episode_snapshots())
        store.close()
        assert min(e.occurred_at for e in late) < watermark, "the held-back events must be late"
        started = time.monotonic()
        publish(settings, tuple(late))
        wait_until_drained(settings, EVENTS, worker, timeout_s=BOUND_S)
        print(f"\nrecovery: {len(late)} late events drained in {time.monotonic() - started:.1f} s")
    sent = first + tuple(late)  # the order sent: which duplicate is kept first depends on it
    nothing_lost_nothing_twice(settings, sent, tmp_path, same_persons=False)
