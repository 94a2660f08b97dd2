"""structlog set-up: JSON in production, key-value in a terminal. Log ids, never personal data."""

from __future__ import annotations

import logging
import sys

import structlog

from plumbing.settings import CommonSettings

__all__ = ["audit_line", "configure_logging", "get_logger", "write_lines"]


def configure_logging(settings: CommonSettings) -> None:
    """Route structlog and the standard library (Faust, aiokafka) through one renderer."""
    json = settings.log_format == "json" or (
        settings.log_format == "auto" and not sys.stderr.isatty()
    )
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    )
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
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    # kafka-python is chatty at INFO about every connection; its warnings still show.
    logging.getLogger("kafka").setLevel(max(logging.WARNING, root.level))


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    """A named structlog logger."""
    return structlog.stdlib.get_logger(name)


def audit_line(decision: str, record_json: str) -> str:
    """An audit record as a JSON log line in the shape structlog's JSON renderer writes.

    The audit trail logs one line per decision; building the line from the record's own
    canonical JSON (which it already has) keeps that affordable on the hot path.
    """
    return f'{{"event":"audit.{decision}","level":"info",{record_json[1:]}'


def write_lines(lines: str) -> None:
    """Write ready-made JSON log lines to the log stream, if INFO is enabled."""
    if logging.getLogger("mash.audit").isEnabledFor(logging.INFO):
        sys.stderr.write(lines)
