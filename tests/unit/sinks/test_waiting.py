"""The sinks wait for an unavailable database, within a bound, and never for a bad record."""

from __future__ import annotations

import sqlite3
import time

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from sinks import waiting
from sinks.waiting import patiently


def _down() -> OperationalError:
    return OperationalError("INSERT", {}, sqlite3.OperationalError("server closed"))


def test_a_write_waits_until_the_database_is_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(waiting.time, "sleep", lambda _s: None)
    outcomes: list[Exception | None] = [_down(), _down(), None]

    def write() -> str:
        failure = outcomes.pop(0)
        if failure is not None:
            raise failure
        return "written"

    assert patiently(write, bound_s=60, what="t") == "written"
    assert outcomes == []


def test_the_wait_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(waiting.time, "sleep", lambda _s: None)
    clock = iter(float(n) for n in range(0, 1000, 1))
    monkeypatch.setattr(waiting.time, "monotonic", lambda: next(clock))
    attempts = []

    def write() -> None:
        attempts.append(1)
        raise _down()

    with pytest.raises(OperationalError):
        patiently(write, bound_s=10, what="t")
    assert 2 <= len(attempts) <= 10


def test_a_bad_record_is_not_waited_for() -> None:
    attempts = []

    def write() -> None:
        attempts.append(1)
        raise IntegrityError("INSERT", {}, sqlite3.IntegrityError("unique"))

    with pytest.raises(IntegrityError):
        patiently(write, bound_s=60, what="t")
    assert len(attempts) == 1


@pytest.mark.parametrize(
    ("said", "why"),
    [
        ('FATAL:  password authentication failed for user "mash"', "the password was refused"),
        ('FATAL:  database "mash_hub" does not exist', "no such database"),
        ('FATAL:  role "hub" does not exist', "no such role"),
        ('FATAL:  no pg_hba.conf entry for host "10.0.0.9", user "mash"', "this host may not"),
    ],
)
def test_a_refused_connection_is_not_waited_for_and_is_said(
    monkeypatch: pytest.MonkeyPatch, said: str, why: str
) -> None:
    monkeypatch.setattr(waiting.time, "sleep", lambda _s: pytest.fail("waited"))
    error = OperationalError(
        None, None, sqlite3.OperationalError(f'connection failed: server at "db": {said}')
    )
    attempts = []

    def connect() -> None:
        attempts.append(1)
        raise error

    with pytest.raises(OperationalError):
        patiently(connect, bound_s=120, what="t")
    assert attempts == [1]
    reason = waiting.failure_reason(error)
    assert why in reason and "MASH_DATABASE_URL" in reason and "mash" not in reason.split("(")[0]
    assert waiting.refused(_down()) is None and waiting.unavailable(_down())


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_real_server_refusing_the_password_or_the_database_is_said_at_once(
    database_url: str,
) -> None:
    """As when the hub's password is changed, or its database dropped, while it runs."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    url = make_url(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    for wrong, why in (
        (url.set(password="not-the-password"), "the password was refused"),
        (url.set(database="mash_no_such_database"), "no such database"),
    ):
        engine = create_engine(wrong)
        try:
            started = time.monotonic()
            with pytest.raises(OperationalError) as raised:
                patiently(engine.connect, bound_s=120, what="figures")  # refused: no connection
            assert time.monotonic() - started < 10  # not the 120 s an outage is given
            assert why in waiting.failure_reason(raised.value)
        finally:
            engine.dispose()
