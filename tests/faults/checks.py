"""What every fault case checks afterwards: nothing lost, none counted twice, the audit chains
verify and hold every event's validation and every record's linking; the bounds of the
cases, and what several cases share (their environment, a bounded wait, the facts stored so
far)."""

from __future__ import annotations

import json
import subprocess
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from plumbing.keys import audit_key
from plumbing.settings import WorkerSettings
from schemas.audit import Decision, verify
from schemas.common import record_key
from sinks.audit import export_audit
from sinks.store import Store
from tests.integration.hub import admin
from tests.integration.test_hub import expected, persons

__all__ = [
    "BOUND_S",
    "EVENTS",
    "audit_verifies",
    "every_decision_audited",
    "facts",
    "fault_env",
    "nothing_lost_nothing_twice",
    "stored_once",
    "wait_for",
]

EVENTS = 3000
"""Agency events per case: enough for several batches of every stage."""
BOUND_S = 300.0
"""No case waits longer than this for the hub to drain after its fault."""


def fault_env(hub_env: dict[str, str], database_url: str) -> dict[str, str]:
    """A case's worker environment: its database, and group timeouts that a loaded machine
    (CI, two cores shared) keeps: with the 6 s default a starved worker's heartbeats are
    missed and its group rebalances again and again, which is not the fault under test."""
    return {
        **hub_env,
        "MASH_DATABASE_URL": database_url,
        "MASH_SESSION_TIMEOUT_S": "30",
        "MASH_REBALANCE_TIMEOUT_S": "30",
        "MASH_HEARTBEAT_INTERVAL_S": "3",
    }


def wait_for(condition: Callable[[], bool], worker: subprocess.Popen[bytes], what: str) -> None:
    """Wait (within `BOUND_S`) until ``condition()``; fail if the worker dies meanwhile."""
    deadline = time.monotonic() + BOUND_S
    while not condition():
        assert worker.poll() is None, f"the worker died waiting for {what}"
        assert time.monotonic() < deadline, f"no {what} within {BOUND_S:.0f} s"
        time.sleep(0.05)


def facts(settings: WorkerSettings) -> int:
    """How many facts the sinks have committed to the database (0 before its tables)."""
    store = Store(settings.database)
    try:
        return len(store.facts())
    except Exception:  # the tables are not there yet
        return 0
    finally:
        store.close()


def stored_once(settings: WorkerSettings, keys: Iterable[str]) -> None:
    """One fact for each agency record of ``keys``, none missing, none twice."""
    store = Store(settings.database)
    stored = sorted(f.record_key for f in store.facts())
    store.close()
    assert len(stored) == len(set(stored)), "a record counted twice"
    assert set(stored) == set(keys), "records lost (or unknown records stored)"


def audit_verifies(settings: WorkerSettings, tmp_path: Path) -> list[dict[str, Any]]:
    """Every audit chain exported from the topic verifies under the hub's key; its records."""
    key = audit_key(settings)
    files = export_audit(admin(settings), settings.app_id, key, tmp_path / "audit")
    assert files and all(verify(p.read_bytes().splitlines(), key).ok for p in files)
    return [json.loads(line) for p in files for line in p.read_text().splitlines()[:-1]]


def every_decision_audited(
    entries: list[dict[str, Any]], events: tuple[Any, ...], records: Iterable[str] = ()
) -> None:
    """Each event's validation, and each record's linking (``records``: those the stages
    index), is in the exported chains at least once, whatever the fault: the audit of a
    batch a crash cut short is written again, never lost."""
    audited: dict[str, set[str]] = defaultdict(set)
    for entry in entries:
        audited[entry["decision"]].add(entry["facts"].get("record_id") or entry["event_id"])
    missing = {str(e.event_id) for e in events} - audited[Decision.VALIDATED]
    assert not missing, f"{len(missing)} events' validation not audited"
    linked = audited[Decision.LINKED] | audited[Decision.NEW_PERSON]
    missing = set(records) - linked
    assert not missing, f"{len(missing)} records' linking not audited"


def nothing_lost_nothing_twice(
    settings: WorkerSettings, events: tuple[Any, ...], tmp_path: Path, same_persons: bool = True
) -> None:
    """Every event's records stored once, linked (to the persons the pure stages give when
    ``same_persons``: the events arrived in the order sent), and every audit chain verifies."""
    store = Store(settings.database)
    got = persons(store)
    store.close()
    if same_persons:
        assert got == expected(events).linker.person  # every event, each child once
    stored_once(settings, {record_key(e) for e in events})
    every_decision_audited(audit_verifies(settings, tmp_path), events, got)
