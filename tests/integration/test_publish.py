"""`mash publish` on the real broker: valid rows read back equal, bad rows rejected loudly."""

from __future__ import annotations

import csv
import datetime as dt
import json
import stat
import subprocess
import sys
from pathlib import Path

from plumbing.kafka import read_topic
from plumbing.settings import PublisherSettings
from schemas.adapters import adapter_for
from schemas.contracts import POLICE_NOTIFICATION
from schemas.framing import decode
from simulation.samples import write_sample
from simulation.synthetic import police_notifications
from tests.integration.hub import admin, settings_from

START, END = dt.date(2012, 4, 1), dt.date(2013, 4, 1)


def _publish(env: dict[str, str], file: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mash.cli", "publish", "police", str(file)],
        env=env,
        text=True,
        capture_output=True,
        timeout=120,
        check=False,
    )


def test_a_clean_csv_export_publishes_and_reads_back_equal(
    hub_env: dict[str, str], tmp_path: Path
) -> None:
    export = write_sample("police", tmp_path / "police.csv", 300, 11, START, END)
    done = _publish(hub_env, export.path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "300 published, 0 rejected" in done.stdout
    settings = settings_from(hub_env, PublisherSettings)
    back = [
        decode(r.value or b"")
        for r in read_topic(admin(settings), settings.topic(POLICE_NOTIFICATION.topic))
    ]
    assert sorted(back, key=lambda r: str(r.event_id)) == sorted(  # type: ignore[attr-defined]
        police_notifications(300, 11, START, END), key=lambda r: str(r.event_id)
    )


def test_a_jsonl_export_publishes_every_line(hub_env: dict[str, str], tmp_path: Path) -> None:
    records = list(police_notifications(50, 12, START, END))
    path = tmp_path / "police.jsonl"
    path.write_text("".join(adapter_for("police").to_json(r) + "\n" for r in records))
    done = _publish(hub_env, path)
    assert done.returncode == 0, done.stdout + done.stderr
    settings = settings_from(hub_env, PublisherSettings)
    back = read_topic(admin(settings), settings.topic(POLICE_NOTIFICATION.topic))
    assert {decode(r.value or b"") for r in back} == set(records)


def test_bad_rows_are_reported_by_line_rejected_to_file_and_dead_letters(
    hub_env: dict[str, str], tmp_path: Path
) -> None:
    export = write_sample("police", tmp_path / "police.csv", 200, 13, START, END, invalid=10)
    done = _publish(hub_env, export.path)
    assert done.returncode == 1
    assert "190 published, 10 rejected" in done.stdout
    assert "published: every row of lines 2-201 except the rejected ones" in done.stdout
    settings = settings_from(hub_env, PublisherSettings)
    rejects_file = settings.rejects_path / "police.csv.rejects.csv"
    assert str(rejects_file) in done.stdout and rejects_file.stat().st_mode & 0o777 == 0o600
    with rejects_file.open(newline="") as handle:
        rejects = list(csv.DictReader(handle))
    assert [int(r["line"]) for r in rejects] == export.invalid_lines
    assert all(r["reason"] and r["event_id"] for r in rejects)
    for r in rejects:  # each reason once: in the summary table, not per line as well
        assert done.stdout.count(r["reason"]) <= 1
    dead = read_topic(admin(settings), settings.deadletter_topic)
    assert sorted(d.headers["mash.source"].decode() for d in dead) == sorted(
        f"police.csv:{n}" for n in export.invalid_lines
    )
    assert all(d.headers["mash.stage"] == b"publish" and d.headers["mash.reason"] for d in dead)


def test_a_publish_keeps_its_log_lines_off_the_terminal(
    hub_env: dict[str, str], tmp_path: Path
) -> None:
    export = write_sample("police", tmp_path / "police.csv", 20, 5, START, END)
    done = _publish({**hub_env, "MASH_LOG_LEVEL": "DEBUG"}, export.path)
    assert done.returncode == 0, done.stdout + done.stderr
    terminal = (done.stdout + done.stderr).splitlines()
    assert not [line for line in terminal if line.lstrip().startswith("{")]
    log = Path(hub_env["MASH_HOME"]) / "logs" / "publish.log"
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    events = [json.loads(line)["event"] for line in log.read_text().splitlines()]
    assert "publish.done" in events
