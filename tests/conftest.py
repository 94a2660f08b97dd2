"""Fixtures and hooks shared by unit and integration tests.

Every test that needs a real Kafka broker or PostgreSQL is marked ``integration`` here, in one
place, so ``-m "not integration"`` runs exactly the tests that need no network.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

__all__ = ["free_port"]

INTEGRATION = Path(__file__).parent / "integration"
BROKER_FIXTURES = frozenset({"kafka_broker", "kafka_bootstrap", "hub_env"})
"""Fixtures that start (or name) a real Kafka broker."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _needs_a_server(item: pytest.Item) -> bool:
    """Whether the test needs a Kafka broker or PostgreSQL: it lives under tests/integration,
    or uses a broker fixture, or the PostgreSQL case of ``database_url``."""
    callspec = getattr(item, "callspec", None)
    return (
        item.path.is_relative_to(INTEGRATION)
        or not BROKER_FIXTURES.isdisjoint(getattr(item, "fixturenames", ()))
        or (callspec is not None and callspec.params.get("database_url") == "postgresql")
    )


@pytest.hookimpl(tryfirst=True)  # before ``-m`` deselects anything
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that needs a broker or a database server ``integration``."""
    for item in items:
        if _needs_a_server(item):
            item.add_marker(pytest.mark.integration)
