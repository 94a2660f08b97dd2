"""`mash db roles` on PostgreSQL: the sinks write, the board reads figures only, the console
reads what its screens need and appends to its access log; nothing else is granted."""

from __future__ import annotations

import gc
import os
import stat
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from psycopg import errors

from plumbing.errors import SinkError
from sinks.store import Store


def _run_roles(env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "mash.cli", "db", "roles"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _as(url: str, role: str, home: Path) -> str:
    """``url`` with the role's user and kept password."""
    password = (home / "secrets" / f"db-{role}.password").read_text().strip()
    rest = url.split("@", 1)[1]
    return f"postgresql://{role}:{password}@{rest}"


def _allowed(url: str, statement: str) -> bool:
    with psycopg.connect(url) as conn:
        try:
            conn.execute(statement)
        except errors.InsufficientPrivilege:
            return False
        finally:
            conn.rollback()
    return True


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_each_role_can_do_only_what_its_process_does(database_url: str, tmp_path: Path) -> None:
    prefix = f"t{uuid.uuid4().hex[:8]}"
    home = tmp_path / "mash"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MASH_")}
    env |= {"MASH_HOME": str(home), "MASH_DATABASE_URL": database_url}
    env |= {"MASH_DB_ROLE_PREFIX": prefix}
    sinks, board, console = (f"{prefix}_{r}" for r in ("sinks", "board", "console"))
    try:
        assert sinks in _run_roles(env)
        _run_roles(env)  # again: idempotent, same passwords
        for role in (sinks, board, console):
            kept = home / "secrets" / f"db-{role}.password"
            assert stat.S_IMODE(kept.stat().st_mode) == 0o600
        access = "INSERT INTO console_access VALUES (1, 'u', NULL, 'now', '{}')"
        figure = "INSERT INTO figures VALUES ('x', '2012-13', '', 1, NULL, NULL, '2013-03-31')"
        identity = (
            "INSERT INTO child_identities (record_id, event_id, agency, agency_record_id,"
            " reported_at, digest, given_name, family_name, sex)"
            " VALUES ('r', 'e', 'police', 'p', 'now', 'd', 'g', 'f', 'female')"
        )
        expect = {
            sinks: {
                "SELECT * FROM child_identities": True,
                identity: True,
                "SELECT * FROM audit": True,
                "SELECT * FROM facts": True,
                "SELECT * FROM episode_fences": True,
                figure: True,
                "SELECT * FROM console_users": False,
                "SELECT * FROM console_access": False,
            },
            board: {
                "SELECT * FROM figures": True,
                "SELECT * FROM contact_counts": True,
                "SELECT * FROM linkage_summary": True,
                "SELECT * FROM facts": False,
                "SELECT * FROM child_identities": False,
                "SELECT * FROM links": False,
                "SELECT * FROM audit": False,
                "SELECT * FROM console_users": False,
                figure: False,
            },
            console: {
                "SELECT * FROM links": True,
                "SELECT * FROM episodes": True,
                "SELECT * FROM facts": True,
                "SELECT * FROM possible_matches": True,
                "SELECT * FROM linkage_decisions": True,
                "SELECT * FROM audit": False,
                "SELECT * FROM child_identities": True,
                identity: False,
                "DELETE FROM child_identities": False,
                "SELECT * FROM linkage_summary": True,  # the manager's linkage figures
                "DELETE FROM audit": False,
                figure: False,
                "DELETE FROM links": False,
                "SELECT * FROM console_users": True,
                "UPDATE console_users SET role = 'manager'": False,
                "SELECT * FROM console_access": True,
                access: True,
                "UPDATE console_access SET record = ''": False,
                "DELETE FROM console_access": False,
                "DELETE FROM linkage_decisions": False,
            },
        }
        for role, statements in expect.items():
            url = _as(database_url, role, home)
            got = {s: _allowed(url, s) for s in statements}
            assert got == statements, role
        board_store = Store(
            _as(database_url, board, home).replace("postgresql://", "postgresql+psycopg://", 1)
        )
        assert board_store.figures() == (None, [])  # the board's views open the store
        board_store.engine.dispose()
        # an upgrade: a database made before a table existed (episode_fences, issue 15);
        # the sinks' role may not create it, and says what to do; `mash db roles` does
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute("DROP TABLE episode_fences")
        sinks_url = _as(database_url, sinks, home).replace(
            "postgresql://", "postgresql+psycopg://", 1
        )
        with pytest.raises(SinkError, match=r"lacks the tables episode_fences.*mash db roles"):
            Store(sinks_url)
        gc.collect()  # the error's cause holds a frame with the role's connection until then
        _run_roles(env)
        assert _allowed(_as(database_url, sinks, home), "SELECT * FROM episode_fences")
        Store(sinks_url).engine.dispose()
        # and one made before a column existed: the sinks' role may not add it either
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute("ALTER TABLE figures_provenance DROP COLUMN seconds")
        with pytest.raises(SinkError, match=r"lacks the columns figures_provenance\.seconds"):
            Store(sinks_url)
        gc.collect()
        _run_roles(env)
        assert _allowed(_as(database_url, sinks, home), "SELECT seconds FROM figures_provenance")
        Store(sinks_url).engine.dispose()
    finally:
        _drop(database_url, (sinks, board, console))


def _drop(url: str, roles: tuple[str, ...]) -> None:
    database = url.rsplit("/", 1)[1]
    with psycopg.connect(url, autocommit=True) as conn:
        for role in roles:
            if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
                conn.execute(f'REVOKE ALL ON ALL TABLES IN SCHEMA public FROM "{role}"')
                conn.execute(f'REVOKE ALL ON SCHEMA public FROM "{role}"')
                conn.execute(f'REVOKE ALL ON DATABASE "{database}" FROM "{role}"')
                conn.execute(f'DROP ROLE "{role}"')
