"""`mash bench recovery --broker`: the linkage table's changelog read back from a real broker.

What the in-process recovery bench leaves out: before a worker restores, Faust reads the
table's changelog (a compacted topic) from the broker into its store. Here the table's
entries are written to a compacted topic of the project's own local broker (started for the
run in a temporary home, on free ports, and stopped after it) and read back from the
beginning with aiokafka, the consumer library the worker uses, with Faust's fetch size.
"""

from __future__ import annotations

import asyncio
import socket
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from aiokafka import (
    AIOKafkaConsumer,
    AIOKafkaProducer,
    TopicPartition,
)

from mash.broker import LocalBroker
from mash.console import console
from plumbing.kafka import credentials, ensure_topics, ssl_context
from plumbing.settings import BrokerSettings

__all__ = ["ChangelogFigures", "bench_changelog"]

_TOPIC = "bench.hub-records-changelog"
_FETCH_BYTES = 1024**2
"""Faust's ``consumer_max_fetch_size`` by default (the hub's recovery fetches
``MASH_FETCH_PARTITION_BYTES``, 8 MiB, its streams ``MASH_STREAM_FETCH_PARTITION_BYTES``)."""


@dataclass(frozen=True)
class ChangelogFigures:
    """What one read of the changelog measured."""

    entries: int
    megabytes: float
    write_s: float
    read_s: float
    read_cpu_s: float

    @property
    def entries_per_s(self) -> float:
        """Entries read back a second (wall)."""
        return self.entries / self.read_s


def bench_changelog(table: dict[str, bytes]) -> ChangelogFigures:
    """Write ``table`` to a compacted topic of a local broker started for the run, read it
    back from the beginning, and print and return the figures."""
    with _local_broker() as settings:
        ensure_topics(settings, [_TOPIC], partitions=1, configs={"cleanup.policy": "compact"})
        write_s = asyncio.run(_write(settings, table))
        read_s, read_cpu_s, got = asyncio.run(_read(settings))
    if got != len(table):
        raise RuntimeError(f"read {got} changelog entries back, wrote {len(table)}")
    size = sum(len(k) + len(v) for k, v in table.items()) / 1e6
    figures = ChangelogFigures(len(table), size, write_s, read_s, read_cpu_s)
    console.print(
        f"changelog on the broker: {figures.entries:,} entries ({size:,.0f} MB) written in "
        f"{write_s:.1f} s; read back in {read_s:.2f} s ({read_cpu_s:.2f} s of CPU in this "
        f"process), {figures.entries_per_s:,.0f} entries/s"
    )
    return figures


@contextmanager
def _local_broker() -> Iterator[BrokerSettings]:
    """The project's broker in a temporary home on free ports, as the admin principal."""
    with tempfile.TemporaryDirectory(prefix="mash-bench-changelog-") as home:
        broker_port, controller_port = _free_port(), _free_port()
        settings = BrokerSettings(
            home=Path(home),
            broker_port=broker_port,
            controller_port=controller_port,
            partitions=1,
            kafka_username="admin",
        )
        broker = LocalBroker(settings)
        broker.start()
        try:
            yield settings
        finally:
            broker.stop()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _auth(settings: BrokerSettings) -> dict[str, object]:
    creds = credentials(settings)
    return {
        "bootstrap_servers": creds.bootstrap,
        "security_protocol": creds.protocol,
        "sasl_mechanism": creds.mechanism,
        "sasl_plain_username": creds.username,
        "sasl_plain_password": creds.password,
        "ssl_context": ssl_context(creds),
    }


async def _write(settings: BrokerSettings, table: dict[str, bytes]) -> float:
    """Every entry to the topic, keyed by its table key (as Faust's changelog is)."""
    started = time.perf_counter()
    producer = AIOKafkaProducer(**_auth(settings), linger_ms=50, max_batch_size=1024**2)
    await producer.start()
    try:
        for key, value in table.items():
            await producer.send(_TOPIC, value, key=key.encode())
        await producer.flush()
    finally:
        await producer.stop()
    return time.perf_counter() - started


async def _read(settings: BrokerSettings) -> tuple[float, float, int]:
    """The topic read from the beginning to its end: wall and CPU seconds, entries."""
    part = TopicPartition(_TOPIC, 0)
    consumer = AIOKafkaConsumer(
        **_auth(settings),
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=_FETCH_BYTES,
    )
    await consumer.start()
    try:
        consumer.assign([part])
        end = (await consumer.end_offsets([part]))[part]
        started, cpu, got, position = time.perf_counter(), time.process_time(), 0, 0
        await consumer.seek_to_beginning(part)
        while position < end:
            batch = await consumer.getmany(part, timeout_ms=1000)
            for message in batch.get(part, []):
                got += 1
                position = message.offset + 1
        return time.perf_counter() - started, time.process_time() - cpu, got
    finally:
        await consumer.stop()
