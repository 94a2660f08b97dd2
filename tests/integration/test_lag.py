"""Consumer lag read on the real, secured broker: by partition, per group, through clients held
open between looks (``plumbing.kafka.LagWatch``) and through the one-shot helpers."""

from __future__ import annotations

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.structs import OffsetAndMetadata

from plumbing.kafka import LagWatch, consumer_lag, credentials, kafka_python_config
from plumbing.settings import WorkerSettings
from tests.integration.hub import admin, settings_from


def _commit(settings: WorkerSettings, group: str, offsets: dict[TopicPartition, int]) -> None:
    consumer = KafkaConsumer(
        **kafka_python_config(credentials(settings)), group_id=group, enable_auto_commit=False
    )
    try:
        consumer.commit({tp: OffsetAndMetadata(n, "", -1) for tp, n in offsets.items()})
    finally:
        consumer.close()


def test_lag_by_partition_and_group_as_offsets_are_committed(hub_env: dict[str, str]) -> None:
    settings = admin(settings_from(hub_env, WorkerSettings))
    topic = settings.topic("police.notifications")
    sent = {0: 5, 1: 3}  # messages on partitions 0 and 1; none on the others
    producer = KafkaProducer(**kafka_python_config(credentials(settings)), acks="all")
    try:
        for partition, count in sent.items():
            for n in range(count):
                producer.send(topic, value=b"x%d" % n, partition=partition)
        producer.flush(timeout=60)
    finally:
        producer.close()
    p0, p1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
    with LagWatch(settings) as watch:
        assert watch.partition_lags("never-committed", [topic]) == {(topic, 0): 5, (topic, 1): 3}
        _commit(settings, "half", {p0: 2})
        assert watch.partition_lags("half", [topic]) == {(topic, 0): 3, (topic, 1): 3}
        assert watch.lag("half", [topic, settings.topic("no.such.topic")]) == 6
        _commit(settings, "half", {p0: 5, p1: 3})  # the same watch sees the commit
        assert watch.partition_lags("half", [topic]) == {}
        assert watch.lag("never-committed", [topic]) == 8  # groups apart
    assert consumer_lag(settings, "never-committed", [topic]) == 8
    assert consumer_lag(settings, "half", [topic]) == 0
