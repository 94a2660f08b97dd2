"""The console's local users: a role each and an argon2id password hash, in the database.

Passwords are hashed with argon2-cffi's defaults (argon2id, RFC 9106 low-memory profile);
a hash made under older parameters is replaced at the next successful sign-in.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from plumbing.errors import ConsoleError
from sinks.store import Store
from sinks.tables import console_users

__all__ = ["Role", "User", "UserStore"]


class Role(StrEnum):
    """What a console user does (and so what they may see)."""

    ANALYST = "analyst"
    REVIEWER = "reviewer"
    MANAGER = "manager"
    AUDITOR = "auditor"
    BOARD = "board"


@dataclass(frozen=True)
class User:
    """A console user as the console sees them: never the hash."""

    name: str
    role: Role
    disabled: bool
    created_at: str


_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,79}")
_MIN_PASSWORD = 12
_HASHER = PasswordHasher()
# verified when the user is unknown, so a wrong name costs what a wrong password does
_DUMMY = _HASHER.hash("not a password of anyone")


class UserStore:
    """Adds, lists, disables and authenticates the console's users."""

    def __init__(self, store: Store) -> None:
        self.engine = store.engine

    def add(self, name: str, role: str, password: str, now: dt.datetime) -> User:
        """A new user; `ConsoleError` for a bad name, role or password, or a taken name."""
        if not _NAME.fullmatch(name):
            raise ConsoleError(f"user name {name!r} is not letters, digits and . _ @ - (<= 80)")
        try:
            kind = Role(role)
        except ValueError:
            roles = ", ".join(r.value for r in Role)
            raise ConsoleError(f"role {role!r} is not one of {roles}") from None
        if len(password) < _MIN_PASSWORD:
            raise ConsoleError(f"the password is shorter than {_MIN_PASSWORD} characters")
        row = {
            "name": name,
            "role": kind.value,
            "password_hash": _HASHER.hash(password),
            "disabled": False,
            "created_at": now.astimezone(dt.UTC).isoformat(timespec="seconds"),
        }
        try:
            with self.engine.begin() as conn:
                conn.execute(console_users.insert().values(row))
        except IntegrityError:
            raise ConsoleError(f"user {name!r} exists already") from None
        return User(name, kind, False, str(row["created_at"]))

    def list(self) -> list[User]:
        """Every user, by name."""
        query = select(console_users).order_by(console_users.c.name)
        with self.engine.connect() as conn:
            return [
                User(r.name, Role(r.role), bool(r.disabled), r.created_at)
                for r in conn.execute(query)
            ]

    def get(self, name: str) -> User | None:
        """The user of that name, if any."""
        query = select(console_users).where(console_users.c.name == name)
        with self.engine.connect() as conn:
            r = conn.execute(query).first()
        return None if r is None else User(r.name, Role(r.role), bool(r.disabled), r.created_at)

    def disable(self, name: str) -> None:
        """The user may no longer sign in (kept, for the access log); `ConsoleError` if none."""
        stmt = update(console_users).where(console_users.c.name == name).values(disabled=True)
        with self.engine.begin() as conn:
            if conn.execute(stmt).rowcount == 0:
                raise ConsoleError(f"no user {name!r}")

    def authenticate(self, name: str, password: str) -> User | None:
        """The enabled user whose password this is, else None (same cost either way)."""
        query = select(console_users).where(console_users.c.name == name)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        try:
            _HASHER.verify(row.password_hash if row else _DUMMY, password)
        except (VerificationError, InvalidHashError):
            return None
        if row is None or row.disabled:
            return None
        if _HASHER.check_needs_rehash(row.password_hash):
            self._rehash(name, password)
        return User(row.name, Role(row.role), False, row.created_at)

    def _rehash(self, name: str, password: str) -> None:
        stmt = (
            update(console_users)
            .where(console_users.c.name == name)
            .values(password_hash=_HASHER.hash(password))
        )
        with self.engine.begin() as conn:
            conn.execute(stmt)
