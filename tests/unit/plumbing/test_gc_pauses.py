"""Long garbage-collector pauses are logged and kept short (they can cost a worker its group
membership)."""

from __future__ import annotations

import gc
import weakref

from structlog.testing import capture_logs

from plumbing.gc_pauses import (
    FreezeSurvivors,
    GcPauses,
    freeze_survivors,
    log_long_collections,
    release_frozen,
    survivors_frozen,
)


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


class _Cycle:
    """An object in a reference cycle: only the collector frees it."""

    def __init__(self) -> None:
        self.me = self


def test_what_survives_a_full_collection_is_frozen_and_a_young_collection_freezes_nothing() -> None:
    with survivors_frozen():
        kept = [_Cycle() for _ in range(100)]
        frozen = gc.get_freeze_count()
        gc.collect(0)
        assert gc.get_freeze_count() == frozen
        gc.collect()
        assert gc.get_freeze_count() >= frozen + len(kept)
        assert not any(o is kept[0] for o in gc.get_objects())  # no collection walks it now


def test_long_lived_state_dropped_and_released_is_freed_by_the_next_collection() -> None:
    with survivors_frozen():
        state = [_Cycle() for _ in range(100)]
        gc.collect()  # state survives: frozen
        alive = weakref.ref(state[0])
        del state
        gc.collect()
        assert alive() is not None  # frozen, in a cycle: never freed unless released
        release_frozen()
        gc.collect()
        assert alive() is None


def test_a_block_hands_everything_back_and_leaves_no_callback() -> None:
    before = list(gc.callbacks)
    with survivors_frozen():
        gc.collect()
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0
    assert gc.callbacks == before


def test_installing_twice_installs_one_callback() -> None:
    first = freeze_survivors()
    try:
        assert freeze_survivors() is first
        assert sum(isinstance(c, FreezeSurvivors) for c in gc.callbacks) == 1
    finally:
        gc.callbacks.remove(first)
        release_frozen()
