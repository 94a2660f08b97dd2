"""kill -9 of the sinks' child process mid-transaction, SIGKILL of the broker mid-stream
started again 10 s later, and a clean stop of the worker mid-stream (a deploy) started again:
nothing lost, none counted twice, the audit chains verify. Each prints its recovery time
(from the fault's end to every consumer group drained)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from mash.demo import wait_until_drained, wait_until_ready, worker_process
from plumbing.kafka import consumer_lag
from plumbing.processes import sinks_of
from plumbing.settings import WorkerSettings
from schemas.common import record_key
from schemas.contracts import AGENCY_CONTRACTS
from streams.app import consumed_topics
from tests.conftest import SecuredBroker
from tests.faults.checks import (
    BOUND_S,
    EVENTS,
    facts,
    fault_env,
    nothing_lost_nothing_twice,
    wait_for,
)
from tests.integration.hub import admin, settings_from
from tests.integration.test_hub import last_index_save, logged, publish, stream


def test_kill_9_of_the_sinks_mid_transaction_is_restarted_and_the_database_ends_complete(
    hub_env: dict[str, str], tmp_path: Path
) -> None:
    env = fault_env(hub_env, f"sqlite:///{tmp_path / 'hub.db'}")
    settings = settings_from(env, WorkerSettings)
    events = stream(EVENTS)
    with worker_process(env, tmp_path / "worker.log") as worker:
        wait_until_ready(settings, worker)
        (sinks,) = sinks_of(worker.pid)
        publish(settings, events)
        # mid-transaction: the sinks have written some batches and have more to write
        wait_for(lambda: facts(settings) > 0, worker, "a first batch stored")
        stored = facts(settings)
        os.kill(sinks, signal.SIGKILL)
        killed = time.monotonic()
        wait_for(lambda: sinks_of(worker.pid) not in ([], [sinks]), worker, "the sinks restarted")
        restarted = time.monotonic() - killed
        wait_until_drained(settings, len(events), worker, timeout_s=BOUND_S)
        print(
            f"\nrecovery: sinks killed with {stored} of {len(events)} facts stored; restarted in "
            f"{restarted:.1f} s, drained {time.monotonic() - killed:.1f} s after the kill"
        )
        assert stored < len({record_key(e) for e in events}), "the kill must land mid-stream"
    assert "sinks.exited" in (tmp_path / "worker.log").read_text()
    nothing_lost_nothing_twice(settings, events, tmp_path)


def test_sigkill_of_the_broker_mid_stream_started_10_s_later_loses_nothing(
    kafka_broker: SecuredBroker, hub_env: dict[str, str], tmp_path: Path
) -> None:
    broker = kafka_broker.local
    if broker is None:
        pytest.skip("MASH_KAFKA_BOOTSTRAP names an external broker, which this test cannot kill")
    env = fault_env(hub_env, f"sqlite:///{tmp_path / 'hub.db'}")
    settings = settings_from(env, WorkerSettings)
    events = stream(EVENTS)
    inputs = [settings.topic(c.topic) for c in AGENCY_CONTRACTS]
    with worker_process(env, tmp_path / "worker.log") as worker:
        wait_until_ready(settings, worker)
        publish(settings, events)
        wait_for(
            lambda: consumer_lag(admin(settings), settings.app_id, inputs) < EVENTS * 0.9,
            worker,
            "a tenth of the events taken in",
        )
        pid = broker.status().pid
        assert pid is not None
        os.killpg(pid, signal.SIGKILL)  # no clean shutdown, mid-stream
        time.sleep(10)
        broker.start()
        back = time.monotonic()
        wait_until_drained(settings, len(events), worker, timeout_s=BOUND_S)
        print(f"\nrecovery: drained {time.monotonic() - back:.1f} s after the broker came back")
    left = consumer_lag(admin(settings), settings.app_id, inputs)
    assert left == 0
    nothing_lost_nothing_twice(settings, events, tmp_path)


def test_a_clean_stop_mid_stream_saves_the_index_and_the_restart_starts_from_it(
    hub_env: dict[str, str], tmp_path: Path
) -> None:
    # a deploy: SIGTERM, then a new worker on the same data folder
    env = fault_env(hub_env, f"sqlite:///{tmp_path / 'hub.db'}")
    settings = settings_from(env, WorkerSettings)
    events = stream(EVENTS)
    with worker_process(env, tmp_path / "first.log") as first:
        wait_until_ready(settings, first)
        publish(settings, events)
        wait_for(lambda: _lag(settings) < EVENTS * 0.9, first, "a tenth taken in")
    left = _lag(settings)
    assert left > 0, "the stop must land mid-stream"
    started = time.monotonic()
    with worker_process(env, tmp_path / "second.log") as second:
        wait_until_drained(settings, len(events), second, timeout_s=BOUND_S)
        drained = time.monotonic() - started
    saved = last_index_save(tmp_path / "first.log")  # the stop's (or an idle save's)
    first_restore = logged(tmp_path / "second.log", "linkage.restored")[0]
    assert first_restore["snapshot"] == saved["version"]  # the index's last save
    assert first_restore["read_beside"]  # the table read as the snapshot loaded, and used
    print(
        f"\nrecovery: stopped with {left} of {len(events)} events left, the index of "
        f"{saved['records']} records saved "
        + (f"in {saved['seconds']} s" if "seconds" in saved else "in the background")
        + "; the restart restored "
        f"{first_restore['records']} from it in {first_restore['seconds']} s and drained "
        f"{drained:.1f} s after it started"
    )
    nothing_lost_nothing_twice(settings, events, tmp_path)


def _lag(settings: WorkerSettings) -> int:
    """The records the streams have not processed yet: agency events not taken in, and
    identities intake passed that linkage has not linked (a worker can take in every event
    and stop with linkage mid-stream: fetches of up to 8 MiB)."""
    return consumer_lag(admin(settings), settings.app_id, consumed_topics(settings))
