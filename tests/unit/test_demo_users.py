"""`mash demo` makes one console user per role, each password printed once and kept 0600;
a second run makes none and keeps the first passwords."""

from __future__ import annotations

import datetime as dt
import stat
from pathlib import Path

from console.users import Role, UserStore
from mash.demo_users import create_demo_users, demo_users_path
from plumbing.settings import ConsoleSettings
from sinks.store import Store

NOW = dt.datetime(2013, 1, 10, tzinfo=dt.UTC)


def test_one_user_per_role_with_a_kept_private_password(tmp_path: Path) -> None:
    settings = ConsoleSettings(home=tmp_path)
    made = create_demo_users(settings, NOW)
    assert sorted(made) == sorted(f"demo-{r.value}" for r in Role)
    assert len(set(made.values())) == len(Role) and all(len(p) >= 20 for p in made.values())
    path = demo_users_path(settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    kept = dict(line.split("\t") for line in path.read_text().splitlines())
    assert kept == made
    users = UserStore(Store(settings.database))
    for name, password in made.items():
        user = users.authenticate(name, password)
        assert user is not None and user.role.value == name.removeprefix("demo-")
    assert create_demo_users(settings, NOW) == {}
    assert dict(line.split("\t") for line in path.read_text().splitlines()) == made
