"""The wire format against the reference implementation (Apache Avro for Java, built with
Maven from ``interop/java``), on a real hub run: Java decodes every message sampled from every
framed topic, with the exported schemas and every version registered, and re-encodes each byte
for byte; the hub accepts and processes what Java's BinaryMessageEncoder writes; and events
framed the legacy way (fingerprint bytes reversed, before issue 11) are still processed."""

from __future__ import annotations

import datetime as dt
import io
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fastavro
import pytest

from mash.demo import wait_until_drained, wait_until_ready, worker_process
from plumbing.kafka import read_topic
from plumbing.keys import key_secret
from plumbing.settings import WorkerSettings
from producers.publisher import subject_key
from schemas.contracts import (
    AGENCY_CONTRACTS,
    CONTACT_COUNT,
    EPISODE,
    IDENTITIES,
    LINK,
    POLICE_NOTIFICATION,
    POSSIBLE_MATCH,
    Contract,
)
from schemas.framing import decode, encode, single_object_header, unpack
from schemas.standalone import export_schemas
from simulation.synthetic import police_notifications
from simulation.year import simulate
from sinks.store import Store
from tests.integration.hub import admin, send_raw, settings_from, undecided_pair
from tests.interop import (
    build_java,
    goldens,
    label,
    legacy_frame,
    parse_decode,
    run_java,
    write_frames,
)

SAMPLE = 2000
"""Messages sampled per topic (all of them where a topic has fewer)."""
EVENTS = 1000


@pytest.fixture(scope="session")
def java() -> list[str]:
    """The Java program, built once per session (Maven and the classes cached between runs)."""
    return build_java()


def _stream() -> list[Any]:
    """The first agency events of the simulated year (seed 3), every kind, in reporting order."""
    sim = simulate("havering-2012", seed=3)
    start = dt.datetime(2012, 4, 1, tzinfo=dt.UTC)
    events = [e for es in sim.events.values() for e in es if e.occurred_at >= start]
    return sorted(events, key=lambda e: e.reported_at)[:EVENTS]


def _police_v1(count: int) -> list[tuple[Contract[Any], Any, bytes]]:
    """Police notifications as a publisher still on schema v1 writes them (no related persons)."""
    v1 = POLICE_NOTIFICATION.versions[0]
    framed = []
    for record in police_notifications(count, 41, dt.date(2012, 4, 1), dt.date(2013, 4, 1)):
        datum = POLICE_NOTIFICATION.to_avro(record)
        del datum["related_persons"]
        body = io.BytesIO()
        fastavro.schemaless_writer(body, v1.parsed, datum)
        framed.append((POLICE_NOTIFICATION, record, single_object_header(v1) + body.getvalue()))
    return framed


def _publish(settings: WorkerSettings, framed: list[tuple[Contract[Any], Any, bytes]]) -> None:
    """Send (contract, record, bytes) to the contract's topic, keyed as a publisher keys."""
    for contract in {c for c, _, _ in framed}:
        mine = [
            (subject_key(r, key_secret(settings)), value) for c, r, value in framed if c is contract
        ]
        send_raw(settings, settings.topic(contract.topic), mine)


def _framed_topics(settings: WorkerSettings) -> Iterator[tuple[str, list[bytes]]]:
    """Every topic whose messages are single-object frames, with its frames (the identities'
    packs unpacked; episode tombstones and sweep markers, which carry no value, left out)."""
    for contract in (*AGENCY_CONTRACTS, CONTACT_COUNT, LINK, POSSIBLE_MATCH, EPISODE):
        records = read_topic(admin(settings), settings.topic(contract.topic))
        yield contract.topic, [r.value for r in records if r.value is not None]
    packs = read_topic(admin(settings), settings.topic(IDENTITIES))
    yield IDENTITIES, [f for r in packs if r.value is not None for f in unpack(r.value)]


def _java_encoded(java: list[str], schemas: Path, work: Path) -> list[tuple[Contract[Any], bytes]]:
    """One record per contract, encoded by Java's BinaryMessageEncoder from its Avro JSON."""
    (work / "in").mkdir(parents=True)
    for golden in goldens():
        (work / "in" / f"{label(golden.contract)}.json").write_text(golden.avro_json)
    run_java(java, "encode", schemas, work / "in", work / "out")
    return [
        (g.contract, (work / "out" / f"{label(g.contract)}.bin").read_bytes()) for g in goldens()
    ]


