"""`mash demo` (README command 1): the calibrated year through the real broker gives every
figure the board published; a replay changes none; a correction moves exactly its own."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import uuid
from pathlib import Path

from mash.demo import wait_for_figures, wait_until_drained, wait_until_ready, worker_process
from plumbing.settings import WorkerSettings
from simulation.year import simulate
from sinks.store import Store
from tests.integration.hub import settings_from
from tests.integration.test_hub import publish
from tests.published import check

AS_OF = dt.date(2013, 3, 31)


def test_the_year_gives_every_published_figure_and_a_replay_changes_none(
    hub_env: dict[str, str], tmp_path: Path
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mash.cli", "demo", "--no-serve"],
        env={**hub_env, "COLUMNS": "200"},
        text=True,
        capture_output=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
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

    # a replay of every event, and one correction: a 2012-13 neglect plan was emotional abuse
    events = [e for kind in simulate("havering-2012", seed=2012).events.values() for e in kind]
    plan = next(
        e
        for e in events
        if e.event_type == "childrens_services.cp_plan_started"
        and e.category.value == "NEG"
        and e.start_date >= dt.date(2012, 4, 1)
    )
    corrected = plan.model_copy(
        update={
            "event_id": uuid.uuid4(),
            "category": type(plan.category)("EMO"),
            "reported_at": plan.reported_at + dt.timedelta(days=1),
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
    assert moved == {
        ("cp_new", "2012-13", "NEG"): (57, 56),
        ("cp_new", "2012-13", "EMO"): (60, 61),
        **{
            k: v
            for k, v in moved.items()
            if k[0] in ("cp_open", "cp_new_by_month", "repeat_cp_plans")
        },
    }
    store.close()


def _figures(store: Store) -> dict[tuple[str, str, str], float]:
    as_of, figures = store.figures()
    assert as_of == AS_OF
    return {f.key: f.value for f in figures}
