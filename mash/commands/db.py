"""`mash db`: set-up of the hub's database."""

from __future__ import annotations

import functools

import typer

from mash.commands.settings import load_settings
from mash.console import console
from plumbing.settings import SinkSettings

__all__ = ["db_app"]

db_app = typer.Typer(help="The hub's database.", no_args_is_help=True)


@db_app.command("roles")
def db_roles() -> None:
    """Create or update the least-privilege PostgreSQL roles (sinks, board, console); run it
    with a MASH_DATABASE_URL whose user may create roles. Passwords are kept in
    $MASH_HOME/secrets/db-<role>.password."""
    from plumbing.keys import db_password
    from sinks.roles import ROLES, create_roles

    settings = load_settings(SinkSettings)
    names = create_roles(
        settings.database, settings.db_role_prefix, functools.partial(db_password, settings)
    )
    for name, role in zip(names, ROLES.values(), strict=True):
        console.print(
            f"{name}: {role.purpose}; password in "
            f"{settings.home / 'secrets' / f'db-{name}.password'}"
        )
