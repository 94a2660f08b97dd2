"""The streams' wiring at its seams: Faust's internals stay behind one wall, the linkage log
is throttled, and the worker refuses a Faust it was not written against."""

from __future__ import annotations

import re
from pathlib import Path

import faust
import pytest

from plumbing.errors import ConfigError
from plumbing.settings import WorkerSettings
from streams.app import faust_settings
from streams.faust_internals import FAUST_VERSION, check_faust_version
from streams.linkage_agent import Throttle, linkage_batch_packs

STREAMS = Path(__file__).resolve().parents[3] / "streams"
PRIVATE = re.compile(
    r"faust\.(streams|transport|tables)|_current_event|take_events|\._committed_offset"
    r"|\._new_offset|\._acked|\._gap|generation_id"
)


def test_faust_internals_are_used_in_one_module_only() -> None:
    offenders = {
        path.name
        for path in STREAMS.glob("*.py")
        if path.name != "faust_internals.py" and PRIVATE.search(path.read_text())
    }
    assert offenders == set()
    assert PRIVATE.search((STREAMS / "faust_internals.py").read_text())


def test_the_worker_refuses_another_faust_version() -> None:
    check_faust_version(FAUST_VERSION)
    with pytest.raises(ConfigError, match=r"faust_internals\.py"):
        check_faust_version("0.16.0")


def test_the_installed_faust_is_the_one_the_wall_was_written_against() -> None:
    check_faust_version()


def test_linkage_reports_at_most_once_per_interval_while_batches_are_full() -> None:
    # defect: the throttle compared a batch of a few packed messages with the 1,000-event
    # batch size, so every batch counted as "caught up": each one logged and counted persons
    settings = WorkerSettings()
    assert linkage_batch_packs(settings) < settings.batch_size  # the units the defect mixed
    throttle = Throttle(interval_s=2.0)
    due = [throttle.due(t / 10, caught_up=False) for t in range(30)]  # 3 s of full batches
    assert due.count(True) == 2  # at 0 s and at 2 s
    assert throttle.due(3.0, caught_up=True)  # a batch that is not full: caught up, say so


def test_a_fetch_brings_as_much_of_a_partition_as_configured(tmp_path: Path) -> None:
    settings = WorkerSettings(
        home=tmp_path,
        kafka_bootstrap="127.0.0.1:1",  # nothing contacted: the app is configured, not run
        kafka_security_protocol="PLAINTEXT",
        fetch_partition_bytes=3 * 1024 * 1024,
    )
    app = faust.App(settings.app_id, **faust_settings(settings))
    assert app.conf.consumer_max_fetch_size == 3 * 1024 * 1024
    default = WorkerSettings(home=tmp_path, kafka_bootstrap="127.0.0.1:1")
    assert default.fetch_partition_bytes > 1024 * 1024  # above Kafka's own 1 MiB
