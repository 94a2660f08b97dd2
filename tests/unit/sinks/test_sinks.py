"""The sinks apply each topic's records to the store; a record that does not decode is named
in an error line and left out, and the rest of the batch is still written."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import structlog

from mash.kafka import Record
from mash.settings import WorkerSettings
from producers.synthetic import police_notifications
from schemas.contracts import CONTACT_COUNT, IDENTITIES, POLICE_NOTIFICATION
from schemas.framing import Codec, encode, pack
from schemas.metrics import ContactCount
from sinks.store import Store
from sinks.worker import Changes, Sinks


def _record(topic: str, offset: int, value: bytes) -> Record:
    return Record(topic, 0, offset, b"k", value, {})


@pytest.fixture
def sinks(tmp_path: Path) -> Sinks:
    return Sinks(WorkerSettings(), Store(f"sqlite:///{tmp_path / 'hub.db'}"), Codec())


def test_packed_events_become_facts_and_a_broken_record_is_named_and_skipped(
    sinks: Sinks,
) -> None:
    events = list(police_notifications(30, 3, dt.date(2012, 4, 1), dt.date(2013, 4, 1)))
    frames = [encode(POLICE_NOTIFICATION, e) for e in events]
    topic = WorkerSettings().topic(IDENTITIES)
    batch = {
        topic: [
            _record(topic, 0, pack(frames[:10])),
            _record(topic, 1, b"\x00\x01broken"),
            _record(topic, 2, pack(frames[10:])),
        ]
    }
    with structlog.testing.capture_logs() as logs:
        assert sinks.apply(batch)  # facts changed: the figures are due
    assert len(sinks.store.facts()) == 30
    (error,) = [line for line in logs if line["event"] == "sinks.undecodable"]
    assert error["topic"] == topic and error["offset"] == 1


def test_contact_counts_are_upserted_and_do_not_move_the_figures(sinks: Sinks) -> None:
    topic = WorkerSettings().topic(CONTACT_COUNT.topic)
    counts = [
        ContactCount(agency="POLICE", month="2012-04", partition=0, contacts=n) for n in (1, 4)
    ]
    batch = {topic: [_record(topic, n, encode(CONTACT_COUNT, c)) for n, c in enumerate(counts)]}
    assert not sinks.apply(batch)
    assert [t.contacts for t in sinks.store.contact_totals()] == [4]


def test_figures_wait_for_a_change_and_for_ten_times_their_last_computation() -> None:
    changes = Changes(interval_s=2.0)
    assert not changes.due(0.0)  # nothing changed yet
    changes.touch()
    assert changes.due(0.0) and not changes.due(0.1)
    changes.took(0.5)
    changes.touch()
    assert not changes.due(4.0) and changes.due(5.0)  # 10 x 0.5 s, more than the interval
