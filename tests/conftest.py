"""Fixtures and hooks shared by unit, integration and fault tests.

Every test that needs a real Kafka broker or PostgreSQL is marked ``integration`` here, in one
place, so ``-m "not integration"`` runs exactly the tests that need no network.

One session broker for every test that needs one (tests/integration and tests/faults share it:
one pytest process starts one broker), and a hub environment per test. The broker is secured
(SASL_SSL, SCRAM-SHA-512, ACLs): ``MASH_KAFKA_BOOTSTRAP`` if set, with ``MASH_SECRETS_DIR``
holding its CA and every principal's password, else the project's own local Apache Kafka. Each
test gets its own topic prefix, consumer group and database, and its own topics and ACLs,
created by the admin set-up step.
"""

from __future__ import annotations

import os
import signal
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mash.access import set_up
from mash.broker import LocalBroker
from plumbing.settings import BrokerSettings, WorkerSettings
from tests.integration.hub import settings_from

__all__ = ["POSTGRES_URL", "SecuredBroker", "free_port"]

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


POSTGRES_URL = os.environ.get(
    "MASH_TEST_POSTGRES_URL", "postgresql://mash:mash@127.0.0.1:5432/mash_test"
)


@dataclass(frozen=True)
class SecuredBroker:
    """Where the session's broker is, and the folder of its CA and principals' passwords."""

    bootstrap: str
    secrets_dir: Path
    local: LocalBroker | None = None
    """The project's own broker, which a fault test may kill and start again; None if external."""


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecuredBroker]:
    """A real, secured Apache Kafka broker."""
    signal.signal(signal.SIGTERM, _interrupt)  # a killed test run still stops its broker
    if os.environ.get("MASH_KAFKA_BOOTSTRAP"):
        secrets = os.environ.get("MASH_SECRETS_DIR")
        if not secrets:
            pytest.fail("MASH_KAFKA_BOOTSTRAP is set: set MASH_SECRETS_DIR to its secrets too")
        yield SecuredBroker(os.environ["MASH_KAFKA_BOOTSTRAP"], Path(secrets))
        return
    settings = BrokerSettings(
        home=tmp_path_factory.mktemp("broker"),
        broker_port=free_port(),
        controller_port=free_port(),
        partitions=4,
    )
    broker = LocalBroker(settings)
    broker.start()
    try:
        yield SecuredBroker(broker.bootstrap, settings.secrets_path, broker)
    finally:
        broker.stop()


@pytest.fixture(scope="session")
def kafka_bootstrap(kafka_broker: SecuredBroker) -> str:
    """The bootstrap address of the session's broker."""
    return kafka_broker.bootstrap


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database of each kind the hub supports."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'hub.db'}"
        return
    import psycopg

    name = f"mash_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at MASH_TEST_POSTGRES_URL ({exc}); "
            "`bash deploy/setup.sh --for-tests` installs and starts it"
        )
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_URL.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def hub_env(kafka_broker: SecuredBroker, tmp_path: Path) -> dict[str, str]:
    """Environment for hub processes of one test: its own topics, group, ports and state, the
    broker's secrets (each process picks its own principal), topics and ACLs in place."""
    tag = uuid.uuid4().hex[:8]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MASH_")}
    env.update(
        {
            "MASH_KAFKA_BOOTSTRAP": kafka_broker.bootstrap,
            "MASH_SECRETS_DIR": str(kafka_broker.secrets_dir),
            "MASH_TOPIC_PREFIX": f"t{tag}",
            "MASH_APP_ID": f"hub-{tag}",
            "MASH_HOME": str(tmp_path / "mash"),
            "MASH_WEB_PORT": str(free_port()),
            "MASH_LOG_FORMAT": "json",
            "MASH_LOG_LEVEL": "INFO",
        }
    )
    set_up(settings_from(env, WorkerSettings))
    return env
