"""The demo's console users: one per role, each with a random password printed once and kept
0600 in ``$MASH_HOME/secrets/console-users.txt`` (a re-run keeps the users it made before)."""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path

from console.users import Role, UserStore
from mash.local_secrets import private_dir, write_private
from plumbing.settings import ConsoleSettings
from sinks.store import Store

__all__ = ["DEMO_USERS_FILE", "create_demo_users", "demo_users_path"]

DEMO_USERS_FILE = "console-users.txt"


def demo_users_path(settings: ConsoleSettings) -> Path:
    """Where the demo's console passwords are kept (0600)."""
    return private_dir(settings.secrets_path) / DEMO_USERS_FILE


def create_demo_users(settings: ConsoleSettings, now: dt.datetime) -> dict[str, str]:
    """Create ``demo-<role>`` for every role not made yet; return name -> password of the new
    ones, and add them to the kept file."""
    store = Store(settings.database)
    users = UserStore(store)
    made = {}
    try:
        for role in Role:
            name = f"demo-{role.value}"
            if users.get(name) is None:
                made[name] = secrets.token_urlsafe(18)
                users.add(name, role.value, made[name], now)
    finally:
        store.close()
    if made:
        path = demo_users_path(settings)
        kept = path.read_text() if path.exists() else ""
        lines = "".join(f"{name}\t{password}\n" for name, password in made.items())
        write_private(path, (kept + lines).encode())
    return made
