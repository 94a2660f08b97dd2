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


def test_a_replay_sends_only_a_letter_whose_original_is_the_record_it_names(
    hub_env: dict[str, str], tmp_path: Path
) -> None:
    # an outside probe: police, which may write dead letters, forged one naming the health
    # topic (and one naming the hub's identities); the replay, as admin, wrote it there
    from kafka import KafkaProducer

    from mash.deadletters import Selection, letters, replay
    from plumbing.kafka import credentials, kafka_python_config

    settings = settings_from(hub_env, WorkerSettings)
    police, health = (settings.topic(t) for t in ("police.notifications", "health.notifications"))
    send_raw(settings, police, [(b"k", b"GENUINE bytes the hub could not read")])
    [genuine] = [r for r in read_topic(admin(settings), police) if r.value.startswith(b"GENUINE")]

    def letter(principal: str, value: bytes, source: str, *extra: tuple[str, bytes]) -> None:
        producer = KafkaProducer(
            **kafka_python_config(credentials(settings.as_principal(principal))), acks="all"
        )
        headers = [
            ("mash.source", source.encode()),
            ("mash.stage", b"validate"),
            ("mash.reason", b"probe: replay"),
            *extra,
        ]
        producer.send(settings.deadletter_topic, value=value, headers=headers).get(30)
        producer.close()

    letter("police", b"FORGED-BY-POLICE", f"{health}/0/0")
    at = f"{police}/{genuine.partition}/{genuine.offset}"
    traversal = ("mash.original.sha256", b"../../secrets/police.password")
    letter("police", b"", at, traversal, ("mash.original.size", b"9"))
    letter("admin", genuine.value, at)
    done = replay(settings, letters(settings, Selection(reason="probe")))
    assert done.sent == 1
    assert sorted(why.split(" (")[0] for _, why in done.refused) == [
        "its stored original cannot be read",
        f"no record at {health} partition 0 offset 0",
    ]
    assert not any(b"FORGED" in (r.value or b"") for r in read_topic(admin(settings), health))
    again = [r for r in read_topic(admin(settings), police) if r.value == genuine.value]
    assert len(again) == 2  # the original, and the one replayed
