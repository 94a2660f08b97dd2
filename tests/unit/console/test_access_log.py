"""The access log is a keyed hash chain: exported, `mash audit verify` finds any change."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import update

from console.access_log import AccessLog
from console.users import UserStore
from schemas.audit import verify
from sinks.tables import console_access
from tests.unit.console.conftest import KEY, NOW, PASSWORD, Hub


def _log(hub: Hub, views: int) -> AccessLog:
    log = AccessLog(hub.store, KEY, hub.out)
    user = UserStore(hub.store).get("analyst")
    assert user is not None
    for n in range(views):
        log.record(user, "episode", "screening", [f"E{n}", "ev1"], f"P{n % 2}", NOW)
    return log


def test_the_exported_chain_verifies_and_a_changed_record_does_not(
    hub: Hub, tmp_path: Path
) -> None:
    log = _log(hub, 4)
    path = tmp_path / "console.jsonl"
    assert log.export(path) == 4
    assert verify(path.read_bytes().splitlines(), KEY).ok
    assert not verify(path.read_bytes().splitlines(), b"another key" * 3).ok
    record = json.loads(log.lines()[1])
    record["facts"]["purpose"] = "curiosity"
    with hub.store.engine.begin() as conn:
        conn.execute(
            update(console_access)
            .where(console_access.c.seq == 2)
            .values(record=json.dumps(record))
        )
    verdict = log.verify()
    assert not verdict.ok and verdict.position == 2


def test_a_deleted_record_breaks_the_chain(hub: Hub) -> None:
    log = _log(hub, 3)
    with hub.store.engine.begin() as conn:
        conn.execute(console_access.delete().where(console_access.c.seq == 2))
    assert not log.verify().ok


def test_accesses_to_one_person(hub: Hub) -> None:
    log = _log(hub, 5)
    assert [a.seq for a in log.accesses("P1")] == [4, 2]
    assert [a.seq for a in log.accesses()] == [5, 4, 3, 2, 1]


def test_mash_audit_access_lists_and_exports_for_verify(hub: Hub, tmp_path: Path) -> None:
    _log(hub, 3)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MASH_")}
    env |= {"MASH_HOME": str(hub.settings.home), "MASH_AUDIT_KEY": KEY.decode()}
    out = tmp_path / "console.jsonl"
    run = [sys.executable, "-m", "mash.cli", "audit"]
    listed = subprocess.run(
        [*run, "access", "--person", "P0", "--export", str(out)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    lines = [line for line in listed.splitlines() if "purpose:" in line]
    assert [line.split("\t")[0] for line in lines] == ["3", "1"]
    assert all("\tanalyst\tanalyst\tepisode\tP0\tpurpose: screening" in line for line in lines)
    checked = subprocess.run([*run, "verify", str(out)], env=env, capture_output=True, text=True)
    assert checked.returncode == 0 and "3 records" in checked.stdout


def test_mash_users_reads_the_password_from_stdin_only(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MASH_")}
    env |= {"MASH_HOME": str(tmp_path)}
    run = [sys.executable, "-m", "mash.cli", "users"]
    added = subprocess.run(
        [*run, "add", "ann", "--role", "auditor", "--password-stdin"],
        env=env,
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
    )
    assert added.returncode == 0, added.stdout + added.stderr
    bad = subprocess.run(
        [*run, "add", "bob", "--role", "chief", "--password-stdin"],
        env=env,
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "role 'chief' is not one of" in bad.stdout
    listed = subprocess.run([*run, "list"], env=env, capture_output=True, text=True).stdout
    assert "ann\tauditor\tenabled" in listed and PASSWORD not in listed and "argon2" not in listed
    db = (tmp_path / "mash.db").read_bytes()
    assert PASSWORD.encode() not in db and b"$argon2id$" in db


def test_each_record_is_acknowledged_before_its_copy_then_its_head(hub: Hub) -> None:
    log = _log(hub, 3)
    kinds = [(kind, key) for kind, key, _ in hub.out.writes]
    assert kinds == [("audit", "console"), ("head", "console")] * 3
    sent = [v.decode() for kind, _, v in hub.out.writes if kind == "audit"]
    assert sent == log.lines()  # the database holds the very records the broker took
    seq, mac, _ = hub.out.writes[-1][2].decode().split("|")
    assert (int(seq), mac) == (3, json.loads(log.lines()[-1])["mac"])


def test_kafka_unreachable_refuses_the_page_and_records_nothing(hub: Hub) -> None:
    from tests.unit.console.conftest import shows, sign_in

    client = hub.client()
    sign_in(client, "analyst")
    hub.out.down = True
    response = client.get("/episodes/E1")
    assert response.status_code == 503
    assert not shows(response.text, "E1") and "Amelia" not in response.text
    assert "The access log (Kafka) is not answering" in response.text
    assert AccessLog(hub.store, KEY).lines() == []
    hub.out.down = False
    assert client.get("/episodes/E1").status_code == 200
    assert len(AccessLog(hub.store, KEY).lines()) == 1
