"""The sinks wait for an unavailable database, within a bound, and never for a bad record."""

from __future__ import annotations

import sqlite3

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
