"""What every fault case checks afterwards: nothing lost, none counted twice, the audit chains
verify; and the bounds of the cases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from plumbing.keys import audit_key
from plumbing.settings import WorkerSettings
from schemas.audit import verify
from schemas.common import record_key
from sinks.audit import export_audit
from sinks.store import Store
from tests.integration.hub import admin
from tests.integration.test_hub import expected, persons

__all__ = ["BOUND_S", "EVENTS", "nothing_lost_nothing_twice"]

EVENTS = 3000
"""Agency events per case: enough for several batches of every stage."""
BOUND_S = 300.0
"""No case waits longer than this for the hub to drain after its fault."""


def nothing_lost_nothing_twice(
    settings: WorkerSettings, events: tuple[Any, ...], tmp_path: Path, same_persons: bool = True
) -> None:
    """Every event's records stored once, linked (to the persons the pure stages give when
    ``same_persons``: the events arrived in the order sent), and every audit chain verifies."""
    store = Store(settings.database)
    want = expected(events).linker.person
    if same_persons:
        assert persons(store) == want  # every event, each child once, the same persons
    else:
        assert sorted(persons(store)) == sorted(want)  # every child record, once
    keys = sorted(f.record_key for f in store.facts())
    store.close()
    assert len(keys) == len(set(keys)) == len({record_key(e) for e in events})
    key = audit_key(settings)
    files = export_audit(admin(settings), settings.app_id, key, tmp_path / "audit")
    assert files and all(verify(p.read_bytes().splitlines(), key).ok for p in files)
