"""`mash review` on the real broker: a possible match the worker offered is listed, a reviewer's
decision published by the CLI is applied by the worker and audited without its reason, and a
later decision undoes it, across a worker restart."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

from mash.demo import wait_until_drained, wait_until_ready, worker_process
from plumbing.settings import WorkerSettings
from sinks.linkage_quality import link_method
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


def _methods(env: dict[str, str]) -> dict[str, str | None]:
    """How each stored link says its record joined its person (the linkage-quality figure)."""
    from sqlalchemy import select

    from sinks.tables import links

    store = Store(settings_from(env, WorkerSettings).database)
    try:
        with store.engine.connect() as conn:
            rows = conn.execute(select(links.c.record_id, links.c.explanation)).all()
    finally:
        store.close()
    return {record: link_method(explanation) for record, explanation in rows}


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
        as_csv = _mash(env, "review", "list", "--format", "csv")  # for a program: unwrapped
        rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
        assert [{r["record"], r["other record"]} for r in rows] == [{a, b}]
        assert "1 pairs waiting" in as_csv.stderr
        assert _persons(env)[a] != _persons(env)[b]
        _mash(env, "review", "decide", a, b, "--same", "--reason", REASON, "--by", "rev-7")
        wait_until_drained(settings, 3, w)
    joined = _persons(env)
    assert joined[a] == joined[b] == min(a, b)
    assert _queue(env) == set()  # a decided pair leaves the queue
    # the moved record's link says a reviewer holds it there, not its own linking's "alone"
    assert _methods(env) == {min(a, b): None, max(a, b): "reviewer's decision"}

    # the worker is down when the reviewer changes their mind and new evidence arrives (a
    # later notification about a's child); a new worker, with no local state, restores the
    # earlier decision from the changelog, then applies the later one
    _mash(
        env,
        "review",
        "decide",
        b,
        a,
        "--not-same",
        "--reason",
        "two children after all",
        "--by",
        "rev-8",
    )
    third = first.model_copy(
        update={"event_id": uuid.uuid4(), "agency_record_id": f"{first.agency_record_id}-C"}
    )
    publish(settings, (third,))
    c = str(third.event_id)
    with worker_process({**env, "MASH_DATA_DIR": str(tmp_path / "w2")}, tmp_path / "w2.log") as w:
        wait_until_ready(settings, w)
        wait_until_drained(settings, 5, w)
    parted = _persons(env)
    assert parted[a] == parted[c] == min(a, c)
    assert parted[b] == b
    assert _methods(env)[b] is None  # parted: no longer one person by the reviewer
    # the decided pair stays off the queue (whether b and the new record are offered for
    # review depends on whether the record came before the split: possible matches are made
    # when a record arrives)
    assert tuple(sorted((a, b))) not in _queue(env)
    # once per decision event (a batch re-delivered as a worker starts is audited again)
    decided = {
        e["event_id"]: e["facts"]
        for e in _audit(env, tmp_path / "audit")
        if e["decision"] == "review_decided"
    }.values()
    assert [(f["verdict"], f["applied"], f["decided_by"]) for f in decided] == [
        ("SAME_PERSON", True, "rev-7"),
        ("NOT_SAME_PERSON", True, "rev-8"),
    ]
    assert {(f["record_id"], f["other_record_id"]) for f in decided} == {tuple(sorted((a, b)))}
    for log in ("w1.log", "w2.log"):
        assert REASON not in (tmp_path / log).read_text()
