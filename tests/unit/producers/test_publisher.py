"""One publisher, many files: each file's report and errors are that file's alone.

Kafka is stood in for where the publisher reaches it, and only there: the producer (whose
futures, Kafka's own, are settled when it is flushed, as the real one's are) and the topic
set-up (an admin client). Everything else (reading, validating, encoding, rejecting) is real.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from kafka.errors import KafkaTimeoutError
from kafka.future import Future
from pydantic import SecretStr

from plumbing.errors import PublishError
from plumbing.settings import CommonSettings, PublisherSettings
from producers import publisher as publisher_module
from producers.publisher import Publisher
from simulation.samples import write_sample

START, END = dt.date(2012, 4, 1), dt.date(2013, 4, 1)


class StandInProducer:
    """Kafka's producer without Kafka: keeps what was sent; at a flush, every pending record is
    acknowledged except the ``unacknowledged`` next ones, which fail as a timed-out send does."""

    def __init__(self, **_config: Any) -> None:
        self.sent: list[tuple[str, bytes | None]] = []
        self.unacknowledged = 0
        self._pending: list[Future] = []

    def send(
        self,
        topic: str,
        key: bytes | None = None,
        value: bytes | None = None,
        headers: list[tuple[str, bytes]] | None = None,
    ) -> Future:
        self.sent.append((topic, key))
        future = Future()
        self._pending.append(future)
        return future

    def flush(self, timeout: float | None = None) -> None:
        for future in self._pending:
            if self.unacknowledged:
                self.unacknowledged -= 1
                future.failure(KafkaTimeoutError("batch expired"))
            else:
                future.success(None)
        self._pending.clear()

    def close(self, timeout: float | None = None) -> None:
        self.flush()


@pytest.fixture
def producer(monkeypatch: pytest.MonkeyPatch) -> StandInProducer:
    stand_in = StandInProducer()
    created: list[str] = []

    def require_topics(settings: CommonSettings, names: Iterable[str]) -> None:
        created.extend(names)

    monkeypatch.setattr(publisher_module, "KafkaProducer", lambda **_: stand_in)
    monkeypatch.setattr(publisher_module, "require_topics", require_topics)
    return stand_in


def _settings(tmp_path: Path) -> PublisherSettings:
    return PublisherSettings(
        home=tmp_path, kafka_bootstrap="stand-in:9092", kafka_password=SecretStr("stand-in")
    )


def _exports(tmp_path: Path, count: int, rows: int = 20) -> list[Path]:
    return [
        write_sample("police", tmp_path / f"police-{n}.csv", rows, 40 + n, START, END).path
        for n in range(count)
    ]


def test_an_unacknowledged_record_fails_its_own_file_not_the_next(
    producer: StandInProducer, tmp_path: Path
) -> None:
    first, second, third = _exports(tmp_path, 3)
    publisher = Publisher(_settings(tmp_path))
    producer.unacknowledged = 1
    with pytest.raises(PublishError, match=r"^1 records were not acknowledged"):
        publisher.publish_file("police", first)
    report = publisher.publish_file("police", second)
    assert (report.published, report.rejected) == (20, [])
    producer.unacknowledged = 2
    with pytest.raises(PublishError, match=r"^2 records were not acknowledged"):
        publisher.publish_file("police", third)
    assert len(producer.sent) == 60


def test_rejected_rows_are_counted_per_file(producer: StandInProducer, tmp_path: Path) -> None:
    bad = write_sample("police", tmp_path / "bad.csv", 20, 7, START, END, invalid=3).path
    (good,) = _exports(tmp_path, 1)
    publisher = Publisher(_settings(tmp_path))
    first = publisher.publish_file("police", bad)
    second = publisher.publish_file("police", good)
    assert (first.published, len(first.rejected)) == (17, 3)
    assert (second.published, second.rejected, second.rejects_file) == (20, [], None)
    dead = [topic for topic, _ in producer.sent if topic.endswith(".deadletter")]
    assert len(dead) == 3
