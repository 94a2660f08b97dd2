"""The database unavailable for 30 s: not run on this machine (reason in the skip)."""

from __future__ import annotations

import pytest


@pytest.mark.skip(
    reason=(
        "needs a PostgreSQL the test owns: the only server here is the machine's shared cluster "
        "(pg_ctlcluster 15 main), used at the same time by other test runs and helpers, so "
        "stopping it for 30 s would fail their tests; a dedicated cluster (pg_createcluster on "
        "a free port) for this case is not built yet"
    )
)
def test_the_database_unavailable_for_30_s_loses_nothing() -> None:
    """To build: stop a dedicated PostgreSQL mid-stream, start it 30 s later; the sinks stop
    and re-read their batch (README, Reliability), then the same checks as every fault case."""
