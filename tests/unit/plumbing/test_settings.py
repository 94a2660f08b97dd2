"""The worker's static membership of its group: one id per host and data folder."""

from __future__ import annotations

import re
from pathlib import Path

from plumbing.settings import WorkerSettings
from streams.app import faust_settings


def test_a_worker_keeps_its_group_instance_id_across_restarts_on_its_folder(
    tmp_path: Path,
) -> None:
    first = WorkerSettings(home=tmp_path, kafka_security_protocol="PLAINTEXT")
    again = WorkerSettings(home=tmp_path / "." / "")  # the same folder, written another way
    other = WorkerSettings(home=tmp_path, data_dir=tmp_path / "worker-2")
    assert first.group_instance is not None
    assert first.group_instance == again.group_instance
    assert other.group_instance not in (None, first.group_instance)
    # Kafka's rule for the id: its topic names' characters, at most 249 of them
    assert re.fullmatch(r"[A-Za-z0-9._-]{1,249}", first.group_instance)
    assert faust_settings(first)["consumer_group_instance_id"] == first.group_instance


def test_dynamic_membership_when_static_membership_is_off(tmp_path: Path) -> None:
    settings = WorkerSettings(
        home=tmp_path, static_membership=False, kafka_security_protocol="PLAINTEXT"
    )
    assert settings.group_instance is None
    assert faust_settings(settings)["consumer_group_instance_id"] is None
