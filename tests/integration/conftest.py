"""One session broker for every integration test, and a hub environment per test.

The broker is ``MASH_KAFKA_BOOTSTRAP`` if set, else a testcontainers Kafka where a Docker
engine answers, else the project's own local Apache Kafka (what runs on a machine with no
Docker). Each test gets its own topic prefix, consumer group and database.
"""

from __future__ import annotations

import os
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from mash.broker import LocalBroker
from plumbing.settings import BrokerSettings
from tests.conftest import free_port

POSTGRES_URL = os.environ.get(
    "MASH_TEST_POSTGRES_URL", "postgresql://mash:mash@127.0.0.1:5432/mash_test"
)


def _docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
    except Exception:  # no engine, no socket, no permission: all mean "no Docker here"
        return False
    return True


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The bootstrap address of a real Apache Kafka broker."""
    signal.signal(signal.SIGTERM, _interrupt)  # a killed test run still stops its broker
    if os.environ.get("MASH_KAFKA_BOOTSTRAP"):
        yield os.environ["MASH_KAFKA_BOOTSTRAP"]
    elif _docker_answers():
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer("apache/kafka:4.1.1").with_kraft() as kafka:
            yield kafka.get_bootstrap_server()
    else:
        settings = BrokerSettings(
            home=tmp_path_factory.mktemp("broker"),
            broker_port=free_port(),
            controller_port=free_port(),
            partitions=4,
        )
        broker = LocalBroker(settings)
        broker.start()
        try:
            yield broker.bootstrap
        finally:
            broker.stop()


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
def hub_env(kafka_bootstrap: str, tmp_path: Path) -> dict[str, str]:
    """Environment for hub processes of one test: its own topics, group, ports and state."""
    tag = uuid.uuid4().hex[:8]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MASH_")}
    env.update(
        {
            "MASH_KAFKA_BOOTSTRAP": kafka_bootstrap,
            "MASH_TOPIC_PREFIX": f"t{tag}",
            "MASH_APP_ID": f"hub-{tag}",
            "MASH_HOME": str(tmp_path / "mash"),
            "MASH_WEB_PORT": str(free_port()),
            "MASH_LOG_FORMAT": "json",
            "MASH_LOG_LEVEL": "INFO",
        }
    )
    return env
