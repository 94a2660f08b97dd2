"""The database unavailable for a while (restarted, failed over, the network lost): the sinks
wait and write the same batch again, within a bound, instead of failing it or quarantining it.

Only failures of the connection wait (`OperationalError`, `InterfaceError`, or any error
SQLAlchemy took for a disconnection); a failure of a record is the quarantine's. A server
that refuses the hub's credentials or names no such database is not waited for: that is
configuration, said at once (``refused``)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from plumbing.errors import SinkError
from plumbing.logs import get_logger

__all__ = ["FIRST_PAUSE_S", "LONGEST_PAUSE_S", "patiently", "refused", "unavailable"]

log = get_logger(__name__)

T = TypeVar("T")

FIRST_PAUSE_S = 0.5
LONGEST_PAUSE_S = 2.0
"""Pauses between attempts double up to this: the database is used again within it."""


_REFUSALS = (
    (re.compile(r"password authentication failed"), "the password was refused"),
    (re.compile(r'role "[^"]*" does not exist'), "no such role"),
    (re.compile(r'database "[^"]*" does not exist'), "no such database"),
    (re.compile(r"no pg_hba\.conf entry"), "this host may not connect as that role"),
    (re.compile(r"permission denied for database"), "the role may not connect to it"),
)
"""PostgreSQL's refusals of a connection, as libpq words them (psycopg gives them no
SQLSTATE): configuration, not an outage. A server set to another language is not matched,
and is waited for as an outage."""


def refused(exc: BaseException) -> str | None:
    """Why the database refused the connection (None: it did not say so)."""
    if not isinstance(exc, OperationalError):
        return None
    text = str(exc.orig)
    return next((why for pattern, why in _REFUSALS if pattern.search(text)), None)


def failure_reason(exc: BaseException) -> str:
    """What to log of a failure: a ``SinkError``'s own line, a refused connection's reason,
    else the error's type (a database error's text holds data: the values of the statement
    that failed)."""
    if isinstance(exc, SinkError):
        return str(exc)
    why = refused(exc)
    if why is not None:
        return f"the database refused the connection: {why} (check MASH_DATABASE_URL)"
    return type(exc.orig if isinstance(exc, DBAPIError) else exc).__name__


def unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says the database cannot be reached now (not that a record is bad,
    nor that it refused the hub's credentials)."""
    if refused(exc) is not None:
        return False
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
