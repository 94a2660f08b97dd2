"""Dead letters always fit: a message just under the input topics' size limit is dead-lettered
(its original kept as a private content-addressed file), and the valid events behind it are
processed; nothing is committed past an event that was neither processed nor dead-lettered."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

from mash.demo import wait_until_drained, wait_until_ready, worker_process
from plumbing.kafka import read_topic
from plumbing.settings import WorkerSettings
from schemas.deadletters import origin_of, original_value
from sinks.store import Store
from tests.integration.hub import admin, send_raw, settings_from
from tests.integration.test_hub import publish, stream

PILL_BYTES = 1_048_476
"""Just fits a 1 MiB producer request on its own; with the dead-letter headers it would not."""


def test_a_pill_just_under_the_size_limit_is_dead_lettered_and_nothing_behind_it_is_lost(
    hub_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**hub_env, "MASH_DATABASE_URL": f"sqlite:///{tmp_path / 'hub.db'}"}
    settings = settings_from(env, WorkerSettings)
    events = stream(30)
    pill = b"\xc3\x01" + bytes(range(256)) * (PILL_BYTES // 256) + b"\x00" * (PILL_BYTES % 256)
    pill = pill[:PILL_BYTES]
    police = settings.topic("police.notifications")
    with worker_process(env, tmp_path / "worker.log") as worker:
        wait_until_ready(settings, worker)
        send_raw(settings, police, [(b"pill", pill)])
        publish(settings, events)
        wait_until_drained(settings, 1 + len(events), worker, timeout_s=180)
        assert worker.poll() is None, "the worker died"
    store = Store(settings.database)
    facts = {str(f.event_id) for f in store.facts()}
    store.close()
    assert facts == {str(e.event_id) for e in events}  # the 30 behind the pill, each once
    dead = read_topic(admin(settings), settings.deadletter_topic)
    assert len(dead) == 1
    origin = origin_of(dead[0].headers)
    assert origin is not None and origin.topic == police and origin.stage == "validate"
    assert dead[0].headers["mash.original.sha256"] == hashlib.sha256(pill).hexdigest().encode()
    assert dead[0].headers["mash.original.size"] == str(len(pill)).encode()
    assert original_value(dead[0].headers, dead[0].value, settings.home) == pill
    blob = settings.home / "blobs" / hashlib.sha256(pill).hexdigest()[:2]
    files = list(blob.iterdir())
    assert len(files) == 1 and stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert stat.S_IMODE(blob.stat().st_mode) == 0o700
    assert "batch.failed" not in (tmp_path / "worker.log").read_text()
