"""Logs to a private file rotated at its cap; the audit's per-decision lines only at DEBUG;
Faust's per-wait warnings counted into one line."""

from __future__ import annotations

import json
import logging
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from plumbing.logs import Summarised, Throttled, configure_logging, get_logger, write_lines
from plumbing.settings import CommonSettings


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    for handler in root.handlers:
        if handler not in handlers:
            handler.close()
    root.handlers[:], root.level = handlers, level


def _settings(tmp_path: Path, **values: object) -> CommonSettings:
    return CommonSettings.model_validate(
        {"home": tmp_path, "log_max_bytes": 10_000, "log_backups": 2, **values}
    )


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_the_log_file_rotates_at_its_cap_and_stays_private(tmp_path: Path) -> None:
    path = tmp_path / "logs" / "worker.log"
    assert configure_logging(_settings(tmp_path), path) == path
    log = get_logger("test.rotation")
    for n in range(600):  # ~60 kB of lines: more than cap x (backups + 1)
        log.info("batch.done", n=n)
        write_lines(f'{{"event":"audit.linked","n":{n}}}\n')  # at INFO: not written
    files = sorted(path.parent.iterdir())
    assert [f.name for f in files] == ["worker.log", "worker.log.1", "worker.log.2"]
    for file in files:
        assert file.stat().st_size <= 10_000
        assert stat.S_IMODE(file.stat().st_mode) == 0o600
    last = _lines(path)
    assert last[-1]["event"] == "batch.done" and last[-1]["n"] == 599
    assert all(line["event"] != "audit.linked" for f in files for line in _lines(f))


def test_the_audit_lines_are_debug_and_rotate_too(tmp_path: Path) -> None:
    path = tmp_path / "hub.log"
    configure_logging(_settings(tmp_path, log_level="DEBUG"), path)
    for n in range(300):
        write_lines(f'{{"event":"audit.linked","level":"debug","n":{n}}}\n' * 2)
    assert (tmp_path / "hub.log.1").exists()
    assert path.stat().st_size <= 10_000
    assert _lines(path)[-1] == {"event": "audit.linked", "level": "debug", "n": 299}


def test_mash_log_file_wins_over_the_commands_default(tmp_path: Path) -> None:
    chosen = tmp_path / "elsewhere.log"
    settings = _settings(tmp_path, log_file=chosen)
    assert configure_logging(settings, tmp_path / "publish.log") == chosen
    logging.getLogger("kafka.conn").warning("connect attempt failed")
    assert [line["event"] for line in _lines(chosen)] == ["connect attempt failed"]
    assert not (tmp_path / "publish.log").exists()


F = TypeVar("F", bound=logging.Filter)


def _installed(kind: type[F]) -> F:
    """The one filter of ``kind`` on the handler ``configure_logging`` installed."""
    [found] = [f for f in logging.getLogger().handlers[0].filters if isinstance(f, kind)]
    return found


def test_faust_producer_waits_are_one_line_and_a_count(tmp_path: Path) -> None:
    path = tmp_path / "worker.log"
    configure_logging(_settings(tmp_path, log_max_bytes=1_000_000), path)
    faust = logging.getLogger("faust.transport.producer")
    for n in range(460):
        faust.warning(f"producer buffer full size {101 + n % 7}")
        faust.info(f"producer flush took {0.01 * n}")
    summary = Summarised()
    root_filter = _installed(Summarised)
    summary.counts = root_filter.counts
    summary.log_summary()
    events = [str(line["event"]) for line in _lines(path)]
    assert len(events) == 2
    assert events[0].startswith("faust.producer_waits (first")
    assert events[1] == "faust.producer_waits"
    assert _lines(path)[1]["count"] == 920


def test_at_debug_only_the_hub_s_own_lines_are_logged_never_a_library_s(tmp_path: Path) -> None:
    path = tmp_path / "worker.log"
    configure_logging(_settings(tmp_path, log_level="DEBUG"), path)
    for library in ("kafka.producer.kafka", "aiokafka.producer", "faust.tables", "mode"):
        logging.getLogger(library).setLevel(logging.DEBUG)  # as a library may set its own
        logging.getLogger(library).debug("Sending (key=%r value=%r)", b"0", b"Jack Pemberton")
        logging.getLogger(library).warning("connection to %s lost", "broker 1")
    get_logger("streams.linkage_agent").debug("linkage.batch", records=3)
    lines = _lines(path)
    assert not any("Pemberton" in json.dumps(line) for line in lines)
    assert [line["event"] for line in lines if line["level"] == "debug"] == ["linkage.batch"]
    assert sum(line["level"] == "warning" for line in lines) == 4  # their warnings are kept


