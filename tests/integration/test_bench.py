"""`mash bench hub --restart`: the worker drained, ended (a clean stop or kill -9) and started
again on its store, or on a new one, takes a new event; the figures are printed, never
asserted on time."""

from __future__ import annotations

import pytest

from mash.bench import _logged, bench_hub
from plumbing.settings import WorkerSettings
from tests.integration.hub import settings_from


@pytest.mark.parametrize("how", ["stop", "kill", "fresh"])
def test_a_restarted_worker_restores_its_index_and_processes_a_new_event(
    hub_env: dict[str, str], how: str
) -> None:
    settings = settings_from(hub_env, WorkerSettings)
    if how == "fresh":  # a store lacking any entry is caught up before the group: all of them
        settings = settings.model_copy(update={"catch_up_entries": 1})
    figures = bench_hub(settings, 300, "police", restart=how)  # raises if no episode came
    assert figures["restart_first_event_s"] >= figures["restart_ready_s"] > 0
    assert figures["restore_records"] == 300  # every event sent, linked before the end
    # a clean stop saves the index; a kill leaves the last save: none by time or count in a
    # run this short (MASH_LINKAGE_SNAPSHOT_S is 600 s, the step 10,000 records), but one
    # once the worker had no batch for 5 s (``IDLE_SAVE_S``), which the drain may or may not
    # have waited for, so the index is either restored from it or rebuilt from the table, as
    # it is on a new store (read whole from the changelog)
    if how != "kill":
        assert figures["restore_from_snapshot"] == (how == "stop")
    else:  # the bench's run logged in its own app's name, its restart apart
        [run] = [p for p in (settings.home / "logs").glob("*.log") if "-restart-" not in p.name]
        if '"linkage.snapshot_saved"' in run.read_text():  # a save ended before the kill
            assert figures["restore_from_snapshot"]  # and the restart used it
    if how == "fresh":  # the linkage table alone holds an entry for each of the 300 records
        assert figures["caught_up_entries"] >= 300
    # where the catch-up's seconds went: the changelogs' ends, then each table's look
    [restart] = (settings.home / "logs").glob("*-restart-1.log")
    looked = _logged(restart, "store.catch_up_looked")["seconds"]
    assert {"changelog ends", "hub-records", "seen-records"} <= set(looked)
    assert all(s >= 0 for s in looked.values())


def test_restarts_repeated_on_one_store_each_take_a_new_event(hub_env: dict[str, str]) -> None:
    # the second after a worker that drained new events and was killed right after
    settings = settings_from(hub_env, WorkerSettings)
    figures = bench_hub(settings, 200, "police", restart="kill", restarts=2, between=100)
    assert figures["restarts"] == 2
    assert 0 < figures["restart_first_event_min_s"] <= figures["restart_first_event_max_s"]
    assert figures["restart_first_event_min_s"] <= figures["restart_first_event_s"]
    logs = settings.home / "logs"
    [before] = logs.glob("*-busy-2.log")  # the busy worker, killed
    assert '"linkage.restored"' in before.read_text()  # it took events
    [second] = logs.glob("*-restart-2.log")
    restored = _logged(second, "linkage.restored")
    assert restored["records"] >= 200 + 100 + 1  # the first run's, the new, the first event
    # on the embedded default, its sinks wrote a database of its own, not the hub's
    [database] = (settings.home / "bench").glob("bench-*.db")
    assert database.stat().st_size > 0 and not (settings.home / "mash.db").exists()
