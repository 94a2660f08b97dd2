"""The `mash` command: errors in one line with an exit status per kind, rejects a terminal
and an agency can act on, readable help."""

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
    assert done.returncode == 3  # configuration
    assert says in done.stdout and "Traceback" not in done.stdout + done.stderr
