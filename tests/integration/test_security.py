"""The broker is secured by default: TLS and SCRAM on the only client port, and each principal
may do only what its ACLs allow (issue 12)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, NewTopic
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import TopicAuthorizationFailedError
from pydantic import SecretStr

from plumbing.errors import KafkaAccessError
from plumbing.kafka import confluent_config, credentials, kafka_python_config
from plumbing.settings import PublisherSettings, WorkerSettings
from producers.publisher import Publisher
from schemas.contracts import AGENCY_CONTRACTS, LINK, POLICE_NOTIFICATION
from simulation.samples import write_sample
from tests.integration.hub import send_raw, settings_from

HEALTH = next(c for c in AGENCY_CONTRACTS if c.topic.startswith("health."))


def _as(env: dict[str, str], principal: str, **changes: Any) -> WorkerSettings:
    return settings_from(env, WorkerSettings).as_principal(principal).model_copy(update=changes)


def _refused(config: dict[str, Any]) -> None:
    admin = AdminClient({**config, "socket.timeout.ms": 5000})
    with pytest.raises(KafkaException):
        admin.list_topics(timeout=8)


def test_a_client_without_credentials_is_refused(hub_env: dict[str, str]) -> None:
    config = confluent_config(credentials(_as(hub_env, "police")))
    for key in ("sasl.mechanisms", "sasl.username", "sasl.password"):
        config.pop(key)
    _refused({**config, "security.protocol": "SSL"})


def test_a_wrong_password_is_refused(hub_env: dict[str, str]) -> None:
    wrong = _as(hub_env, "police", kafka_password=SecretStr("not-the-password"))
    _refused(confluent_config(credentials(wrong)))


def test_plaintext_on_the_client_port_is_refused(hub_env: dict[str, str]) -> None:
    _refused({"bootstrap.servers": hub_env["MASH_KAFKA_BOOTSTRAP"]})


def _producer(settings: WorkerSettings, idempotent: bool = True) -> KafkaProducer:
    return KafkaProducer(
        **kafka_python_config(credentials(settings)),
        acks="all",
        enable_idempotence=idempotent,
        max_block_ms=10_000,
    )


def test_police_cannot_write_a_health_topic(hub_env: dict[str, str]) -> None:
    police = _as(hub_env, "police")
    producer = _producer(police)
    try:
        own = producer.send(police.topic(POLICE_NOTIFICATION.topic), key=b"k", value=b"v")
        own.get(timeout=30)  # its own topic: allowed
        with pytest.raises(TopicAuthorizationFailedError):
            producer.send(police.topic(HEALTH.topic), key=b"k", value=b"v").get(timeout=30)
    finally:
        producer.close(timeout=5)


def test_police_cannot_read_any_topic_even_its_own(hub_env: dict[str, str]) -> None:
    police = _as(hub_env, "police")
    own, others = (
        police.topic(POLICE_NOTIFICATION.topic),
        [police.topic(HEALTH.topic), police.topic(LINK.topic)],
    )
    for topic in (own, *others):
        send_raw(settings_from(hub_env, WorkerSettings), topic, [(b"k", b"to read")])
    consumer = KafkaConsumer(
        **kafka_python_config(credentials(police)), auto_offset_reset="earliest"
    )
    try:
        assert set(others).isdisjoint(consumer.topics())  # not even their names
        consumer.assign([TopicPartition(t, p) for t in (own, *others) for p in range(4)])
        deadline = time.monotonic() + 15
        with pytest.raises(TopicAuthorizationFailedError):  # its own: described, never read
            while time.monotonic() < deadline:
                assert not consumer.poll(timeout_ms=500)
        consumer.assign([TopicPartition(t, p) for t in others for p in range(4)])
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            assert not consumer.poll(timeout_ms=500)
    finally:
        consumer.close()


def test_sinks_cannot_write(hub_env: dict[str, str]) -> None:
    sinks = _as(hub_env, "sinks")
    producer = _producer(sinks, idempotent=False)
    try:
        with pytest.raises(TopicAuthorizationFailedError):
            producer.send(sinks.topic(LINK.topic), key=b"k", value=b"v").get(timeout=30)
    finally:
        producer.close(timeout=5)


def test_an_agency_cannot_create_topics(hub_env: dict[str, str]) -> None:
    police = _as(hub_env, "police")
    admin = AdminClient(confluent_config(credentials(police)))
    futures = admin.create_topics([NewTopic(police.topic("police.invented"), 1, 1)])
    with pytest.raises(KafkaException) as refused:
        futures[police.topic("police.invented")].result(timeout=30)
    assert refused.value.args[0].code() == KafkaError.TOPIC_AUTHORIZATION_FAILED


def test_publishing_to_topics_not_set_up_fails_in_one_line(
    hub_env: dict[str, str], tmp_path: Path
) -> None:
    settings = settings_from({**hub_env, "MASH_TOPIC_PREFIX": "nosetup"}, PublisherSettings)
    start, end = dt.date(2012, 4, 1), dt.date(2013, 4, 1)
    export = write_sample("police", tmp_path / "police.csv", 3, 1, start, end).path
    publisher = Publisher(settings)
    try:
        with pytest.raises(KafkaAccessError, match=r"^topic nosetup\.police\.notifications does"):
            publisher.publish_file("police", export)
    finally:
        publisher.close()


def _mash(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mash.cli", *args],
        env=env,
        text=True,
        capture_output=True,
        timeout=120,
        check=False,
    )


def test_credentials_show_and_rotate(hub_env: dict[str, str]) -> None:
    shown = _mash(hub_env, "credentials", "show", "console")
    assert shown.returncode == 0, shown.stderr
    props = dict(line.split("=", 1) for line in shown.stdout.splitlines())
    assert props["security.protocol"] == "SASL_SSL"
    assert props["sasl.mechanism"] == "SCRAM-SHA-512"
    assert props["sasl.username"] == "console"
    assert props["bootstrap.servers"] == hub_env["MASH_KAFKA_BOOTSTRAP"]
    assert Path(props["ssl.ca.location"]).exists()
    rotated = _mash(hub_env, "credentials", "rotate", "console")
    assert rotated.returncode == 0, rotated.stderr
    new = _as(hub_env, "console")
    assert credentials(new).password != props["sasl.password"]
    AdminClient(confluent_config(credentials(new))).list_topics(timeout=20)
    old = new.model_copy(update={"kafka_password": SecretStr(props["sasl.password"])})
    _refused(confluent_config(credentials(old)))
