"""structlog set-up: JSON in production, key-value in a terminal, or JSON to a private file
rotated at a size cap. Log ids, never personal data.

A command that draws progress on the terminal (`mash publish`, `mash demo`) logs to a file,
so that neither our lines nor the libraries' (kafka-python, aiokafka, Faust, confluent-kafka,
Python warnings) break into its bars.
"""

from __future__ import annotations

import atexit
import io
import logging
import logging.handlers
import math
import os
import re
import sys
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import IO

import structlog

from plumbing.settings import CommonSettings

__all__ = [
    "LIBRARY_LOGGERS",
    "PROJECT_PACKAGES",
    "DebugOfOurOwn",
    "Summarised",
    "Throttled",
    "audit_line",
    "configure_logging",
    "forward_lines",
    "get_logger",
    "log_file_for",
    "log_through",
    "write_lines",
]

LIBRARY_LOGGERS = ("kafka", "aiokafka", "faust", "mode", "confluent_kafka", "py.warnings")
"""The libraries whose lines go wherever ours go (never past a progress bar)."""

PROJECT_PACKAGES = frozenset(
    {"mash", "streams", "sinks", "producers", "plumbing", "schemas", "console", "simulation"}
)
"""The hub's own packages: their loggers alone log at DEBUG (``DebugOfOurOwn``)."""

SUMMARISED = {
    "producer buffer full": "faust.producer_waits",
    "producer flush took": "faust.producer_waits",
}
"""Faust's per-wait lines (its flow control working: the conductor waits while the table
changelog buffer drains), counted and logged once as a summary instead."""


class _Sink:
    """Where the log goes: the handler in use (standard error or a rotating file)."""

    handler: logging.Handler | None = None


_SINK = _Sink()


def configure_logging(settings: CommonSettings, log_file: Path | None = None) -> Path | None:
    """Route structlog and the standard library through one renderer, to ``settings.log_file``
    (or else ``log_file``) rotated at the size cap, or to standard error if neither is set;
    return the file logged to."""
    path = settings.log_file or log_file
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = _handler(settings, path)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                _renderer(settings, json=path is not None),
            ],
        )
    )
    handler.addFilter(DebugOfOurOwn())
    summarised = Summarised()
    handler.addFilter(summarised)
    handler.addFilter(Throttled())  # after the summary's count
    atexit.register(summarised.log_summary)
    if _SINK.handler is not None:
        _SINK.handler.close()
    _SINK.handler = handler
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    logging.captureWarnings(True)  # a library's DeprecationWarning is a log line too
    # kafka-python is chatty at INFO about every connection; its warnings are kept.
    logging.getLogger("kafka").setLevel(max(logging.WARNING, root.level))
    return path


def log_file_for(settings: CommonSettings, command: str) -> Path:
    """The file a command logs to unless ``MASH_LOG_FILE`` says otherwise."""
    return settings.log_file or settings.home / "logs" / f"{command}.log"


def _renderer(settings: CommonSettings, json: bool) -> structlog.types.Processor:
    json = json or settings.log_format == "json"
    if settings.log_format == "auto" and not sys.stderr.isatty():
        json = True
    return structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()


def _handler(settings: CommonSettings, path: Path | None) -> logging.Handler:
    if path is None:
        return logging.StreamHandler(sys.stderr)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    return _PrivateRotatingFile(
        path, maxBytes=settings.log_max_bytes, backupCount=settings.log_backups, encoding="utf-8"
    )


class _PrivateRotatingFile(logging.handlers.RotatingFileHandler):
    """A size-capped log file, 0600 whatever the process's umask (a log names ids, never
    children; private all the same). Rotated files keep the mode (a rename)."""

    def _open(self) -> io.TextIOWrapper:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        return open(fd, "a", encoding=self.encoding, errors=self.errors)

    def write_raw(self, lines: str) -> None:
        """Ready-made lines, with the same rotation as records."""
        self.acquire()
        try:
            stream = self.stream or self._open()
            self.stream = stream
            if self.maxBytes and stream.tell() + len(lines) >= self.maxBytes:
                self.doRollover()  # opens the new file as self.stream
                stream = self.stream or self._open()
                self.stream = stream
            stream.write(lines)
            stream.flush()
        finally:
            self.release()


