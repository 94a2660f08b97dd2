"""The CLI turns a bad setting into one line naming the variable, exit status 2."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("MASH_ROLE", "bogus", "MASH_ROLE: Input should be 'all', 'streams' or 'sinks'"),
        ("MASH_PARTITIONS", "four", "MASH_PARTITIONS: Input should be a valid integer"),
    ],
)
def test_a_bad_setting_is_one_clear_line(variable: str, value: str, says: str) -> None:
    env = {**os.environ, variable: value, "COLUMNS": "200"}
    done = subprocess.run(
        [sys.executable, "-m", "mash.cli", "worker"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 2
    assert says in done.stdout and "Traceback" not in done.stdout + done.stderr


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["a", "b", "--same"], "--reason is required"),
        (["a", "b", "--same", "--not-same", "--reason", "r"], "exactly one of"),
        (["a", "zz", "--withdraw", "--reason", "r"], "no linked record zz"),
    ],
)
def test_review_decide_refuses_bad_input_before_publishing(
    args: list[str], says: str, tmp_path: os.PathLike[str]
) -> None:
    from schemas.hub import Link, LinkOutcomeKind
    from sinks.store import Store

    url = f"sqlite:///{tmp_path}/hub.db"
    store = Store(url)
    link = dict(event_id="e", event_type="t", outcome=LinkOutcomeKind.NEW_PERSON, weight=0.0)
    store.upsert_links([Link(record_id=r, person_id=r, explanation="", **link) for r in "ab"])  # type: ignore[arg-type]
    store.close()
    env = {**os.environ, "MASH_HOME": str(tmp_path), "MASH_DATABASE_URL": url, "COLUMNS": "200"}
    done = subprocess.run(
        [sys.executable, "-m", "mash.cli", "review", "decide", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 3, done.stdout + done.stderr
    assert says in done.stdout and len(done.stdout.strip().splitlines()) == 1
