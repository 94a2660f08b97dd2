"""The hub's protections on a real worker: private files under ``$MASH_HOME``, Faust's web
server with no table pages, events on another type's topic dead-lettered, and the two audit
attacks of issue 12 (a forged head in the heads changelog, a forged record on the audit
topic) failing as tampering."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from kafka import KafkaProducer
from sqlalchemy import select

from mash.demo import wait_until_drained, wait_until_ready, worker_process
from plumbing.errors import AuditError
from plumbing.kafka import credentials, kafka_python_config, read_topic
from plumbing.keys import audit_key, key_secret
from plumbing.settings import WorkerSettings
from producers.publisher import subject_key
from schemas.audit import AuditRecord, ChainHead
from schemas.contracts import AGENCY_CONTRACTS, POLICE_NOTIFICATION
from schemas.framing import encode
from schemas.topics import AUDIT, Stage, Table, changelog, heads_table
from sinks.audit import export_audit
from sinks.store import Store
from sinks.tables import audit
from tests.conftest import free_port
from tests.integration.hub import admin, send_raw, settings_from
from tests.integration.test_hub import publish, stream
from tests.private import open_to_others


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def _misplaced_contact(settings: WorkerSettings) -> tuple[bytes, bytes]:
    """A children's services contact, framed as its own contract, for the police topic."""
    (contract,) = [c for c in AGENCY_CONTRACTS if c.topic == "childrens_services.contacts"]
    contact = next(e for e in stream() if e.event_type == "childrens_services.contact")
    return subject_key(contact, key_secret(settings)), encode(contract, contact)


def _first_records(store: Store) -> dict[str, str]:
    """The stored first record of each audit chain."""
    query = select(audit.c.chain, audit.c.record).where(audit.c.seq == 1)
    with store.engine.connect() as conn:
        return {str(chain): str(record) for chain, record in conn.execute(query)}


def _forge_record(settings: WorkerSettings, store: Store) -> tuple[str, str]:
    """Send a record that claims the first position of a stored chain, its MAC copied from
    the topic; return the chain and the stored record it tries to replace."""
    chain, stored = next(iter(_first_records(store).items()))
    forged = json.loads(stored) | {"decision": "rejected", "event_id": "NOT-AN-EVENT-4711"}
    send_raw(settings, settings.topic(AUDIT), [(chain.encode(), json.dumps(forged).encode())])
    return chain, stored


def _forge_heads(settings: WorkerSettings, key: bytes) -> tuple[str, str]:
    """The issue's attack on the intake heads (an unsigned head two records long, its MAC
    copied from the audit topic), and on the linkage heads the head the worker wrote after
    its first record, replayed; return the two chains."""
    records = [
        AuditRecord(**json.loads(line))
        for m in read_topic(admin(settings), settings.topic(AUDIT))
        for line in (m.value or b"").decode().splitlines()
    ]
    writes = []
    for stage in (Stage.INTAKE, Stage.LINKAGE):
        topic = changelog(settings.app_id, heads_table(stage))
        kept = [m for m in read_topic(admin(settings), topic) if m.value is not None]
        last = kept[-1]
        chain = json.loads(last.key or b"")
        mac = {r.seq: r.mac for r in records if r.chain == chain}
        if stage is Stage.INTAKE:
            value = ChainHead(2, mac[2]).encode()
        else:
            value = ChainHead.signed(key, chain, 1, mac[1]).encode()
        writes.append((topic, last.partition, last.key, json.dumps(value).encode(), chain))
    producer = KafkaProducer(**kafka_python_config(credentials(admin(settings))), acks="all")
    try:
        for topic, partition, key, value, _ in writes:
            producer.send(topic, key=key, value=value, partition=partition).get(timeout=30)
    finally:
        producer.close()
    return writes[0][4], writes[1][4]


def test_files_web_event_types_and_audit_attacks_on_a_real_worker(
    hub_env: dict[str, str], tmp_path: Path
) -> None:
    settings = settings_from(hub_env, WorkerSettings)
    events = stream(300)
    home = Path(hub_env["MASH_HOME"])
    with worker_process(hub_env, home / "logs" / "worker.log") as worker:
        wait_until_ready(settings, worker)
        web = f"http://127.0.0.1:{hub_env['MASH_WEB_PORT']}"
        assert _status(f"{web}/") == 200 and _status(f"{web}/performance/") == 200
        assert _status(f"{web}/table/") == 404
        assert _status(f"{web}/table/{Table.SEEN_RECORDS.value}/") == 404
        publish(settings, events)
        send_raw(
            settings, settings.topic(POLICE_NOTIFICATION.topic), [_misplaced_contact(settings)]
        )
        wait_until_drained(settings, len(events) + 1, worker)
        store = Store(settings.database)
        chain, stored = _forge_record(settings, store)
        wait_until_drained(settings, len(events) + 1, worker)
        assert _first_records(store)[chain] == stored  # the verified record stays
        store.close()
    logged = [
        json.loads(line)
        for line in (home / "logs" / "worker.log").read_text().splitlines()
        if line.startswith("{")
    ]
    refused = [e for e in logged if e.get("event") == "audit.record_refused"]
    assert [(e["chain"], e["seq"]) for e in refused] == [(chain, 1)]
    assert "NOT-AN-EVENT-4711" not in json.dumps(refused)  # positions, never the content

    dead = read_topic(admin(settings), settings.deadletter_topic)
    reasons = [m.headers["mash.reason"].decode() for m in dead]
    assert any(
        "'childrens_services.contact' does not belong on topic "
        f"'{settings.topic(POLICE_NOTIFICATION.topic)}'" in r
        for r in reasons
    ), reasons

    assert open_to_others(home) == []  # database, tables, logs, secrets

    key = audit_key(settings)
    export_audit(admin(settings), settings.app_id, key, tmp_path / "before")  # intact: exports
    intake, linkage = _forge_heads(settings, key)
    with pytest.raises(AuditError) as error:
        export_audit(admin(settings), settings.app_id, key, tmp_path / "after")
    assert f"audit chain {intake}: a kept head (record 2) does not verify" in str(error.value)
    assert f"audit chain {linkage}: its head went back" in str(error.value)


def test_the_local_brokers_files_are_private_under_a_permissive_umask(tmp_path: Path) -> None:
    home = tmp_path / "mash"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MASH_")}
    env |= {"MASH_HOME": str(home), "MASH_BROKER_PORT": str(free_port())}
    env |= {"MASH_CONTROLLER_PORT": str(free_port())}
    command = "import os; os.umask(0o022); from mash.cli import main; main()"

    def mash(*args: str) -> None:
        done = subprocess.run(
            [sys.executable, "-c", command, *args],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        assert done.returncode == 0, done.stdout + done.stderr

    mash("broker", "start")
    try:
        assert open_to_others(home) == []  # data, config, log, pid: written by us and the JVM
    finally:
        mash("broker", "stop")
    assert open_to_others(home) == []
    assert (home / "broker").is_dir()
