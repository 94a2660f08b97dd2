"""What a revocation hands back: the dropped linkage state's frozen objects and memory, and
nothing at a worker's first join, where the preloaded snapshot must stay frozen (Faust's
stores run a full collection in the assignment that follows, with no heartbeat sent)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

import streams.app
from plumbing.settings import WorkerSettings
from streams.app import create_app
from streams.hub import HubState
from streams.linkage_agent import Linkage


def _app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Linkage, list[str]]:
    made: list[Linkage] = []

    class Kept(Linkage):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            made.append(self)

    handed: list[str] = []
    monkeypatch.setattr(streams.app, "Linkage", Kept)
    monkeypatch.setattr(streams.app, "release_frozen", lambda: handed.append("frozen"))
    monkeypatch.setattr(streams.app, "give_back", lambda why: handed.append(why))
    settings = WorkerSettings(
        home=tmp_path, kafka_bootstrap="127.0.0.1:1", kafka_security_protocol="PLAINTEXT"
    )  # no broker is contacted
    return create_app(settings), made[0], handed


def test_a_revocation_of_nothing_hands_nothing_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, linkage, handed = _app(tmp_path, monkeypatch)
    asyncio.run(app.on_partitions_revoked.send(set()))  # a worker's first join
    assert linkage.state is None
    assert handed == []


def test_a_revocation_drops_the_state_and_hands_back_its_objects_and_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, linkage, handed = _app(tmp_path, monkeypatch)
    linkage.state = HubState()
    asyncio.run(app.on_partitions_revoked.send(set()))
    assert linkage.state is None
    assert handed == ["frozen", "linkage state dropped"]