def test_the_reference_implementation_and_the_hub_read_each_other(
    hub_env: dict[str, str], tmp_path: Path, java: list[str]
) -> None:
    env = {**hub_env, "MASH_DATABASE_URL": f"sqlite:///{tmp_path / 'hub.db'}"}
    settings = settings_from(env, WorkerSettings)
    schemas = tmp_path / "schemas"
    index = export_schemas(schemas, settings)

    # Java's fingerprint of every exported schema is the one the export states
    printed = [line.split("\t") for line in run_java(java, "fingerprints", schemas).splitlines()]
    assert {name: fp for name, _, fp in printed} == {
        e.file.removesuffix(".avsc"): e.fingerprint for e in index
    }

    # Java encodes one record per contract: its bytes are the golden message, and the hub's
    # decoder accepts and validates each into the record it was made from
    from_java = _java_encoded(java, schemas, tmp_path / "java")
    for (contract, value), golden in zip(from_java, goldens(), strict=True):
        assert value == golden.message, contract.topic
        assert decode(value).model_dump(mode="json") == golden.model, contract.topic

    # a short real hub run: the year's first events, and the agency records Java encoded
    by_type = {c.model.EVENT_TYPE: c for c in AGENCY_CONTRACTS}
    events = [*_stream(), *undecided_pair()]
    stream = [(by_type[e.event_type], e, encode(by_type[e.event_type], e)) for e in events]
    agency = [(c, decode(v), v) for c, v in from_java if c in AGENCY_CONTRACTS]
    stream += _police_v1(5)  # an older schema version on the same topic
    with worker_process(env, tmp_path / "worker.log") as worker:
        wait_until_ready(settings, worker)
        _publish(settings, stream + agency)
        wait_until_drained(settings, len(stream) + len(agency), worker)

    # the hub took in every event Java encoded, and dead-lettered nothing
    assert read_topic(admin(settings), settings.deadletter_topic) == []
    topics = dict(_framed_topics(settings))
    forwarded = {_event_id(f) for f in topics[IDENTITIES]}
    assert {r.event_id for _, r, _ in agency} <= forwarded

    # Java decodes a sample of every framed topic, 100%, and re-encodes it byte for byte
    rng = random.Random(11)
    (tmp_path / "samples").mkdir()
    for topic, frames in topics.items():
        sample = rng.sample(frames, min(SAMPLE, len(frames)))
        write_frames(tmp_path / "samples" / f"{topic}.frames", sample)
    found = parse_decode(run_java(java, "decode", schemas, tmp_path / "samples"))
    print("\ntopic: messages on the topic, sampled, decoded by Java, re-encoded byte for byte")
    for topic, frames in topics.items():
        got = found[topic]
        print(
            f"{topic}: {len(frames)}, {got.messages}, {got.decoded}, {got.identical}", got.writers
        )
        assert got.messages == min(SAMPLE, len(frames)) > 0, topic
        assert got.decoded == got.identical == got.messages, topic
        if topic != IDENTITIES:
            assert all(w.startswith(f"{topic}.v") for w in got.writers), (topic, got.writers)
    assert found[POLICE_NOTIFICATION.topic].writers["police.notifications.v1"] == 5


def _event_id(frame: bytes) -> Any:
    event: Any = decode(frame)
    return event.event_id


def test_old_framed_and_new_framed_events_in_one_topic_are_both_processed(
    hub_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**hub_env, "MASH_DATABASE_URL": f"sqlite:///{tmp_path / 'hub.db'}"}
    settings = settings_from(env, WorkerSettings)
    records = list(police_notifications(200, 21, dt.date(2012, 4, 1), dt.date(2013, 4, 1)))
    new = [(POLICE_NOTIFICATION, r, encode(POLICE_NOTIFICATION, r)) for r in records]
    framed = [(c, r, legacy_frame(v) if n % 2 else v) for n, (c, r, v) in enumerate(new)]
    assert sum(f[2] != n[2] for f, n in zip(framed, new, strict=True)) == 100
    log = tmp_path / "worker.log"
    with worker_process(env, log) as worker:
        wait_until_ready(settings, worker)
        _publish(settings, framed)
        wait_until_drained(settings, len(framed), worker)
    assert read_topic(admin(settings), settings.deadletter_topic) == []
    store = Store(settings.database)
    try:
        linked = {row["event_id"] for row in store.links_export()}
    finally:
        store.close()
    assert {str(r.event_id) for r in records} <= linked
    noted = [
        json.loads(line[line.index("{") :])  # after any progress bar's control characters
        for line in log.read_text().splitlines()
        if "framing.legacy_fingerprint" in line
    ]
    # once per topic in each process that reads it (the streams, and the sinks' identities)
    assert 1 <= len(noted) <= 2
    assert {(n["topic"], n["schema"], n["version"]) for n in noted} == {
        ("police.notifications", POLICE_NOTIFICATION.fullname, 2)
    }