def test_a_library_s_repeated_warning_is_logged_once_a_while_with_a_count(
    tmp_path: Path,
) -> None:
    # the broker down: the clients log each failed connection, several a second
    path = tmp_path / "worker.log"
    configure_logging(_settings(tmp_path, log_max_bytes=1_000_000), path)
    throttle = _installed(Throttled)
    now = [1000.0]
    throttle.clock = lambda: now[0]
    client = logging.getLogger("aiokafka.conn")
    for second in range(120):  # two minutes, five lines a second of each of two kinds
        now[0] = 1000.0 + second
        for _ in range(5):
            client.warning("Unable connect to node with id %s: %s", 1, "refused")
            client.error("Heartbeat failed for group %s", "mash-hub")
        get_logger("streams.app").warning("consumer.stalled", second=second)  # ours: all
    lines = _lines(path)
    ours = [line for line in lines if line["event"] == "consumer.stalled"]
    theirs = [str(line["event"]) for line in lines if line["event"] != "consumer.stalled"]
    assert len(ours) == 120
    # each kind at 0, 30, 60 and 90 s: the first as it came, the others with what was dropped
    assert len(theirs) == 8
    unable = [t for t in theirs if t.startswith("Unable connect to node with id 1: refused")]
    assert len(unable) == 4
    assert unable[0] == "Unable connect to node with id 1: refused"
    assert all(t.endswith("[and 149 like it since its last line, not logged]") for t in unable[1:])


def test_the_throttle_tells_kinds_by_what_they_say_and_never_drops_an_exception(
    tmp_path: Path,
) -> None:
    path = tmp_path / "worker.log"
    configure_logging(_settings(tmp_path, log_max_bytes=1_000_000), path)
    throttle = _installed(Throttled)
    throttle.clock = lambda: 1000.0  # all at one moment
    rdkafka = logging.getLogger("confluent_kafka")  # librdkafka logs every line through one
    for node in (1, 2, 3):
        rdkafka.error("%s [%s] %s", "FAIL", "rdkafka#consumer-1", f"node {node}: Connect failed")
    rdkafka.error("%s [%s] %s", "FAIL", "rdkafka#consumer-1", "SASL authentication error")
    faust = logging.getLogger("mode.services")
    for reason in ("KeyError('a')", "ValueError('b')"):
        try:
            raise RuntimeError(reason)
        except RuntimeError:
            faust.exception("Crashed reason=%r", reason)
    events = [str(line["event"]) for line in _lines(path)]
    assert events[:2] == [
        "FAIL [rdkafka#consumer-1] node 1: Connect failed",  # nodes 2 and 3: one kind
        "FAIL [rdkafka#consumer-1] SASL authentication error",
    ]
    assert [e for e in events if e.startswith("Crashed")] == [
        "Crashed reason=\"KeyError('a')\"",
        "Crashed reason=\"ValueError('b')\"",
    ]


def test_the_throttle_remembers_a_bounded_number_of_kinds_in_constant_time() -> None:
    def name(n: int) -> str:  # digits are not what tells kinds apart
        return "".join(chr(ord("a") + int(d)) for d in str(n))

    throttle = Throttled(clock=lambda: 1000.0)
    records = [
        logging.LogRecord("faust", logging.WARNING, "f", 1, f"unknown topic {name(n)}", (), None)
        for n in range(20 * Throttled.KINDS)
    ]
    started = time.perf_counter()
    assert all(throttle.filter(r) for r in records)  # each a kind of its own
    assert not throttle.filter(records[-1])  # a repeat
    assert time.perf_counter() - started < 2.0  # about 0.1 s; a rebuild per kind took minutes
    assert len(throttle.kinds) == Throttled.KINDS


def test_a_forked_childs_lines_reach_the_log_and_never_a_file_it_opened(tmp_path: Path) -> None:
    """The child opens files until one gets the number of the log file's descriptor (closed
    in the child), then logs past the cap: its lines must come through the parent's log,
    the file must hold only what the child wrote, and nothing be rotated by the child."""
    from plumbing.processes import fork_work, forked_ended

    path = tmp_path / "logs" / "sinks.log"
    configure_logging(_settings(tmp_path), path)  # a cap of 10,000 bytes
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.FileHandler) and handler.stream is not None
    logged_fd = handler.stream.fileno()
    data = tmp_path / "data"

    def work() -> None:
        opened = [open(data, "ab") for _ in range(logged_fd)]  # noqa: SIM115
        assert logged_fd in [f.fileno() for f in opened]
        log = get_logger("test.child")
        for n in range(200):  # more than the cap: the parent's handler would roll over
            log.info("child.line", n=n)
        opened[-1].write(b"mine")
        opened[-1].flush()

    pid = fork_work(work)
    deadline = time.monotonic() + 30
    while (ended := forked_ended(pid)) is None:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert ended.ok
    while not any(e.get("n") == 199 for f in path.parent.iterdir() for e in _lines(f)):
        assert time.monotonic() < deadline, "the child's last line never reached the log"
        time.sleep(0.05)
    assert data.read_bytes() == b"mine"
    seen = sorted(e["n"] for f in path.parent.iterdir() for e in _lines(f))
    assert seen[-20:] == list(range(180, 200))  # the latest lines, in the parent's rotation
