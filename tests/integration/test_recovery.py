"""kill -9 a worker in the middle of 20,000 events and reviewers' decisions, restart it: nothing
lost, nothing twice, the decisions standing."""

from __future__ import annotations

import time
from pathlib import Path

from mash.demo import wait_until_drained, wait_until_ready, worker_process
from plumbing.kafka import consumer_lag
from plumbing.keys import audit_key
from plumbing.settings import WorkerSettings
from schemas.audit import verify
from schemas.contracts import AGENCY_CONTRACTS
from sinks.audit import export_audit
from sinks.store import Store
from tests.integration.hub import admin, settings_from
from tests.integration.test_hub import decided, episodes, persons, publish, standing


def test_kill_9_mid_stream_then_restart_gives_the_uninterrupted_result(
    hub_env: dict[str, str], tmp_path: Path
) -> None:
    events, want = decided(20_000)
    assert len(events) > 20_000
    env = {**hub_env, "MASH_DATABASE_URL": f"sqlite:///{tmp_path / 'hub.db'}"}
    settings = settings_from(env, WorkerSettings)
    inputs = [settings.topic(c.topic) for c in AGENCY_CONTRACTS]
    with worker_process(env, tmp_path / "first.log") as first:
        wait_until_ready(settings, first)
        publish(settings, events)
        while consumer_lag(admin(settings), settings.app_id, inputs) > 12_000:
            assert first.poll() is None, "the worker died by itself"
            time.sleep(0.05)
        first.kill()  # SIGKILL: no clean shutdown, no final commit
        first.wait()
    left = consumer_lag(admin(settings), settings.app_id, inputs)
    assert 0 < left < 20_000, "the kill must land mid-stream"
    with worker_process(env, tmp_path / "second.log") as second:  # same store, as in life
        wait_until_drained(settings, len(events), second)
    store = Store(settings.database)
    assert persons(store) == want.linker.person  # every event, each child once, same ids
    assert episodes(store) == want.snapshots
    assert standing(store) == {p: d.verdict for p, d in want.linker.decisions.items()}
    store.close()
    key = audit_key(settings)
    files = export_audit(admin(settings), settings.app_id, key, tmp_path / "audit")
    verdicts = {path.name: verify(path.read_bytes().splitlines(), key) for path in files}
    assert all(v.ok for v in verdicts.values()), {n: v for n, v in verdicts.items() if not v.ok}
    for log in ("first.log", "second.log"):  # the restart's superseding records were stored
        assert "audit.record_refused" not in (tmp_path / log).read_text(), log
