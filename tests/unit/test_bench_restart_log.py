"""`mash bench hub --restart`: each restart on a store reads its own log, not an earlier one's."""

from __future__ import annotations

from pathlib import Path

from mash.bench import _log, _logged, _logged_peak, _restart_log, _restarts
from plumbing.settings import WorkerSettings


def test_a_second_restart_on_one_store_logs_apart_from_the_first(tmp_path: Path) -> None:
    settings = WorkerSettings(home=tmp_path, app_id="mash-bench-x")
    assert _restarts(settings) == 0
    first = _restart_log(settings, 1)
    assert first.parent == _log(settings).parent
    first.parent.mkdir(parents=True)
    first.write_text('{"event": "[^---Recovery]: Worker ready", "timestamp": "then"}\n')
    assert _restarts(settings) == 1
    second = _restart_log(settings, 2)
    assert second != first and not second.exists()
    second.write_text('{"event": "[^---Recovery]: Worker ready", "timestamp": "now"}\n')
    assert _logged(second, "[^---Recovery]: Worker ready", first=True)["timestamp"] == "now"
    assert _restarts(settings) == 2


def test_the_forked_childrens_peak_is_the_highest_logged_in_the_log_and_its_backups(
    tmp_path: Path,
) -> None:
    log = tmp_path / "mash-bench-x.log"
    (tmp_path / "mash-bench-x.log.1").write_text(
        '{"event": "metrics.refresh_ended", "peak_mb": 3101}\n'
        '{"event": "linkage.snapshot_saved", "peak_mb": 700}\n'
    )
    (tmp_path / "mash-bench-x.log.out").write_text(
        '{"event": "metrics.refresh_ended", "peak_mb": 9}'
    )
    log.write_text(
        '{"event": "metrics.refresh_ended", "peak_mb": 2900}\n'
        '{"event": "linkage.snapshot_failed", "peak_mb": 5000}\n'
        '{"event": "linkage.snapshot_saved", "peak_mb": 812}\n'
        '{"event": "linkage.snapshot_saved_at_stop", "peak_mb": 990}\n'
    )
    assert _logged_peak(log, "metrics.refresh_ended") == 3101
    assert _logged_peak(log, "linkage.snapshot_saved") == 812
    assert _logged_peak(log, "linkage.snapshot_saved", "linkage.snapshot_saved_at_stop") == 990
    assert _logged_peak(log, "metrics.refresh_stuck") == 0
