"""One publisher, many files: each file's report and errors are that file's alone.

Kafka is stood in for where the publisher reaches it, and only there: the producer (whose
futures, Kafka's own, are settled when it is flushed, as the real one's are) and the topic
set-up (an admin client). Everything else (reading, validating, encoding, rejecting) is real.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from kafka.errors import KafkaTimeoutError, MessageSizeTooLargeError
from kafka.future import Future
from pydantic import SecretStr

from plumbing.blobs import read_blob
from plumbing.errors import ConfigError, Interrupted, PublishError, exit_code
from plumbing.settings import CommonSettings, PublisherSettings
from producers import publisher as publisher_module
from producers.publisher import Publisher
from producers.rejects import FIRST_LINES, summarise
from schemas.adapters import adapter_for
from schemas.exports import MAX_CELL_CHARS
from simulation.samples import write_sample
from simulation.synthetic import police_notifications

START, END = dt.date(2012, 4, 1), dt.date(2013, 4, 1)


class StandInProducer:
    """Kafka's producer without Kafka: keeps what was sent; at a flush, every pending record is
    acknowledged except the ``unacknowledged`` next ones, which fail as a timed-out send does."""

    def __init__(self, **_config: Any) -> None:
        self.sent: list[tuple[str, bytes | None]] = []
        self.headers: list[dict[str, bytes]] = []
        self.unacknowledged = 0
        self.answers: int | None = None
        self._pending: list[Future] = []

    def send(
        self,
        topic: str,
        key: bytes | None = None,
        value: bytes | None = None,
        headers: list[tuple[str, bytes]] | None = None,
    ) -> Future:
        size = len(value or b"") + sum(len(k) + len(v) for k, v in headers or [])
        if size > 1_048_576:  # as kafka-python refuses at send, over max_request_size
            raise MessageSizeTooLargeError(f"The message is {size} bytes")
        self.sent.append((topic, key))
        self.headers.append(dict(headers or []))
        future = Future()
        self._pending.append(future)
        return future

    def flush(self, timeout: float | None = None) -> None:
        if self.answers is not None:  # Kafka lost: these many answered, then nothing
            for future in self._pending[: self.answers]:
                future.success(None)
            self._pending = self._pending[self.answers :]
            self.answers = 0
            raise KafkaTimeoutError("flush timed out")
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


def test_rows_kafka_did_not_take_are_named_by_line(
    producer: StandInProducer, tmp_path: Path
) -> None:
    (export,) = _exports(tmp_path, 1)
    producer.unacknowledged = 3  # the first three rows: lines 2 to 4 (line 1 is the header)
    with pytest.raises(PublishError, match=r"lines not sent: 2-4; every other line was sent$"):
        Publisher(_settings(tmp_path)).publish_file("police", export)


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


def test_a_bad_byte_and_an_oversized_cell_reject_their_rows_and_the_rejects_republish(
    producer: StandInProducer, tmp_path: Path
) -> None:
    export = write_sample("police", tmp_path / "police.csv", 12, 9, START, END)
    rows = _read(export.path)
    header = list(rows[0])
    rows[2]["reporter_team_id"] += "\udcff"  # written back as the byte 0xff, on line 4
    rows[6]["cris_ref"] = "x" * (MAX_CELL_CHARS + 1)  # line 8
    _write(export.path, rows)
    assert b"\xff" in export.path.read_bytes()
    report = Publisher(_settings(tmp_path)).publish_file("police", export.path)
    assert [(r.line, r.problems[0][0]) for r in report.rejected] == [
        (4, "reporter_team_id"),
        (8, "cris_ref"),
    ]
    assert "not UTF-8" in report.rejected[0].reason
    assert f"{MAX_CELL_CHARS:,} characters" in report.rejected[1].reason
    assert (report.published, report.lines) == (10, (2, 13))
    assert report.rejects_file is not None
    assert report.rejects_file.stat().st_mode & 0o777 == 0o600
    rows = _read(report.rejects_file)
    assert list(rows[0]) == [*header, "line", "reason"]
    assert [r["line"] for r in rows] == ["4", "8"]
    for row in rows:  # as an agency fixes them
        row["reporter_team_id"] = row["reporter_team_id"].replace("\udcff", "")
        row["cris_ref"] = row["cris_ref"][:20]
    fixed = tmp_path / "fixed.csv"
    _write(fixed, rows)
    again = Publisher(_settings(tmp_path)).publish_file("police", fixed)
    assert (again.published, again.rejected) == (2, [])


def test_a_blank_required_cell_is_named_required_not_a_type_error(
    producer: StandInProducer, tmp_path: Path
) -> None:
    export = write_sample("police", tmp_path / "police.csv", 3, 9, START, END)
    rows = _read(export.path)
    rows[1]["subject_given_name"] = ""  # line 3
    _write(export.path, rows)
    report = Publisher(_settings(tmp_path)).publish_file("police", export.path)
    assert [(r.line, r.problems) for r in report.rejected] == [
        (3, (("subject.given_name", "required: the value is blank"),))
    ]


def test_the_summary_counts_rows_per_field_and_reason_with_the_first_lines(
    producer: StandInProducer, tmp_path: Path
) -> None:
    bad = write_sample("police", tmp_path / "bad.csv", 60, 7, START, END, invalid=14)
    report = Publisher(_settings(tmp_path)).publish_file("police", bad.path)
    summary = summarise(report.rejected)
    assert sum(c.rows for c in summary) >= len(bad.invalid_lines)
    for count in summary:
        hit = [r.line for r in report.rejected if count.column in dict(r.problems)]
        assert count.rows == len(hit) and count.lines == hit[:FIRST_LINES]
    assert [c.rows for c in summary] == sorted((c.rows for c in summary), reverse=True)


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8", errors="surrogateescape") as f:
        return list(csv.DictReader(f))


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8", errors="surrogateescape") as f:
        writer = csv.DictWriter(f, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_a_row_too_large_for_kafka_is_rejected_and_its_dead_letter_stored_not_sent_whole(
    producer: StandInProducer, tmp_path: Path
) -> None:
    # an outside probe: a 1.2 MB address made the row's dead letter too large to send, and
    # `mash publish` stopped there with a traceback, the valid rows after it never sent
    export = write_sample("police", tmp_path / "police.csv", 5, 9, START, END)
    rows = _read(export.path)
    rows[1]["subject_address"] = "x" * 1_200_000  # line 3
    _write(export.path, rows)
    report = Publisher(_settings(tmp_path)).publish_file("police", export.path)
    assert [r.line for r in report.rejected] == [3]
    assert report.published == 4  # the rows after it too
    [letter] = [
        h
        for (topic, _), h in zip(producer.sent, producer.headers, strict=True)
        if topic.endswith(".deadletter")
    ]
    digest = letter["mash.original.sha256"].decode()
    assert int(letter["mash.original.size"]) > 1_200_000
    assert b"x" * 1000 in read_blob(tmp_path, digest)


def test_kafka_lost_mid_file_names_the_lines_not_acknowledged_and_a_failed_close_hides_nothing(
    producer: StandInProducer, tmp_path: Path
) -> None:
    # an outside probe: the broker stopped mid-file; the error said every line might be
    # unsent (4,438 had been stored) and the producer's close buried it in a traceback
    (export,) = _exports(tmp_path, 1)  # lines 2-21
    producer.answers = 5
    publisher = Publisher(_settings(tmp_path))
    with pytest.raises(PublishError) as raised:
        publisher.publish_file("police", export)
    assert str(raised.value).endswith(
        "lines not acknowledged, which may not have been stored: 7-21; "
        "every other published line was stored"
    )

    def close(timeout: float | None = None) -> None:
        raise KafkaTimeoutError("close timed out")

    producer.close = close  # type: ignore[method-assign]
    publisher.close()  # logged, not raised over the error above


def test_a_rejects_folder_that_cannot_be_written_is_refused_before_anything_is_sent(
    producer: StandInProducer, tmp_path: Path
) -> None:
    bad = write_sample("police", tmp_path / "bad.csv", 5, 7, START, END, invalid=1).path
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("")
    settings = _settings(tmp_path).model_copy(update={"rejects_dir": blocked / "rejects"})
    with pytest.raises(ConfigError, match=r"MASH_REJECTS_DIR: .* cannot be made"):
        Publisher(settings).publish_file("police", bad)
    assert producer.sent == []


def test_a_ctrl_c_mid_file_says_which_lines_were_stored(
    producer: StandInProducer, tmp_path: Path
) -> None:
    (export,) = _exports(tmp_path, 1, rows=600)

    def interrupt(_: int) -> None:
        raise KeyboardInterrupt  # after the first 256 rows, lines 2-257

    with pytest.raises(Interrupted) as raised:
        Publisher(_settings(tmp_path)).publish_file("police", export, interrupt)
    assert str(raised.value) == (
        f"interrupted at line 257 of {export.name}: lines stored: 2-257; any other may or "
        "may not have been (publish the file again: the hub drops the repeats)"
    )
    assert exit_code(raised.value) == 130


def test_a_jsonl_line_that_is_not_utf8_is_rejected_with_its_exact_bytes(
    producer: StandInProducer, tmp_path: Path
) -> None:
    # JSON holds Unicode only: the rejects object keeps the readable text and the bytes
    records = list(police_notifications(3, 9, START, END))
    lines = [adapter_for("police").to_json(r).encode() for r in records]
    lines[1] = lines[1].replace(b'"merlin_ref":"', b'"merlin_ref":"\xff', 1)
    assert b"\xff" in lines[1]
    export = tmp_path / "police.jsonl"
    export.write_bytes(b"\n".join(lines) + b"\n")
    report = Publisher(_settings(tmp_path)).publish_file("police", export)
    assert (report.published, [r.line for r in report.rejected]) == (2, [2])
    assert report.rejects_file is not None
    [kept] = [json.loads(line) for line in report.rejects_file.read_text("utf-8").splitlines()]
    assert kept["line"] == 2 and "not UTF-8" in kept["reason"]
    assert base64.b64decode(kept["base64"]) == lines[1]
    assert kept["text"] == lines[1].decode("utf-8", "replace")
