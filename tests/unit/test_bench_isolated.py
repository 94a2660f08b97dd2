"""`mash bench`'s isolation: its topics, group, port and, on the embedded default, database."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr

from mash.bench import _isolated
from plumbing.settings import WorkerSettings


def test_a_bench_on_the_embedded_default_writes_a_database_of_its_own(tmp_path: Path) -> None:
    settings = WorkerSettings(home=tmp_path)
    first, second = _isolated(settings), _isolated(settings)
    assert first.app_id != second.app_id and first.topic_prefix == first.app_id
    assert first.database == f"sqlite:///{tmp_path / 'bench' / first.app_id}.db"
    assert second.database != first.database != settings.database  # not the hub's mash.db


def test_a_bench_on_a_configured_database_uses_it(tmp_path: Path) -> None:
    url = "postgresql://mash:secret@db.example/mash"
    settings = WorkerSettings(home=tmp_path, database_url=SecretStr(url))
    isolated = _isolated(settings)
    assert isolated.database == settings.database
    assert isolated.app_id != settings.app_id
