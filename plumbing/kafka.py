"""Small Kafka helpers on kafka-python: topic creation, consumer lag, reading a topic back."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass

from kafka import KafkaConsumer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from plumbing.settings import CommonSettings

__all__ = [
    "Record",
    "consumer_lag",
    "ensure_topics",
    "group_is_stable",
    "read_topic",
]

# Faust's group members carry its own assignor's metadata, which kafka-python's admin client
# cannot decode; it warns (with the whole payload) on every describe. The state is all we read.
logging.getLogger("kafka.admin._groups").setLevel(logging.ERROR)


def ensure_topics(
    settings: CommonSettings, names: Iterable[str], partitions: int | None = None
) -> None:
    """Create the topics that do not exist yet (with the hub's partition count by default)."""
    admin = KafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    try:
        existing = set(admin.list_topics())
        wanted = [
            NewTopic(n, partitions or settings.partitions, 1) for n in names if n not in existing
        ]
        if wanted:
            # another process may create one between our look and our create
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics(wanted)
    finally:
        admin.close()


def consumer_lag(settings: CommonSettings, group: str, topics: Iterable[str]) -> int:
    """Messages on ``topics`` that consumer ``group`` has not yet committed past."""
    consumer = KafkaConsumer(
        bootstrap_servers=settings.bootstrap_servers, group_id=group, enable_auto_commit=False
    )
    try:
        tps = [
            TopicPartition(t, p)
            for t in topics
            for p in sorted(consumer.partitions_for_topic(t) or ())
        ]
        ends = consumer.end_offsets(tps)
        return sum(ends[tp] - (consumer.committed(tp) or 0) for tp in tps)
    finally:
        consumer.close()


@dataclass(frozen=True)
class Record:
    """One record read back from a topic."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: dict[str, bytes]


def read_topic(settings: CommonSettings, topic: str, idle_s: float = 2.0) -> list[Record]:
    """Every record now on ``topic``, from the beginning (stops once the end is reached)."""
    consumer = KafkaConsumer(
        bootstrap_servers=settings.bootstrap_servers,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    try:
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        ends = consumer.end_offsets(tps)
        records: list[Record] = []
        deadline = time.monotonic() + idle_s + 30
        while any(consumer.position(tp) < ends[tp] for tp in tps):
            if time.monotonic() > deadline:
                raise TimeoutError(f"could not read {topic} to its end")
            for batch in consumer.poll(timeout_ms=500).values():
                records += [
                    Record(
                        m.topic, m.partition, m.offset, m.key, m.value, {k: v for k, v in m.headers}
                    )
                    for m in batch
                ]
        return records
    finally:
        consumer.close()


def group_is_stable(settings: CommonSettings, group: str) -> bool:
    """True once consumer ``group`` has members and has finished rebalancing."""
    admin = KafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    try:
        description = admin.describe_groups([group]).get(group, {})
    except KafkaError as exc:
        if exc.retriable:  # e.g. no group coordinator yet on a brand-new broker
            return False
        raise
    finally:
        admin.close()
    return bool(description.get("group_state") == "Stable" and description.get("members"))
