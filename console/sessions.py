"""Server-side sessions, CSRF tokens and the sign-in rate limit, in the console's memory.

A session id is 32 random bytes in a cookie; the server keeps only its SHA-256, so a dump
of the process's memory or a log line holding a key cannot be replayed as a cookie. Sessions
live in memory, not the database: one console process serves a MASH, a restart signs
everyone out (safe, and rare), and there is no session table to steal from or to grant. A
session unused for the idle timeout is ended. Each session carries its own CSRF token (the
synchroniser token pattern), compared in constant time on every POST.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from console.users import User

__all__ = ["Clock", "LoginLimiter", "Session", "Sessions"]

Clock = Callable[[], float]
"""Seconds, monotonic (injected in tests)."""


@dataclass
class Session:
    """One browser's session: signed in (``user``) or not yet (the sign-in form's)."""

    user: User | None
    csrf: str
    seen: float

    def csrf_ok(self, token: str | None) -> bool:
        """Whether a form's token is this session's."""
        return token is not None and hmac.compare_digest(token.encode(), self.csrf.encode())


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


@dataclass
class Sessions:
    """Every live session, by the hash of its id."""

    idle_timeout_s: float
    clock: Clock
    _live: dict[str, Session] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, user: User | None) -> tuple[str, Session]:
        """A new session (a fresh id, so a sign-in never keeps a pre-sign-in id)."""
        session_id = secrets.token_urlsafe(32)
        session = Session(user, secrets.token_urlsafe(32), self.clock())
        with self._lock:
            self._expire()
            self._live[_digest(session_id)] = session
        return session_id, session

    def get(self, session_id: str | None, touch: bool = True) -> Session | None:
        """The live session of that id, touched unless ``touch`` is false (a page refreshing
        itself is no use of the console); None if unknown or idle too long."""
        if not session_id:
            return None
        with self._lock:
            self._expire()
            session = self._live.get(_digest(session_id))
            if session is not None and touch:
                session.seen = self.clock()
            return session

    def end(self, session_id: str | None) -> None:
        """Forget the session (sign-out)."""
        if session_id:
            with self._lock:
                self._live.pop(_digest(session_id), None)

    def end_user(self, name: str) -> None:
        """End every session of a user (disabled, or signed in elsewhere by the proxy)."""
        with self._lock:
            for key in [k for k, s in self._live.items() if s.user and s.user.name == name]:
                del self._live[key]

    def _expire(self) -> None:
        now = self.clock()
        for key in [k for k, s in self._live.items() if now - s.seen > self.idle_timeout_s]:
            del self._live[key]


@dataclass
class LoginLimiter:
    """Failed sign-ins per user name and per client address in a sliding window."""

    attempts: int
    window_s: float
    clock: Clock
    _failures: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def allowed(self, name: str, address: str) -> bool:
        """Whether another attempt may be checked now."""
        with self._lock:
            return all(self._recent(key) < self.attempts for key in _keys(name, address))

    def failed(self, name: str, address: str) -> None:
        """Count a failed attempt against both the user and the address."""
        with self._lock:
            for key in _keys(name, address):
                self._recent(key)
                self._failures.setdefault(key, deque()).append(self.clock())

    def _recent(self, key: str) -> int:
        times = self._failures.get(key)
        if times is None:
            return 0
        while times and self.clock() - times[0] >= self.window_s:
            times.popleft()
        if not times:
            del self._failures[key]
            return 0
        return len(times)


def _keys(name: str, address: str) -> tuple[str, str]:
    return f"user:{name.lower()}", f"addr:{address}"
