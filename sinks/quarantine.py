"""The sinks' quarantine: a record of an internal topic that the sinks cannot decode or store
goes to the quarantine topic (a dead letter: topic, partition, offset and reason), is counted
and logged as an error (ids only), and the sinks go on. Nothing is skipped silently: the
record is delivered to the quarantine before the batch's offsets are committed.

A batch that fails as a whole is written again record by record (``isolate``), so that only
the records that fail on their own are quarantined and the good ones are written once.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from confluent_kafka import KafkaError, Producer
from sqlalchemy.exc import DataError, IntegrityError

from plumbing.errors import ContractError, SinkError
from plumbing.kafka import Record, confluent_config, credentials
from plumbing.logs import get_logger
from plumbing.settings import WorkerSettings
from schemas.deadletters import Origin, dead_letter
from schemas.topics import QUARANTINE

__all__ = ["QUARANTINABLE", "Quarantine", "Quarantines", "isolate", "reason_of"]

log = get_logger(__name__)

QUARANTINABLE: tuple[type[Exception], ...] = (
    SinkError,
    ContractError,
    ValueError,  # json.JSONDecodeError, UnicodeDecodeError
    KeyError,
    TypeError,
    DataError,  # a value the column cannot hold (PostgreSQL: varchar too long)
    IntegrityError,
)
"""Failures that belong to a record. Anything else (the database down, the broker gone)
belongs to the moment: the sinks stop and read the batch again, nothing is quarantined."""


def reason_of(exc: Exception) -> str:
    """A one-line reason, without the statement or its parameters (they hold data)."""
    cause = getattr(exc, "orig", None) if isinstance(exc, DataError | IntegrityError) else None
    shown = cause if isinstance(cause, BaseException) else exc
    text = str(shown).splitlines()[0] if str(shown) else ""
    return f"{type(shown).__name__}: {text}"[:500]


class Quarantines(Protocol):
    """Where ``isolate`` sends a record that fails on its own."""

    def send(self, record: Record, exc: Exception) -> None:
        """Quarantine ``record``, which failed with ``exc``."""


class Quarantine:
    """Sends records the sinks cannot take to the quarantine topic, as the sinks' principal."""

    def __init__(self, settings: WorkerSettings) -> None:
        self.topic = settings.topic(QUARANTINE)
        self.home = settings.home
        self.counts: Counter[str] = Counter()
        self.failures: list[str] = []
        self.producer = Producer(
            {
                **confluent_config(credentials(settings)),
                "enable.idempotence": True,
                "acks": "all",
                "linger.ms": 5,
            }
        )

    def send(self, record: Record, exc: Exception) -> None:
        """Queue ``record``'s dead letter; `flush` makes sure it was delivered."""
        reason = reason_of(exc)
        kind = type(exc).__name__
        self.counts[kind] += 1
        log.error(
            "sinks.quarantined",
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            error=kind,
            quarantined_total=sum(self.counts.values()),
        )
        origin = Origin(record.topic, record.partition, record.offset, "sinks", reason)
        letter = dead_letter(origin, record.key, record.value or b"", Path(self.home))
        headers: list[tuple[str, str | bytes | None]] = list(letter.headers)
        self.producer.produce(
            self.topic, letter.value, letter.key, headers=headers, on_delivery=self._done
        )

    def _done(self, error: KafkaError | None, _: Any) -> None:
        if error is not None:
            self.failures.append(error.str())

    def flush(self, timeout_s: float = 30.0) -> None:
        """Wait until every quarantined record is on the topic; `SinkError` otherwise (the
        batch is then not committed, and is read again)."""
        left = self.producer.flush(timeout_s)
        if left or self.failures:
            failures, self.failures = self.failures, []
            raise SinkError(f"{left} quarantined records undelivered; {failures[:1]}")

    def summary(self) -> str:
        """The counts by error, as JSON (for the stop log line)."""
        return json.dumps(dict(self.counts), sort_keys=True)


def isolate(
    write: Callable[[Sequence[Any]], bool], batch: Sequence[Record], quarantine: Quarantines
) -> bool:
    """Write ``batch``; if it fails as a whole for a reason of its records, write it again one
    record at a time and quarantine each record that fails on its own."""
    try:
        return write(batch)
    except QUARANTINABLE as exc:
        if len(batch) == 1:
            quarantine.send(batch[0], exc)
            return False
    moved = False
    for record in batch:
        try:
            moved |= write([record])
        except QUARANTINABLE as exc:
            quarantine.send(record, exc)
    return moved