class DebugOfOurOwn(logging.Filter):
    """Drops the libraries' DEBUG lines: at DEBUG, kafka-python, aiokafka and Faust log every
    message they send, its value with it (names, dates of birth, addresses, a reviewer's
    reason), and ``MASH_LOG_LEVEL=DEBUG`` is for the hub's own lines (the audit's
    decisions). A filter on the handler, not a level on their loggers: a library may set
    its own loggers' levels."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG or record.name.split(".")[0] in PROJECT_PACKAGES


class Throttled(logging.Filter):
    """The libraries' warnings and errors, each kind at most once per ``every_s``; the next
    one logged says how many like it were dropped meanwhile. A kind is the logger, the level
    and the message as logged with its digits taken out: "connection to node 1 failed" and
    "... node 2 ..." are one kind, a failed connection and a failed authentication two (a
    message's template would not do: librdkafka logs every line through one). A line with
    an exception, or a critical one, is always logged.

    With the broker down, the Kafka clients log each failed connection, fetch and heartbeat,
    several a second for as long as it lasts (about 100,000 lines in 12 minutes, an outside
    probe): the first of each kind is what an operator needs, and the log file's rotation
    would otherwise push out everything before the outage. The hub's own lines are kept."""

    KINDS = 1000
    """Kinds remembered: past it, the one logged longest ago is forgotten."""

    def __init__(self, every_s: float = 30.0, clock: Callable[[], float] = time.monotonic):
        super().__init__()
        self.every_s = every_s
        self.clock = clock
        self.kinds: OrderedDict[tuple[str, int, str], tuple[float, int]] = OrderedDict()

    def filter(self, record: logging.LogRecord) -> bool:
        if (
            record.levelno < logging.WARNING
            or record.levelno >= logging.CRITICAL
            or record.exc_info
            or record.name.split(".")[0] in PROJECT_PACKAGES
        ):
            return True
        try:
            text = record.getMessage()
        except Exception:  # a library's bad format arguments: the handler reports them
            return True
        kind = (record.name, record.levelno, _DIGITS.sub("#", text))
        now = self.clock()
        last, dropped = self.kinds.get(kind, (-math.inf, 0))
        if now - last < self.every_s:
            self.kinds[kind] = (last, dropped + 1)
            return False
        self.kinds[kind] = (now, 0)
        self.kinds.move_to_end(kind)
        if len(self.kinds) > self.KINDS:
            self.kinds.popitem(last=False)
        if dropped:
            record.msg = f"{record.msg} [and {dropped} like it since its last line, not logged]"
        return True


_DIGITS = re.compile(r"\d+")


class Summarised(logging.Filter):
    """Drops the lines of `SUMMARISED`, counting them: the first is logged as it comes, the
    rest once, as a count, when the process ends."""

    def __init__(self) -> None:
        super().__init__()
        self.counts: dict[str, int] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if not isinstance(record.msg, str):
            return True
        event = next((e for p, e in SUMMARISED.items() if record.msg.startswith(p)), None)
        if event is None:
            return True
        self.counts[event] = self.counts.get(event, 0) + 1
        if self.counts[event] == 1:
            record.msg = f"{event} (first of its kind; later ones counted, logged at exit)"
            return True
        return False

    def log_summary(self) -> None:
        """One line per kind summarised (at exit)."""
        for event, count in self.counts.items():
            get_logger("mash.logs").info(event, count=count, note="lines of this kind")


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    """A named structlog logger."""
    return structlog.stdlib.get_logger(name)


def audit_line(decision: str, record_json: str) -> str:
    """An audit record as a JSON log line in the shape structlog's JSON renderer writes.

    The audit chain records each decision; its lines are in the log only at DEBUG, and
    building them from the record's own canonical JSON keeps that affordable.
    """
    return f'{{"event":"audit.{decision}","level":"debug",{record_json[1:]}'


def log_through(fd: int) -> None:
    """In a forked child: log to ``fd`` (a pipe the parent forwards with ``forward_lines``)
    through the parent's formatter and filters, never through the parent's handler. That
    handler's descriptor was closed in the child (``detach_forked_child``) and its number may
    be reused by the next file the child opens: a line would then be written into that file
    (the sinks' SQLite database, a linkage snapshot), and a rotation would close it and
    rename the parent's log. The old handler is left as it is, not closed, for the same
    reason."""
    parent = _SINK.handler
    stream = open(fd, "w", encoding="utf-8", buffering=1)  # noqa: SIM115 (to the child's end)
    handler = logging.StreamHandler(stream)
    if parent is not None:
        handler.setFormatter(parent.formatter)
        for kept in parent.filters:
            handler.addFilter(kept)
    _SINK.handler = None  # no ready-made lines either: ``write_lines`` goes to stderr
    logging.getLogger().handlers[:] = [handler]


def forward_lines(stream: IO[bytes]) -> None:
    """Copy another process's log lines (JSON, one a line) into this process's log until
    ``stream`` ends: one process writes (and rotates) a log file, never two."""
    for line in stream:
        text = line.decode("utf-8", "replace")
        if isinstance(_SINK.handler, _PrivateRotatingFile):
            _SINK.handler.write_raw(text)
        else:
            sys.stderr.write(text)


def write_lines(lines: str) -> None:
    """Write ready-made JSON log lines of the audit's decisions to the log, at DEBUG (the
    per-decision record is the audit chain; the INFO log keeps lifecycle and summaries)."""
    if not logging.getLogger("mash.audit").isEnabledFor(logging.DEBUG):
        return
    if isinstance(_SINK.handler, _PrivateRotatingFile):
        _SINK.handler.write_raw(lines)
    else:
        sys.stderr.write(lines)
