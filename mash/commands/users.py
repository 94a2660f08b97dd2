"""`mash users`: the analysts' console's local users (passwords from stdin, never argv)."""

from __future__ import annotations

import datetime as dt
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from mash.commands.settings import load_settings
from mash.console import console
from plumbing.settings import ConsoleSettings

if TYPE_CHECKING:
    from console.users import UserStore

__all__ = ["users_app"]

users_app = typer.Typer(help="The console's users.", no_args_is_help=True)


def _users() -> UserStore:
    from console.users import UserStore
    from sinks.store import Store

    return UserStore(Store(load_settings(ConsoleSettings).database))


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="The user's sign-in name")],
    role: Annotated[str, typer.Option(help="analyst, reviewer, manager, auditor or board")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin (required)")
    ] = False,
) -> None:
    """Add a user; the password is read from stdin (one line), never from the command line."""
    from plumbing.errors import ConsoleError

    if not password_stdin:
        raise ConsoleError("give the password on stdin with --password-stdin")
    password = sys.stdin.readline().rstrip("\r\n")
    users = _users()
    user = users.add(name, role, password, dt.datetime.now(dt.UTC))
    console.print(f"added {user.name} ({user.role.value})")


@users_app.command("list")
def users_list() -> None:
    """Every user: name, role, whether disabled (never a hash)."""
    users = _users()
    for user in users.list():
        state = "disabled" if user.disabled else "enabled"
        typer.echo(f"{user.name}\t{user.role.value}\t{state}\t{user.created_at}")


@users_app.command("disable")
def users_disable(name: Annotated[str, typer.Argument(help="The user to disable")]) -> None:
    """Stop a user signing in (their sessions end at their next request)."""
    users = _users()
    users.disable(name)
    console.print(f"disabled {name}")
