"""Publish an agency export file to Kafka: validate every row, reject bad ones loudly."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kafka import KafkaProducer
from kafka.errors import KafkaError, KafkaTimeoutError
from pydantic import ValidationError

from plumbing.errors import ConfigError, Interrupted, PublishError
from plumbing.kafka import credentials, kafka_python_config, require_topics
from plumbing.keys import key_secret
from plumbing.logs import get_logger
from plumbing.settings import PublisherSettings
from producers.rejects import Rejection, problems_of, write_rejects
from schemas.adapters import AgencyAdapter, adapter_for
from schemas.common import ValidationClock
from schemas.deadletters import fitting
from schemas.exports import check_export, read_export
from schemas.registry import codec_for

__all__ = [
    "PublishReport",
    "Publisher",
    "Rejection",
    "agency_principal",
    "subject_key",
]

log = get_logger(__name__)


@dataclass(frozen=True)
class Unsent:
    """A record Kafka did not acknowledge: the line of its row (None: a dead letter)."""

    line: int | None
    error: BaseException


def _ranges(*lines: int) -> str:
    """Line numbers as ranges: ``3-5, 9``."""
    spans: list[list[int]] = []
    for line in lines:
        if spans and line == spans[-1][1] + 1:
            spans[-1][1] = line
        else:
            spans.append([line, line])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


@dataclass
class PublishReport:
    """What one `mash publish` did."""

    agency: str
    path: Path
    published: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    rejects_file: Path | None = None
    seconds: float = 0.0
    lines: tuple[int, int] | None = None
    """The first and last line of the rows read; every row between them that was not
    rejected was published."""
    sent: list[int] = field(default_factory=list)
    """The lines of the rows sent to Kafka (in order)."""
    acked: list[int] = field(default_factory=list)
    """The lines of the rows Kafka acknowledged (in any order)."""

    @property
    def rows_per_s(self) -> float:
        """Rows read per second, published or rejected."""
        return (self.published + len(self.rejected)) / self.seconds if self.seconds else 0.0


def _check_rejects_folder(folder: Path) -> None:
    """`ConfigError` in one line, before anything is sent, unless the rejects file can be
    written in ``folder`` (made private if new): found only after sending, a file's rows were
    published, its rejects dead-lettered and its report lost (an outside probe)."""
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise ConfigError(
            f"MASH_REJECTS_DIR: {folder} cannot be made ({exc.strerror}); nothing was sent"
        ) from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigError(f"MASH_REJECTS_DIR: {folder} is not writable; nothing was sent")


def subject_key(record: Any, secret: bytes) -> bytes:
    """The partition key: one child's events from one agency land on one partition, and the
    key says nothing about the child (HMAC-SHA256 under the hub's key secret, hex).

    The strongest identifier the agency gave is hashed (NHS number, then its own person id,
    then family name and birth or due date), with the agency; an event with no single subject
    (a MARAC case) is keyed by its record id. Same child, same key: re-sends and
    re-submissions meet on one partition, where de-duplication sees them.
    """
    subject = getattr(record, "subject", None)
    if subject is None:
        strongest = f"{record.source_agency}:{record.agency_record_id}"
    else:
        born = subject.date_of_birth or subject.expected_delivery_date
        child = subject.nhs_number or subject.person_id or f"{subject.family_name.lower()}|{born}"
        strongest = f"{record.source_agency}:{child}"
    return hmac.new(secret, strongest.encode(), hashlib.sha256).hexdigest().encode()


def agency_principal(topic: str) -> str:
    """The Kafka principal of the agency that owns a contract topic (``police.notifications``:
    ``police``): the only one that may write it."""
    return topic.split(".", 1)[0]


class Publisher:
    """Publishes agency exports with an idempotent, acks=all producer, as the principal of the
    agency that owns each export's topic (one producer per agency, made when first needed)."""

    def __init__(self, settings: PublisherSettings) -> None:
        self.settings = settings
        self.producers: dict[str, KafkaProducer] = {}
        self.producer: KafkaProducer | None = None
        self.codec = codec_for(settings)
        self.key_secret = key_secret(settings)

    def close(self) -> None:
        """Flush and close the producers (a close Kafka does not answer is logged: it must
        not hide the error that ended the publish, which names the lines not stored)."""
        for producer in self.producers.values():
            try:
                producer.close(timeout=30)
            except KafkaError as exc:
                log.warning("publish.close_failed", error=type(exc).__name__)

    def flush(self, timeout: float = 60) -> None:
        """Wait until every producer's records are acknowledged."""
        for producer in self.producers.values():
            producer.flush(timeout=timeout)

    def producer_for(self, contract_topic: str) -> KafkaProducer:
        """The producer (made when first needed) of the agency that owns ``contract_topic``."""
        return self._use(self.settings.as_principal(agency_principal(contract_topic)))

    def _use(self, settings: PublisherSettings) -> KafkaProducer:
        principal = settings.kafka_username or ""
        if principal not in self.producers:
            self.producers[principal] = KafkaProducer(
                **kafka_python_config(credentials(settings)),
                acks="all",
                enable_idempotence=True,
                linger_ms=20,
                batch_size=256 * 1024,
                max_in_flight_requests_per_connection=5,
                # Kafka lost mid-file: wait and retry (reconnecting every 5 s at most) within
                # a bound, then fail the records still waiting, which the report names
                delivery_timeout_ms=int(settings.publish_wait_s * 1000),
                max_block_ms=int(settings.publish_wait_s * 1000),
                # below the bound with the linger (the client refuses a delivery timeout
                # that is not: MASH_PUBLISH_WAIT_S under 30 s was a traceback)
                request_timeout_ms=max(1, min(30_000, int(settings.publish_wait_s * 1000) // 2)),
                reconnect_backoff_max_ms=5000,
            )
        self.producer = self.producers[principal]
        return self.producer

    def publish_record(self, record: Any) -> None:
        """Publish one valid model (e.g. a reviewer's decision) as the agency that owns its
        event type, and wait for Kafka's acknowledgement; raises `PublishError` without it."""
        adapter = adapter_for(record.event_type)
        topic = self.settings.topic(adapter.contract.topic)
        settings = self.settings.as_principal(agency_principal(adapter.contract.topic))
        require_topics(settings, [topic])
        producer = self._use(settings)
        failures: list[Unsent] = []
        value = self.codec.encode(adapter.contract, record, topic)
        self._send(topic, subject_key(record, self.key_secret), value, failures)
        producer.flush(timeout=self.settings.publish_wait_s + 30)
        if failures:
            raise PublishError(f"the record was not acknowledged by Kafka: {failures[0].error!r}")
        log.info("publish.record", event_type=record.event_type, event_id=str(record.event_id))

    def publish_file(
        self, agency: str, path: Path, on_row: Callable[[int], None] = lambda _: None
    ) -> PublishReport:
        """Publish every valid row of ``path``; reject the rest to a file and the dead letters.

        The kind, the file and its header are checked before connecting (`UsageError`).
        Raises `PublishError` if Kafka did not acknowledge every record of this file (records
        of files published before by this publisher play no part).
        """
        adapter = adapter_for(agency)
        check_export(path, adapter)
        _check_rejects_folder(self.settings.rejects_path)
        topic = self.settings.topic(adapter.contract.topic)
        settings = self.settings.as_principal(agency_principal(adapter.contract.topic))
        require_topics(settings, [topic, settings.deadletter_topic])
        producer = self._use(settings)
        report = PublishReport(agency, path)
        failures: list[Unsent] = []  # this file's: the publisher outlives it
        started = time.perf_counter()
        try:
            self._send_rows(report, adapter, topic, on_row, failures)
        except KeyboardInterrupt:  # Ctrl-C: what was stored, then out
            raise self._interrupted(producer, report) from None
        self._flush(producer, report, failures)
        report.seconds = time.perf_counter() - started
        if report.rejected:
            report.rejects_file = write_rejects(report.rejected, path, self.settings.rejects_path)
        log.info(
            "publish.done",
            agency=agency,
            file=path.name,
            published=report.published,
            rejected=len(report.rejected),
            seconds=round(report.seconds, 3),
        )
        return report

    def _interrupted(self, producer: KafkaProducer, report: PublishReport) -> Interrupted:
        """The interruption of ``report``'s file, naming the lines stored: those Kafka
        acknowledged within a few seconds of it (an outside probe: a Ctrl-C said nothing of
        what had been sent)."""
        with contextlib.suppress(KafkaError):
            producer.flush(timeout=min(10.0, self.settings.publish_wait_s))
        stored = _ranges(*sorted(report.acked)) or "none"
        return Interrupted(
            f"interrupted at line {report.lines[1] if report.lines else 1} of "
            f"{report.path.name}: lines stored: {stored}; any other may or may not have been "
            "(publish the file again: the hub drops the repeats)"
        )

    def _flush(
        self, producer: KafkaProducer, report: PublishReport, failures: list[Unsent]
    ) -> None:
        """Wait for Kafka to take every record (each waits at most ``publish_wait_s``); raise
        `PublishError` naming the lines it did not take, if any."""
        try:
            producer.flush(timeout=self.settings.publish_wait_s + 30)
        except KafkaTimeoutError as exc:
            done = set(report.acked)
            waiting = [line for line in report.sent if line not in done]
            raise PublishError(
                f"Kafka did not answer within {self.settings.publish_wait_s + 30:.0f} s: "
                f"lines not acknowledged, which may not have been stored: "
                f"{_ranges(*waiting) or 'none'}; every other published line was stored"
            ) from exc
        if failures:
            lines = sorted({f.line for f in failures if f.line is not None})
            raise PublishError(
                f"{len(failures)} records were not acknowledged by Kafka "
                f"({failures[0].error!r}): lines not sent: {_ranges(*lines) or 'none'}; "
                "every other line was sent"
            )

    def _send_rows(
        self,
        report: PublishReport,
        adapter: AgencyAdapter,
        topic: str,
        on_row: Callable[[int], None],
        failures: list[Unsent],
    ) -> None:
        clock = ValidationClock(skew=dt.timedelta(seconds=self.settings.clock_skew_s))
        pending = 0
        for row in read_export(report.path, adapter):
            report.lines = (report.lines[0] if report.lines else row.line, row.line)
            try:
                record = row.build(clock)
            except (ValidationError, ValueError) as exc:
                cells = row.cells if isinstance(row.cells, dict) else None
                rejection = Rejection(row.line, problems_of(exc), row.raw, cells)
                self._reject(report, rejection, failures)
            else:
                value = self.codec.encode(adapter.contract, record, topic)
                key = subject_key(record, self.key_secret)
                self._send(topic, key, value, failures, line=row.line, acked=report.acked)
                report.sent.append(row.line)
                report.published += 1
            pending += 1
            if pending == 256:  # progress in steps: a callback per row costs more than the row
                on_row(pending)
                pending = 0
        on_row(pending)

    def _send(
        self,
        topic: str,
        key: bytes | None,
        value: bytes,
        failures: list[Unsent],
        headers: list[tuple[str, bytes]] | None = None,
        line: int | None = None,
        acked: list[int] | None = None,
    ) -> None:
        assert self.producer is not None, "publish_file chooses the producer"
        future = self.producer.send(topic, key=key, value=value, headers=headers or [])
        future.add_errback(lambda error: failures.append(Unsent(line, error)))
        if acked is not None and line is not None:
            future.add_callback(lambda _: acked.append(line))

    def _reject(self, report: PublishReport, rejection: Rejection, failures: list[Unsent]) -> None:
        report.rejected.append(rejection)
        log.debug(  # the terminal and the rejects file tell the user; the log would repeat it
            "publish.rejected",
            agency=report.agency,
            file=report.path.name,
            line=rejection.line,
            reason=rejection.reason,
        )
        letter = fitting(  # a row over the producer's limit is stored, never unsendable
            f"{report.path.name}:{rejection.line}".encode(),
            rejection.raw,
            [
                ("mash.reason", rejection.reason.encode()),
                ("mash.stage", b"publish"),
                ("mash.agency", report.agency.encode()),
                ("mash.source", f"{report.path.name}:{rejection.line}".encode()),
            ],
            self.settings.home,
        )
        self._send(
            self.settings.deadletter_topic, letter.key, letter.value, failures, letter.headers
        )
