"""Every agency's export of the simulated year publishes to the real broker and reads back equal."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from plumbing.kafka import read_topic
from plumbing.settings import PublisherSettings
from producers.publisher import Publisher
from schemas.adapters import adapter_for
from schemas.common import ValidationClock
from schemas.exports import read_export
from schemas.framing import decode
from simulation.year import simulate, write_simulation
from tests.integration.hub import admin, settings_from


def test_every_export_kind_round_trips_through_kafka(
    hub_env: dict[str, str], tmp_path: Path
) -> None:
    files = write_simulation(simulate("havering-2012", seed=7), tmp_path / "year")
    settings = settings_from(hub_env, PublisherSettings)
    publisher = Publisher(settings)
    try:
        reports = [publisher.publish_file(path.stem, path) for path in files]
    finally:
        publisher.close()
    assert all(not r.rejected for r in reports), [r.rejected[:3] for r in reports]
    assert {r.agency.split(".")[0] for r in reports} >= {
        "police",
        "health",
        "probation",
        "education",
        "community_safety",
        "childrens_services",
        "lado",
    }
    for path, rows in files.items():
        adapter = adapter_for(path.stem)
        sent = Counter(row.build(ValidationClock()) for row in read_export(path, adapter))
        back = Counter(
            decode(r.value or b"")
            for r in read_topic(admin(settings), settings.topic(adapter.contract.topic))
        )
        assert sum(sent.values()) == rows
        assert back == sent, path.name
