"""The database unavailable for a while (restarted, failed over, the network lost): the sinks
wait and write the same batch again, within a bound, instead of failing it or quarantining it.

Only failures of the connection wait (`OperationalError`, `InterfaceError`, or any error
SQLAlchemy took for a disconnection); a failure of a record is the quarantine's."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from plumbing.errors import SinkError
from plumbing.logs import get_logger

__all__ = ["FIRST_PAUSE_S", "LONGEST_PAUSE_S", "patiently", "unavailable"]

log = get_logger(__name__)

T = TypeVar("T")

FIRST_PAUSE_S = 0.5
LONGEST_PAUSE_S = 2.0
"""Pauses between attempts double up to this: the database is used again within it."""


def failure_reason(exc: BaseException) -> str:
    """What to log of a failure: a ``SinkError``'s own line, else the error's type (a
    database error's text holds data: the values of the statement that failed)."""
    if isinstance(exc, SinkError):
        return str(exc)
    return type(exc.orig if isinstance(exc, DBAPIError) else exc).__name__


def unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database cannot be reached now (not that a record is bad)."""
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def patiently(work: Callable[[], T], bound_s: float, what: str) -> T:
    """``work()``, tried again while the database is unavailable, for at most ``bound_s``
    (then its error is raised); each wait logged as ``sinks.database_unavailable``."""
    deadline = time.monotonic() + bound_s
    pause = FIRST_PAUSE_S
    while True:
        try:
            return work()
        except DBAPIError as exc:
            if not unavailable(exc) or time.monotonic() + pause > deadline:
                raise
            log.warning(
                "sinks.database_unavailable",
                doing=what,
                error=type(exc.orig).__name__,
                retry_in_s=pause,
            )
        time.sleep(pause)
        pause = min(pause * 2, LONGEST_PAUSE_S)
