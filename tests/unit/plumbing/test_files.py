"""Whatever the caller's umask, the `mash` command leaves nothing under ``$MASH_HOME`` (or
anything else it writes) readable by group or others."""

from __future__ import annotations

import datetime as dt
import os
import stat
import subprocess
import sys
from pathlib import Path

from plumbing.files import private_home
from sinks.board import Figure
from sinks.figures import Provenance
from sinks.store import Store
from tests.private import open_to_others


def mash(home: Path, *args: str) -> None:
    """Run the real `mash` entry point under a permissive umask."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MASH_")}
    env |= {"MASH_HOME": str(home), "MASH_LOG_FORMAT": "console"}
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os; os.umask(0o022); from mash.cli import main; main()",
            *args,
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_cli_writes_private_files_under_a_permissive_umask(tmp_path: Path) -> None:
    home = tmp_path / "mash"
    home.mkdir(mode=0o755)
    old = home / "left-by-an-older-version.csv"
    old.write_text("x")
    old.chmod(0o644)
    mash(home, "sample", "police", str(home / "samples" / "police.csv"), "--count", "20")
    mash(home, "schemas", "export", str(home / "schemas"))
    store = Store(f"sqlite:///{home / 'mash.db'}")  # `mash report` needs figures to export
    computed = dt.datetime(2013, 4, 2, tzinfo=dt.UTC)
    figures = [Figure("dv_offences", "2012-13", "", 1283.0)]
    store.replace_figures(figures, dt.date(2013, 3, 31), Provenance(computed, 1283, computed))
    store.close()
    mash(
        home,
        "report",
        "--csv",
        str(home / "reports" / "r.csv"),
        "--html",
        str(home / "reports" / "r.html"),
    )
    written = {p.name for p in home.rglob("*")}
    assert {"police.csv", "index.json", "mash.db", "r.csv", "r.html"} <= written
    assert open_to_others(home) == []


def test_private_home_tightens_what_is_there(tmp_path: Path) -> None:
    home = tmp_path / "mash"
    (home / "broker" / "data").mkdir(parents=True, mode=0o755)
    (home / "broker" / "data" / "segment.log").write_text("x")
    (home / "broker" / "data" / "segment.log").chmod(0o644)
    (home / "run.sh").write_text("x")
    (home / "run.sh").chmod(0o755)
    private_home(home)
    assert open_to_others(home) == []
    assert stat.S_IMODE((home / "run.sh").stat().st_mode) == 0o700


HOLD = (
    "from pathlib import Path; from plumbing.files import hold_folder; "
    "hold_folder(Path({!r}), 'MASH_DATA_DIR')"
)


def _hold_in_another_process(folder: Path) -> subprocess.CompletedProcess[str]:
    code = HOLD.format(str(folder)) + "; print('held')"
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )


def test_a_folder_is_held_by_one_process_and_freed_when_it_dies(tmp_path: Path) -> None:
    # a worker's folder names its group membership: a second worker on it is refused before
    # it joins (it would take the first one's place in the group)
    code = HOLD.format(str(tmp_path)) + "; print('held', flush=True); import time; time.sleep(60)"
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        refused = _hold_in_another_process(tmp_path)
        assert refused.returncode != 0
        assert f"another process is running on {tmp_path}" in refused.stderr
        assert "MASH_DATA_DIR" in refused.stderr
    finally:
        holder.kill()  # as kill -9: the kernel frees the lock
        holder.wait()
    assert _hold_in_another_process(tmp_path).stdout.strip() == "held"


def test_a_forked_child_does_not_keep_the_folder_held(tmp_path: Path) -> None:
    # the worker forks children that may outlive it (an index save, the table read)
    code = (
        HOLD.format(str(tmp_path))
        + "; import os, sys, time\n"
        + "if os.fork() == 0:\n    time.sleep(30); os._exit(0)\n"
        + "sys.exit(0)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    assert _hold_in_another_process(tmp_path).stdout.strip() == "held"
