"""Long garbage-collector pauses are logged (they can cost a worker its group membership)."""

from __future__ import annotations

import gc

from structlog.testing import capture_logs

from plumbing.gc_pauses import GcPauses, log_long_collections


def test_a_collection_over_the_threshold_is_logged_with_its_generation() -> None:
    now = iter([10.0, 12.5, 20.0, 20.1])
    pauses = GcPauses(threshold_s=1.0, clock=lambda: next(now))
    with capture_logs() as logs:
        pauses("start", {"generation": 2})
        pauses("stop", {"generation": 2, "collected": 7})
        pauses("start", {"generation": 0})
        pauses("stop", {"generation": 0, "collected": 1})  # 0.1 s: not worth a line
    assert [(e["event"], e["generation"], e["seconds"], e["collected"]) for e in logs] == [
        ("gc.long_pause", 2, 2.5, 7)
    ]


def test_installed_it_sees_the_interpreters_collections() -> None:
    pauses = log_long_collections(threshold_s=0.0)
    try:
        with capture_logs() as logs:
            gc.collect()
        assert any(e["event"] == "gc.long_pause" and e["generation"] == 2 for e in logs)
    finally:
        gc.callbacks.remove(pauses)
