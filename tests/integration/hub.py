"""Helpers for integration tests: settings from a test's environment, publishing raw bytes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeVar

from kafka import KafkaProducer

from plumbing.kafka import credentials, kafka_python_config
from plumbing.settings import CommonSettings

S = TypeVar("S", bound=CommonSettings)


def settings_from(env: Mapping[str, str], cls: type[S]) -> S:
    """The settings a hub process started with ``env`` would read."""
    fields = {k.removeprefix("MASH_").lower(): v for k, v in env.items() if k.startswith("MASH_")}
    return cls(**fields)


def admin(settings: S) -> S:
    """The test harness's view: the super user, who reads and writes any topic."""
    return settings.as_principal("admin")


def send_raw(
    settings: CommonSettings, topic: str, messages: Sequence[tuple[bytes | None, bytes]]
) -> None:
    """Publish (key, value) pairs as they are, bypassing the publisher's validation."""
    producer = KafkaProducer(
        **kafka_python_config(credentials(admin(settings))),
        acks="all",
        enable_idempotence=True,
        linger_ms=10,
    )
    try:
        futures = [producer.send(topic, key=k, value=v) for k, v in messages]
        producer.flush(timeout=60)
        for future in futures:
            future.get(timeout=30)
    finally:
        producer.close()
