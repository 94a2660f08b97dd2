"""kill -9 a worker in the middle of 20,000 events and reviewers' decisions, restart it: nothing
lost, nothing twice, the decisions standing. Freeze one of two workers mid-stream until the
group drops it, then let it go on with what it had in flight: the same."""

from __future__ import annotations

import json
import signal
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from mash.demo import wait_until_drained, wait_until_ready, worker_process
from plumbing.kafka import consumer_lag, read_topic
from plumbing.keys import audit_key
from plumbing.settings import WorkerSettings
from schemas.audit import verify
from schemas.contracts import AGENCY_CONTRACTS, EPISODE, EPISODE_FENCE, FENCE_SEEN_HEADER
from sinks.audit import export_audit
from sinks.store import Store
from tests.conftest import free_port
from tests.integration.hub import admin, settings_from
from tests.integration.test_hub import decided, episodes, persons, publish, standing


def test_kill_9_mid_stream_then_restart_gives_the_uninterrupted_result(
    hub_env: dict[str, str], tmp_path: Path
) -> None:
    events, want = decided(20_000)
    assert len(events) > 20_000
    env = {
        **hub_env,
        "MASH_DATABASE_URL": f"sqlite:///{tmp_path / 'hub.db'}",
        "MASH_LINKAGE_SNAPSHOT_S": "1",  # the index saved (forked) as it runs, used on restart
    }
    settings = settings_from(env, WorkerSettings)
    inputs = [settings.topic(c.topic) for c in AGENCY_CONTRACTS]
    with worker_process(env, tmp_path / "first.log") as first:
        wait_until_ready(settings, first)
        publish(settings, events)
        log = tmp_path / "first.log"
        # mid-stream, with an index snapshot saved (a save started, then killed, is not one:
        # a run in which intake ran ahead of linkage was killed during the first save)
        while (
            consumer_lag(admin(settings), settings.app_id, inputs) > 12_000
            or "linkage.snapshot_saved" not in log.read_text()
        ):
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
    restores = [
        line
        for line in (tmp_path / "second.log").read_text().splitlines()
        if "linkage.restored" in line or "linkage.snapshot_ignored" in line
    ]
    print("\n".join(restores))  # from the snapshot, or why not (the persons are equal either way)
    for log in ("first.log", "second.log"):  # the restart's superseding records were stored
        assert "audit.record_refused" not in (tmp_path / log).read_text(), log


def _until_lag_below(settings: WorkerSettings, inputs: list[str], lag: int, worker: Any) -> None:
    while consumer_lag(admin(settings), settings.app_id, inputs) > lag:
        assert worker.poll() is None, "the worker died by itself"
        time.sleep(0.05)


def test_a_worker_frozen_mid_stream_then_resumed_loses_nothing(
    hub_env: dict[str, str], tmp_path: Path
) -> None:
    # issue 15: the worker the group drops (its session ran out) still has a batch in flight;
    # the other takes its partitions, linkage included, and restores while it finishes
    events, want = decided(3000)
    env = {**hub_env, "MASH_DATABASE_URL": f"sqlite:///{tmp_path / 'hub.db'}"}
    settings = settings_from(env, WorkerSettings)
    inputs = [settings.topic(c.topic) for c in AGENCY_CONTRACTS]
    with ExitStack() as stack:
        first = stack.enter_context(worker_process(_own(env, tmp_path, 0), tmp_path / "w0.log"))
        wait_until_ready(settings, first)
        second = stack.enter_context(worker_process(_own(env, tmp_path, 1), tmp_path / "w1.log"))
        publish(settings, events)
        _until_lag_below(settings, inputs, 2 * len(events) // 3, first)
        first.send_signal(signal.SIGSTOP)  # longer than the session: the group drops it
        time.sleep(3 * settings.session_timeout_s)
        first.send_signal(signal.SIGCONT)
        wait_until_drained(settings, len(events), second)
    store = Store(settings.database)
    assert persons(store) == want.linker.person
    stored = episodes(store)
    assert {k: stored.get(k) for k in want.snapshots} == dict(want.snapshots)  # none lost
    # episodes the dropped worker sent after the new owner restored are fenced off by the
    # sinks (sinks.fences): none is left, with or without a later restore
    print("linkage restores (time, worker, [records, after_durable, durable, overtaken]):")
    print("\n".join(_logged(tmp_path, "linkage.restored", _RESTORED)))
    print("episodes fenced (time, worker, [dropped, deleted, stale, fences]):")
    print(
        "\n".join(_logged(tmp_path, "episodes.fenced", ("dropped", "deleted", "stale", "fences")))
    )
    extra = set(stored) - set(want.snapshots)
    print(f"{_late(settings)} episode messages of an older owner in a fence's span on the topic")
    print(f"{len(extra)} extra episodes left by the dropped worker")
    assert not extra
    assert standing(store) == {p: d.verdict for p, d in want.linker.decisions.items()}
    store.close()


_RESTORED = ("records", "after_durable", "durable", "overtaken")


def _logged(tmp_path: Path, name: str, keys: tuple[str, ...]) -> list[str]:
    """Each ``name`` event the two workers logged, in time order: who, and ``keys`` (ids and
    counts only)."""
    found = []
    for log in sorted(tmp_path.glob("w[01].log*")):
        if log.suffix == ".out":  # what the worker printed, not its log
            continue
        for line in log.read_text(errors="replace").splitlines():
            if f'"{name}"' not in line:
                continue
            event = json.loads(line)
            found.append(f"{event['timestamp']} {log.name[:2]} {[event.get(k) for k in keys]}")
    return sorted(found)


def _late(settings: WorkerSettings) -> int:
    """The episode messages on the topic whose version lies in a fence's span (an older
    linkage owner's batch the newer owner never read), counted from the topic itself."""
    records = read_topic(admin(settings), settings.topic(EPISODE.topic))
    fences = [
        (r.partition, int(r.headers[FENCE_SEEN_HEADER]), int(r.headers["mash.version"]))
        for r in records
        if r.key == EPISODE_FENCE
    ]
    return sum(
        1
        for r in records
        if r.key != EPISODE_FENCE
        and any(
            p == r.partition and seen < int(r.headers.get("mash.version", b"0")) < epoch
            for p, seen, epoch in fences
        )
    )


def _own(env: dict[str, str], tmp_path: Path, n: int) -> dict[str, str]:
    """A worker's environment with its own web port and table store."""
    return {**env, "MASH_WEB_PORT": str(free_port()), "MASH_DATA_DIR": str(tmp_path / f"w{n}")}
