"""`mash credentials`: a principal's client properties, and password rotation."""

from __future__ import annotations

from typing import Annotated

import typer

from mash.commands.settings import load_settings
from mash.console import console
from plumbing.settings import BrokerSettings

__all__ = ["credentials_app"]

credentials_app = typer.Typer(
    help="Kafka credentials of the local principals.", no_args_is_help=True
)

Name = Annotated[str, typer.Argument(help="The principal, e.g. police, hub, sinks, admin")]


@credentials_app.command("show")
def credentials_show(name: Name) -> None:
    """Print the principal's client properties (key=value), to configure an agency's own
    system: they include its password, so send them as a secret."""
    from plumbing.kafka import credentials

    _known(name)
    creds = credentials(load_settings(BrokerSettings).as_principal(name))
    lines = {
        "bootstrap.servers": creds.bootstrap,
        "security.protocol": creds.protocol,
        "sasl.mechanism": creds.mechanism,
        "sasl.username": creds.username,
        "sasl.password": creds.password,
        "ssl.ca.location": creds.ca_file,
    }
    for key, value in lines.items():
        if value:
            print(f"{key}={value}")


@credentials_app.command("rotate")
def credentials_rotate(name: Name) -> None:
    """Give the principal a new random password, on the broker and in its secret file."""
    from mash.access import rotate_password

    _known(name)
    settings = load_settings(BrokerSettings)
    rotate_password(settings, name)
    console.print(f"New password for {name} in {settings.secrets_path / (name + '.password')}")


@credentials_app.command("init")
def credentials_init() -> None:
    """Create, where missing, a CA, a broker certificate (localhost, 127.0.0.1, kafka) and
    every principal's password in MASH_SECRETS_DIR: the Docker secrets of docker-compose.yml
    (`mash broker start` makes its own)."""
    from mash.broker import PRINCIPALS
    from mash.local_secrets import BrokerTls, ensure_password

    secrets = load_settings(BrokerSettings).secrets_path
    BrokerTls(secrets).ensure()
    for name in PRINCIPALS:
        ensure_password(secrets, name)
    console.print(f"CA, broker certificate and {len(PRINCIPALS)} passwords in {secrets}")


def _known(name: str) -> None:
    from mash.broker import PRINCIPALS

    if name not in PRINCIPALS:
        console.print(f"[red]error:[/red] no principal {name!r}; one of {', '.join(PRINCIPALS)}")
        raise typer.Exit(2)
