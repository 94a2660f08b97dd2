"""`mash demo` (README command 1): the calibrated year through the real broker gives every
figure the board published; running it again says every event was a repeat and changes no
figure; a replay changes none; a correction moves exactly its own."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import uuid
from pathlib import Path

from pydantic import BaseModel

from mash.demo import wait_for_figures, wait_until_drained, wait_until_ready, worker_process
from plumbing.settings import WorkerSettings
from schemas.childrens_services import ChildProtectionPlanEnded, ChildProtectionPlanStarted
from schemas.codes import CpCategory
from simulation.year import simulate
from sinks.store import Store
from tests.integration.hub import settings_from
from tests.integration.test_hub import publish
from tests.private import open_to_others
from tests.published import AS_OF as PUBLISHED_AS_OF
from tests.published import PUBLISHED, check

AS_OF = dt.date(2013, 3, 31)


def test_the_year_gives_every_published_figure_and_a_replay_changes_none(
    hub_env: dict[str, str], tmp_path: Path
) -> None:
    done = _demo(hub_env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert open_to_others(Path(hub_env["MASH_HOME"])) == []  # database, tables, logs, reports
    assert "Console user demo-analyst: " in done.stdout and "console on http://" in done.stdout
    # a quiet console: progress and tables, the logs' place named, no log line
    logs = Path(hub_env["MASH_HOME"]) / "logs"
    assert f"Logs (rotated at 10,000,000 bytes): {logs}/" in done.stdout
    terminal = (done.stdout + done.stderr).splitlines()
    assert [line for line in terminal if line.lstrip().startswith("{")] == []
    assert "metrics.refreshed" in (logs / "worker.log").read_text()  # the sinks' lines too
    assert '"event": "publish.done"' in (logs / "demo.log").read_text()
    for title in (
        "Children subject of a child protection plan at 31 March 2013",
        "Looked-after children (year to date, quarterly)",
        "Corrections to the published 2012-13 report",
        "MASH decisions by outcome",
    ):
        assert title in done.stdout
    settings = settings_from({**hub_env, "MASH_REPORTING_DATE": AS_OF.isoformat()}, WorkerSettings)
    reports = Path(hub_env["MASH_HOME"]) / "reports"
    assert "Unborn" in (reports / "board-report-2013-03-31.html").read_text()
    assert (reports / "board-report-2013-03-31.csv").read_text().count("\n") > 100
    store = Store(settings.database)
    first = _figures(store)
    check(first)
    assert first[("contacts_by_rag", "2012-13", "RED")] > 0
    assert first[("merged_notifications", "2012-13", "multi-agency episodes")] > 10

    events = [e for kind in simulate("havering-2012", seed=2012).events.values() for e in kind]
    # the same command again, as a newcomer would: every event is a repeat, no figure moves
    again = _demo(hub_env)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert f"{len(events):,} events recognised as repeats; no figure changed" in again.stdout
    assert _figures(store) == first

    # a replay of every event, and one correction: a neglect plan open at the year end in its
    # first six months was emotional abuse
    plan = _open_neglect_plan(events)
    corrected = plan.model_copy(
        update={
            "event_id": uuid.uuid4(),
            "category": CpCategory.EMO,
            # later than every version of the plan the year sent (re-sends, late reports)
            "reported_at": max(
                e.reported_at
                for e in events
                if isinstance(e, ChildProtectionPlanStarted) and e.plan_id == plan.plan_id
            )
            + dt.timedelta(days=1),
        }
    )
    with worker_process(
        {**hub_env, "MASH_REPORTING_DATE": AS_OF.isoformat()}, tmp_path / "replay.log"
    ) as worker:
        wait_until_ready(settings, worker)
        publish(settings, (*events, corrected))
        wait_until_drained(settings, len(events) * 2 + 1, worker)
        wait_for_figures(settings, AS_OF, worker)
    after = _figures(store)
    moved = {k: (first[k], after.get(k)) for k in first if first[k] != after.get(k)}
    # the plan moves from NEG to EMO in its year's new plans and in its open-plan cell; its
    # start date and child are unchanged, so new plans by month and repeat plans stay put
    assert moved == {
        key: (PUBLISHED[key], PUBLISHED[key] + by)
        for key, by in (
            (("cp_new", "2012-13", "NEG"), -1),
            (("cp_new", "2012-13", "EMO"), +1),
            (("cp_open", PUBLISHED_AS_OF, "NEG|0-6"), -1),
            (("cp_open", PUBLISHED_AS_OF, "EMO|0-6"), +1),
        )
    }
    store.close()


def _demo(hub_env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`mash demo --no-serve` through the real entry point, as README command 1 runs it."""
    return subprocess.run(
        [sys.executable, "-m", "mash.cli", "demo", "--no-serve"],
        env={**hub_env, "COLUMNS": "200"},
        text=True,
        capture_output=True,
        timeout=900,
        check=False,
    )


def _figures(store: Store) -> dict[tuple[str, str, str], float]:
    as_of, figures = store.figures()
    assert as_of == AS_OF
    return {f.key: f.value for f in figures}


def _open_neglect_plan(events: list[BaseModel]) -> ChildProtectionPlanStarted:
    """A plan of the simulated year, in the published NEG|0-6 cell: a neglect plan for a born
    child, started 1 October 2012 or later (within six months of 31 March 2013), never ended."""
    ended = {e.plan_id for e in events if isinstance(e, ChildProtectionPlanEnded)}
    return next(
        e
        for e in events
        if isinstance(e, ChildProtectionPlanStarted)
        and e.category is CpCategory.NEG
        and e.subject.date_of_birth is not None
        and e.start_date >= dt.date(2012, 10, 1)
        and e.plan_id not in ended
    )
