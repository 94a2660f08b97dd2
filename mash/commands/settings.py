"""A command's settings: read once from the environment, a bad value told in one clear line."""

from __future__ import annotations

from typing import TypeVar

from plumbing.files import private_home
from plumbing.logs import configure_logging, log_file_for
from plumbing.settings import (
    BrokerSettings,
    ConsoleSettings,
    DashboardSettings,
    PublisherSettings,
    SinkSettings,
    WorkerSettings,
)

__all__ = ["load_settings"]

S = TypeVar(
    "S",
    BrokerSettings,
    ConsoleSettings,
    DashboardSettings,
    PublisherSettings,
    SinkSettings,
    WorkerSettings,
)


def load_settings(cls: type[S], log_to: str | None = None) -> S:
    """The deployable's settings from ``MASH_*`` variables, with logging configured by them
    and ``$MASH_HOME`` private (0700); `ConfigError` naming every bad variable if any is bad.

    A command that draws progress names ``log_to``: it logs to ``<home>/logs/<log_to>.log``
    (or ``MASH_LOG_FILE``), rotated, never to the terminal."""
    from pydantic import ValidationError

    from plumbing.errors import ConfigError

    try:
        settings = cls()
    except ValidationError as exc:
        problems = "; ".join(
            f"MASH_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"bad setting: {problems}") from None
    private_home(settings.home)
    configure_logging(settings, log_file_for(settings, log_to) if log_to else None)
    return settings
