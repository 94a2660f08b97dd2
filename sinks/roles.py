"""Least-privilege PostgreSQL roles for the hub's database (`mash db roles`).

Three login roles, each granted only what its process does:

- ``<prefix>_sinks``: the sinks process; reads and writes every hub table (the children's
  identities included: it writes them from the events it consumes);
- ``<prefix>_board``: the board's views (`mash report`, `mash dashboard`); reads the figures,
  the contact counts and the linkage summary, aggregates only;
- ``<prefix>_console``: the analysts' console; reads links, episodes, facts and the
  children's identities (what its screens show), the review queue (possible matches,
  decisions), the figures and the linkage summary, and its users; appends to its access
  log. A reviewer's decision goes through Kafka, as children's services'.

No other role reads ``child_identities`` (names, dates of birth, NHS numbers, addresses).

The console's users are managed with the owner's URL (`mash users`), not by any of these.

Nothing is granted to PUBLIC. Passwords are generated once and kept in
``$MASH_HOME/secrets/db-<role>.password`` (0600); running the command again re-applies the
grants and the kept passwords (it is idempotent).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from plumbing.errors import SinkError
from sinks.store import Store
from sinks.tables import (
    child_identities,
    console_access,
    console_users,
    contact_counts,
    episodes,
    facts,
    figures,
    figures_provenance,
    linkage_decisions,
    linkage_summary,
    links,
    metadata,
    possible_matches,
)

__all__ = ["ROLES", "DbRole", "create_roles"]


@dataclass(frozen=True)
class DbRole:
    """A role by its purpose: what it may read and what it may write."""

    purpose: str
    reads: tuple[str, ...]
    writes: tuple[str, ...] = ()
    appends: tuple[str, ...] = ()
    """Tables it may only insert into (an append-only log)."""


_ALL = tuple(t.name for t in metadata.sorted_tables)
_CONSOLE = (console_users.name, console_access.name)
_HUB = tuple(t for t in _ALL if t not in _CONSOLE)
_FIGURES = (figures.name, figures_provenance.name, contact_counts.name, linkage_summary.name)

ROLES: Mapping[str, DbRole] = {
    "sinks": DbRole("the sinks: write what the streams publish", _HUB, _HUB),
    "board": DbRole("the board's views: figures only", _FIGURES),
    "console": DbRole(
        "the analysts' console: what its screens show",
        (
            links.name,
            episodes.name,
            facts.name,
            possible_matches.name,
            linkage_decisions.name,
            child_identities.name,
            *_FIGURES,
            *_CONSOLE,
        ),
        appends=(console_access.name,),
    ),
}
"""Every role by its name's suffix."""


def create_roles(url: str, prefix: str, password: Callable[[str], str]) -> list[str]:
    """Create (or update) the roles in the PostgreSQL database at ``url``, whose user may
    create roles; ``password(name)`` gives each role's password. Returns the role names."""
    if not _IDENTIFIER.fullmatch(prefix):
        raise SinkError(f"role prefix {prefix!r} is not a plain lower-case identifier")
    engine = Store(url).engine  # the tables exist before they are granted
    if engine.dialect.name != "postgresql":
        raise SinkError("database roles are for PostgreSQL (SQLite has no roles)")
    names = []
    with engine.begin() as conn:
        database = conn.execute(text("SELECT current_database()")).scalar_one()
        conn.execute(text(f"REVOKE ALL ON {_tables(engine, _ALL)} FROM PUBLIC"))
        for suffix, role in ROLES.items():
            name = f"{prefix}_{suffix}"
            secret = password(name)
            if not _HEX.fullmatch(secret):  # inlined: ALTER ROLE takes no parameters
                raise SinkError(f"the kept password of {name} is not hex: replace its file")
            for statement in _grants(engine, name, role, database, secret):
                try:
                    conn.execute(text(statement))
                except DBAPIError as exc:  # its message would quote the password
                    diag = getattr(exc.orig, "diag", None)
                    why = getattr(diag, "message_primary", None) or type(exc.orig).__name__
                    raise SinkError(f"cannot set up database role {name}: {why}") from None
            names.append(name)
    return names


_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,40}")
_HEX = re.compile(r"[0-9a-f]{32,128}")


def _tables(engine: Engine, names: Sequence[str]) -> str:
    return ", ".join(engine.dialect.identifier_preparer.quote(t) for t in names)


def _grants(engine: Engine, name: str, role: DbRole, database: str, secret: str) -> list[str]:
    """The statements that make role ``name`` exactly ``role`` (name and secret are checked
    plain identifiers and hex by the caller)."""
    quote = engine.dialect.identifier_preparer.quote
    role_id, db_id = quote(name), quote(database)
    exists = f"SELECT 1 FROM pg_roles WHERE rolname = '{name}'"
    statements = [
        f"DO $$ BEGIN IF NOT EXISTS ({exists}) THEN CREATE ROLE {role_id}; END IF; END $$",
        f"ALTER ROLE {role_id} LOGIN NOCREATEDB NOCREATEROLE PASSWORD '{secret}'",
        f"GRANT CONNECT ON DATABASE {db_id} TO {role_id}",
        f"GRANT USAGE ON SCHEMA public TO {role_id}",
        f"REVOKE ALL ON {_tables(engine, _ALL)} FROM {role_id}",
        f"GRANT SELECT ON {_tables(engine, role.reads)} TO {role_id}",
    ]
    if role.writes:
        statements.append(
            f"GRANT INSERT, UPDATE, DELETE ON {_tables(engine, role.writes)} TO {role_id}"
        )
    if role.appends:
        statements.append(f"GRANT INSERT ON {_tables(engine, role.appends)} TO {role_id}")
    return statements
