"""A worker's start, logged phase by phase (``streams.app.StartPhases``)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from structlog.testing import capture_logs

import streams.app
from plumbing.settings import WorkerSettings
from streams.app import StartPhases, create_app


def test_a_workers_start_is_logged_as_one_line_of_its_phases(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the clock read once as the phases begin, then once as each ends
    clock = iter([10.0, 10.25, 11.0, 11.5, 13.75])
    monkeypatch.setattr(streams.app, "time", SimpleNamespace(monotonic=lambda: next(clock)))
    settings = WorkerSettings(
        home=tmp_path, kafka_bootstrap="127.0.0.1:1", kafka_security_protocol="PLAINTEXT"
    )
    phases = StartPhases()
    phases.done("checked")
    create_app(settings, phases=phases)  # no broker is contacted: nothing to catch up
    with capture_logs() as logs:
        phases.log()
    assert [e["event"] for e in logs] == ["streams.start_phases"]
    line = logs[0]
    imported = line.pop("imported_s")  # this test process's age: the interpreter, pytest
    assert isinstance(imported, float) and imported > 0
    assert {k: v for k, v in line.items() if k.endswith("_s")} == {
        "checked_s": 0.25,
        "made_s": 0.75,
        "caught_up_s": 0.5,
        "preloaded_s": 2.25,
    }
    assert list(line)[:5] == ["checked_s", "made_s", "caught_up_s", "preloaded_s", "event"]


def test_a_start_that_fails_logs_the_phases_it_ended_and_the_errors_type(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_topics(*_: object) -> None:
        raise SystemExit("the hub's topics are missing: run `mash topics create`")

    monkeypatch.setattr(streams.app, "require_topics", no_topics)
    settings = WorkerSettings(
        home=tmp_path, kafka_bootstrap="127.0.0.1:1", kafka_security_protocol="PLAINTEXT"
    )
    with capture_logs() as logs, pytest.raises(SystemExit, match="topics are missing"):
        streams.app.run_streams(settings)
    lines = [e for e in logs if e["event"] == "streams.start_phases"]
    assert len(lines) == 1
    line = lines[0]
    assert (line["log_level"], line["failed"]) == ("warning", "SystemExit")
    assert "imported_s" in line and "checked_s" not in line  # it failed in the check
