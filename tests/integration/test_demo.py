"""`mash demo` (README command 1) runs the whole job and prints the report."""

from __future__ import annotations

import subprocess
import sys


def test_demo_prints_the_report_and_exits_0(hub_env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mash.cli", "demo", "--count", "400"],
        env=hub_env,
        text=True,
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Contacts by month" in done.stdout
    assert "Published 398; rejected 2 bad rows" in done.stdout
    total = next(line for line in done.stdout.splitlines() if line.startswith("│ Total"))
    assert total.split("│")[-2].strip() == "394"  # 398 published less 4 exact re-sends
