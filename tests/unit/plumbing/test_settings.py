"""The worker's static membership of its group: one id per data folder, kept in it."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from plumbing.settings import WorkerSettings
from streams.app import faust_settings, group_instance


def _settings(home: Path, **changes: object) -> WorkerSettings:
    return WorkerSettings(home=home, kafka_security_protocol="PLAINTEXT", **changes)


def test_a_worker_keeps_its_group_instance_id_across_restarts_on_its_folder(
    tmp_path: Path,
) -> None:
    first = group_instance(_settings(tmp_path))
    assert first is not None
    assert group_instance(_settings(tmp_path)) == first  # a restart on the folder
    folder = _settings(tmp_path).worker_path
    assert (folder / ".id").stat().st_mode & 0o777 == 0o600
    # Kafka's rule for the id: its topic names' characters, at most 249 of them
    assert re.fullmatch(r"[A-Za-z0-9._-]{1,249}", first)
    assert faust_settings(_settings(tmp_path))["consumer_group_instance_id"] == first
    # another worker's folder, and a copy of this one (a new worker seeded from its disk)
    other = group_instance(_settings(tmp_path, data_dir=tmp_path / "worker-2"))
    shutil.copytree(folder, tmp_path / "copy")
    copied = group_instance(_settings(tmp_path, data_dir=tmp_path / "copy"))
    assert len({first, other, copied}) == 3
    assert group_instance(_settings(tmp_path)) == first  # the original keeps its own


def test_dynamic_membership_when_static_membership_is_off(tmp_path: Path) -> None:
    settings = _settings(tmp_path, static_membership=False)
    assert group_instance(settings) is None
    assert faust_settings(settings)["consumer_group_instance_id"] is None
