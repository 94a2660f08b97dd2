"""`mash review` on the real broker: a possible match the worker offered is listed, a reviewer's
decision published by the CLI is applied by the worker and audited without its reason, and a
later decision undoes it, across a worker restart."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

from mash.demo import wait_until_drained, wait_until_ready, worker_process
from plumbing.settings import WorkerSettings
from sinks.reviews import review_queue
from sinks.store import Store
from tests.integration.hub import settings_from, undecided_pair
from tests.integration.test_hub import persons, publish

REASON = "seen together at the school gate by the duty social worker"
"""Free text: stored with the decision, never in the audit or the logs."""


def _mash(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "mash.cli", *args],
        env={**env, "COLUMNS": "250"},  # ids unfolded in the tables
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done


def _queue(env: dict[str, str]) -> set[tuple[str, str]]:
    """The pairs waiting for a reviewer (as `mash review list` reads them)."""
    store = Store(settings_from(env, WorkerSettings).database)
    try:
        queue = review_queue(store, 10)
    finally:
        store.close()
    assert queue.size == len(queue.items)
    return {(i.record_id, i.other_record_id) for i in queue.items}


def _persons(env: dict[str, str]) -> dict[str, str]:
    store = Store(settings_from(env, WorkerSettings).database)
    try:
        return persons(store)
    finally:
        store.close()


def _audit(env: dict[str, str], out: Path) -> list[dict[str, Any]]:
    """Every entry of the exported audit chains, each file verified by `mash audit verify`."""
    _mash(env, "audit", "export", str(out))
    entries = []
    for path in sorted(out.glob("*.jsonl")):
        assert "chain and seal intact" in _mash(env, "audit", "verify", str(path)).stdout
        assert REASON not in path.read_text()
        entries += [json.loads(line) for line in path.read_text().splitlines()[:-1]]
    return entries


def test_a_reviewer_joins_a_possible_match_then_parts_it_across_a_restart(
    hub_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**hub_env, "MASH_DATABASE_URL": f"sqlite:///{tmp_path / 'hub.db'}"}
    settings = settings_from(env, WorkerSettings)
    first, second = undecided_pair()
    a, b = str(first.event_id), str(second.event_id)
    with worker_process({**env, "MASH_DATA_DIR": str(tmp_path / "w1")}, tmp_path / "w1.log") as w:
        wait_until_ready(settings, w)
        publish(settings, (first, second))
        wait_until_drained(settings, 2, w)
        listed = _mash(env, "review", "list").stdout
        assert a in listed and b in listed and "1 pairs waiting" in listed
        assert _persons(env)[a] != _persons(env)[b]
        _mash(env, "review", "decide", a, b, "--same", "--reason", REASON, "--by", "rev-7")
        wait_until_drained(settings, 3, w)
    joined = _persons(env)
    assert joined[a] == joined[b] == min(a, b)
    assert _queue(env) == set()
    assert a not in _mash(env, "review", "list").stdout
    decided = [e for e in _audit(env, tmp_path / "audit-1") if e["decision"] == "review_decided"]
    assert [(e["facts"]["verdict"], e["facts"]["applied"]) for e in decided] == [
        ("SAME_PERSON", True)
    ]
    assert decided[0]["facts"]["decided_by"] == "rev-7"

    # the worker is down when the reviewer changes their mind; a new worker (no local state:
    # it restores from the changelog) applies the later decision, then new evidence arrives
    _mash(env, "review", "decide", b, a, "--not-same", "--reason", "two children after all")
    third = first.model_copy(
        update={"event_id": uuid.uuid4(), "agency_record_id": f"{first.agency_record_id}-C"}
    )
    with worker_process({**env, "MASH_DATA_DIR": str(tmp_path / "w2")}, tmp_path / "w2.log") as w:
        wait_until_ready(settings, w)
        wait_until_drained(settings, 4, w)
        publish(settings, (third,))
        wait_until_drained(settings, 5, w)
    parted = _persons(env)
    assert parted[a] == parted[str(third.event_id)] == min(a, str(third.event_id))
    assert parted[b] == b
    # the pair decided stays off the queue; the new record and b are a new possible match
    assert _queue(env) == {tuple(sorted((b, str(third.event_id))))}
    verdicts = [
        (e["facts"]["verdict"], e["facts"]["applied"])
        for e in _audit(env, tmp_path / "audit-2")
        if e["decision"] == "review_decided"
    ]
    assert verdicts == [("SAME_PERSON", True), ("NOT_SAME_PERSON", True)]
    for log in ("w1.log", "w2.log"):
        assert REASON not in (tmp_path / log).read_text()
