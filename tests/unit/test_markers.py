"""The ``integration`` marker: ``-m "not integration"`` leaves no test that needs a broker or
PostgreSQL, and ``-m integration`` selects every one (pytest's collection only, nothing run)."""

from __future__ import annotations

import re
import subprocess
import sys
from functools import cache
from pathlib import Path

ROOT = Path(__file__).parents[2]


@cache
def _collect(marker: str) -> tuple[int, tuple[str, ...], int, str]:
    """pytest's exit status, the node ids it selects from tests/integration under ``-m
    marker``, how many it deselects, and its output."""
    done = subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--collect-only", "-q"),
            *("-m", marker, "tests/integration"),
        ],
        cwd=ROOT,
        text=True,
        capture_output=True,
        timeout=300,
        check=False,
    )
    out = done.stdout + done.stderr
    ids = tuple(line for line in done.stdout.splitlines() if "::" in line)
    deselected = re.search(r"(\d+) deselected", out)
    return done.returncode, ids, int(deselected[1]) if deselected else 0, out


def test_not_integration_leaves_nothing_that_needs_a_broker() -> None:
    status, ids, deselected, out = _collect("not integration")
    assert status == 5 and not ids, out  # 5: pytest collected nothing
    assert deselected > 0, out


def test_integration_selects_every_integration_test() -> None:
    status, ids, deselected, out = _collect("integration")
    assert status == 0 and deselected == 0, out
    everything = _collect("not integration")[2]  # what "not integration" deselected
    assert len(ids) == everything > 0, out
    assert {i.split("::")[0] for i in ids} >= {
        "tests/integration/test_broker.py",  # starts its own broker, uses no fixture
        "tests/integration/test_demo.py",
        "tests/integration/test_pipeline.py",
    }
    assert any(i.endswith("[postgresql]") for i in ids), out  # the PostgreSQL case too
