"""Small Kafka helpers on kafka-python: each client library's connection settings (TLS and
SCRAM, from one place), topic creation and checks, consumer lag, reading a topic back."""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kafka import KafkaConsumer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from plumbing.errors import KafkaAccessError, KafkaUnreachable
from plumbing.logs import get_logger
from plumbing.settings import CommonSettings

__all__ = [
    "KafkaCredentials",
    "LagWatch",
    "Record",
    "confluent_config",
    "consumer_lag",
    "credentials",
    "ensure_topics",
    "group_is_stable",
    "kafka_python_config",
    "missing_topics",
    "partition_ends",
    "partition_lags",
    "read_at",
    "read_ranges",
    "read_topic",
    "require_topics",
    "ssl_context",
    "wait_for_kafka",
]

log = get_logger(__name__)

# Faust's group members carry its own assignor's metadata, which kafka-python's admin client
# cannot decode; it warns (with the whole payload) on every describe. The state is all we read.
logging.getLogger("kafka.admin._groups").setLevel(logging.ERROR)


@dataclass(frozen=True)
class KafkaCredentials:
    """How one process connects: the protocol and, over SASL_SSL, who it is and whom it trusts.

    ``repr`` never shows the password."""

    bootstrap: str
    protocol: str
    mechanism: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_file: Path | None = None


def credentials(settings: CommonSettings) -> KafkaCredentials:
    """The connection ``settings`` describe; `KafkaAccessError` if SASL_SSL lacks a username
    or a readable password (a process must name its principal: nothing connects by default)."""
    if settings.kafka_security_protocol == "PLAINTEXT":
        _warn_plaintext(settings.bootstrap_servers)
        return KafkaCredentials(settings.bootstrap_servers, "PLAINTEXT", "")
    user = settings.kafka_username
    if user is None:
        raise KafkaAccessError("no Kafka principal: set MASH_KAFKA_USERNAME")
    ca = settings.kafka_ca_file or settings.secrets_path / "ca.pem"
    if settings.kafka_ca_file is not None and not settings.kafka_ca_file.is_file():
        raise KafkaAccessError(
            f"MASH_KAFKA_CA_FILE: {settings.kafka_ca_file} is not a readable file (the CA "
            "that signed the brokers' certificates)"
        )
    return KafkaCredentials(
        settings.bootstrap_servers,
        "SASL_SSL",
        settings.kafka_sasl_mechanism,
        user,
        _password(settings, user),
        ca if settings.kafka_ca_file or ca.exists() else None,
    )


def _password(settings: CommonSettings, user: str) -> str:
    if settings.kafka_password is not None:
        return settings.kafka_password.get_secret_value()
    path = settings.kafka_password_file or settings.secrets_path / f"{user}.password"
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise KafkaAccessError(
            f"no password for Kafka principal {user!r}: {path} cannot be read "
            f"({exc.strerror}); set MASH_KAFKA_PASSWORD_FILE or MASH_SECRETS_DIR"
        ) from None


_warned: set[str] = set()


def _warn_plaintext(bootstrap: str) -> None:
    if bootstrap not in _warned:
        _warned.add(bootstrap)
        log.warning(
            "kafka.plaintext",
            bootstrap=bootstrap,
            reason="MASH_KAFKA_SECURITY_PROTOCOL=PLAINTEXT: no TLS, no authentication",
        )


def kafka_python_config(creds: KafkaCredentials) -> dict[str, Any]:
    """Keyword arguments for kafka-python's clients."""
    config: dict[str, Any] = {
        "bootstrap_servers": creds.bootstrap,
        "security_protocol": creds.protocol,
    }
    if creds.protocol == "SASL_SSL":
        config |= {
            "sasl_mechanism": creds.mechanism,
            "sasl_plain_username": creds.username,
            "sasl_plain_password": creds.password,
            "ssl_cafile": str(creds.ca_file) if creds.ca_file else None,
        }
    return config


def confluent_config(creds: KafkaCredentials) -> dict[str, Any]:
    """Configuration properties for confluent-kafka's (librdkafka's) clients."""
    config: dict[str, Any] = {
        "bootstrap.servers": creds.bootstrap,
        "security.protocol": creds.protocol,
    }
    if creds.protocol == "SASL_SSL":
        config |= {
            "sasl.mechanisms": creds.mechanism,
            "sasl.username": creds.username,
            "sasl.password": creds.password,
        }
        if creds.ca_file:
            config["ssl.ca.location"] = str(creds.ca_file)
    return config


def ssl_context(creds: KafkaCredentials) -> ssl.SSLContext:
    """A TLS context that verifies the brokers against ``creds``' CA (for aiokafka/Faust)."""
    return ssl.create_default_context(cafile=str(creds.ca_file) if creds.ca_file else None)


def ensure_topics(
    settings: CommonSettings,
    names: Iterable[str],
    partitions: int | None = None,
    configs: dict[str, str] | None = None,
) -> None:
    """Create the topics that do not exist yet (with the hub's partition count by default,
    and ``configs``, e.g. ``cleanup.policy=compact``)."""
    admin = KafkaAdminClient(**kafka_python_config(credentials(settings)))
    try:
        existing = set(admin.list_topics())
        wanted = [
            NewTopic(n, partitions or settings.partitions, 1, topic_configs=configs or {})
            for n in names
            if n not in existing
        ]
        if wanted:
            # another process may create one between our look and our create
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics(wanted)
    finally:
        admin.close()


def wait_for_kafka(settings: CommonSettings) -> None:
    """Return once a bootstrap server accepts a connection; `KafkaUnreachable` in one line
    after ``connect_timeout_s`` (the clients would otherwise retry for half a minute)."""
    servers = [s.strip().rpartition(":") for s in settings.bootstrap_servers.split(",")]
    deadline = time.monotonic() + settings.connect_timeout_s
    while True:
        for host, _, port in servers:
            left = deadline - time.monotonic()
            with contextlib.suppress(OSError, ValueError):
                socket.create_connection((host.strip("[]"), int(port)), max(left, 0.1)).close()
                return
        if time.monotonic() >= deadline:
            raise KafkaUnreachable(
                f"no Kafka at {settings.bootstrap_servers} — run 'mash broker start' "
                "or set MASH_KAFKA_BOOTSTRAP"
            )
        time.sleep(0.25)


def missing_topics(settings: CommonSettings, names: Iterable[str]) -> list[str]:
    """Those of ``names`` that do not exist, or that this principal may not see
    (`KafkaUnreachable` if no Kafka answers within the connect timeout)."""
    wait_for_kafka(settings)
    consumer = KafkaConsumer(**kafka_python_config(credentials(settings)), enable_auto_commit=False)
    try:
        existing = consumer.topics()
    finally:
        consumer.close()
    return [n for n in names if n not in existing]


def require_topics(settings: CommonSettings, names: Iterable[str]) -> None:
    """`KafkaAccessError` in one line unless every one of ``names`` exists (processes other
    than the set-up step cannot create topics)."""
    missing = missing_topics(settings, names)
    if missing:
        raise KafkaAccessError(
            f"topic {missing[0]} does not exist (or {settings.kafka_username} may not see it); "
            f"an administrator creates the topics with `mash broker setup`"
            + (f" ({len(missing)} missing)" if len(missing) > 1 else "")
        )


def consumer_lag(settings: CommonSettings, group: str, topics: Iterable[str]) -> int:
    """Messages on ``topics`` that consumer ``group`` has not yet committed past."""
    with LagWatch(settings) as watch:
        return watch.lag(group, topics)


def partition_lags(
    settings: CommonSettings, group: str, topics: Iterable[str]
) -> dict[tuple[str, int], int]:
    """(topic, partition) -> messages consumer ``group`` has not yet committed past, for the
    partitions of ``topics`` with any."""
    with LagWatch(settings) as watch:
        return watch.partition_lags(group, topics)


class LagWatch:
    """Consumer groups' lag, read over one consumer (the partitions' ends) and one admin
    client (the groups' committed offsets, one request) held open between looks. A look
    through new clients (a TLS handshake and SCRAM each, a request per partition) cost
    about 0.4 s of CPU and 1.3 s here for the hub's two groups, so a wait that looked every
    0.2 s took a quarter of a core from the worker it waited for (measured 2026-12-06)."""

    def __init__(self, settings: CommonSettings) -> None:
        config = kafka_python_config(credentials(settings))
        self._consumer = KafkaConsumer(**config, enable_auto_commit=False)
        try:
            self._admin = KafkaAdminClient(**config)
        except BaseException:
            self._consumer.close()
            raise
        self._partitions: dict[str, list[TopicPartition]] = {}

    def __enter__(self) -> LagWatch:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        try:
            self._admin.close()
        finally:
            self._consumer.close()

    def lag(self, group: str, topics: Iterable[str]) -> int:
        """Messages on ``topics`` that consumer ``group`` has not yet committed past."""
        return sum(self.partition_lags(group, topics).values())

    def partition_lags(self, group: str, topics: Iterable[str]) -> dict[tuple[str, int], int]:
        """(topic, partition) -> messages ``group`` has not yet committed past, for the
        partitions of ``topics`` with any."""
        tps = [tp for topic in topics for tp in self._of(topic)]
        if not tps:
            return {}
        deadline = time.monotonic() + 30
        while True:  # asked again while the broker says to, as a consumer's own fetch is
            try:
                return self._look(group, tps)
            except (KafkaError, KeyError) as exc:
                # KeyError: kafka-python's end_offsets lacking a partition it had to ask
                # again for (seen once in a wait of 90,000 events, 2026-12-06)
                retriable = isinstance(exc, KeyError) or exc.retriable
                if not retriable or time.monotonic() >= deadline:
                    raise
                time.sleep(0.2)

    def _look(self, group: str, tps: list[TopicPartition]) -> dict[tuple[str, int], int]:
        """One look at ``tps``' ends and ``group``'s committed offsets on them (no group
        coordinator yet on a new broker, or one loading its offsets: retriable)."""
        ends = self._consumer.end_offsets(tps)
        found: dict[str, dict[TopicPartition, Any]] = self._admin.list_group_offsets({group: tps})
        committed = found.get(group, {})
        lags = {}
        for tp in tps:
            done = committed.get(tp)
            lag = ends[tp] - (done.offset if done is not None and done.offset > 0 else 0)
            if lag > 0:
                lags[(tp.topic, tp.partition)] = lag
        return lags

    def _of(self, topic: str) -> list[TopicPartition]:
        """The partitions of ``topic`` (kept once known: a topic's count does not shrink)."""
        if topic not in self._partitions:
            found = self._consumer.partitions_for_topic(topic) or ()
            if not found:
                return []  # not there yet, or not visible: asked again next look
            self._partitions[topic] = [TopicPartition(topic, p) for p in sorted(found)]
        return self._partitions[topic]


@dataclass(frozen=True)
class Record:
    """One record read back from a topic."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: dict[str, bytes]


def read_at(
    settings: CommonSettings, positions: Iterable[tuple[str, int, int]], timeout_s: float = 10.0
) -> dict[tuple[str, int, int], Record]:
    """The records at ``positions`` (topic, partition, offset) that are still there (a
    position of no topic or partition, before the log's start, past its end, or compacted
    away is left out), read with one consumer."""
    wait_for_kafka(settings)
    consumer = KafkaConsumer(**kafka_python_config(credentials(settings)), enable_auto_commit=False)
    found: dict[tuple[str, int, int], Record] = {}
    try:
        for topic, partition, offset in sorted(set(positions)):
            if partition not in (consumer.partitions_for_topic(topic) or set()):
                continue
            tp = TopicPartition(topic, partition)
            consumer.assign([tp])
            if not consumer.beginning_offsets([tp])[tp] <= offset < consumer.end_offsets([tp])[tp]:
                continue
            consumer.seek(tp, offset)
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline:
                batch = consumer.poll(timeout_ms=500, max_records=1).get(tp, [])
                if not batch:
                    continue
                m = batch[0]
                if m.offset == offset:  # else compacted away: the next one came instead
                    headers = {k: v for k, v in m.headers}
                    found[topic, partition, offset] = Record(
                        topic, partition, offset, m.key, m.value, headers
                    )
                break
    finally:
        consumer.close()
    return found


def read_topic(settings: CommonSettings, topic: str, idle_s: float = 2.0) -> list[Record]:
    """Every record now on ``topic``, from the beginning (stops once the end is reached; gives
    up after half a minute without progress; none of a topic that does not exist).
    ``KafkaUnreachable`` if no Kafka answers within the connect timeout."""
    wait_for_kafka(settings)
    consumer = KafkaConsumer(
        **kafka_python_config(credentials(settings)),
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
                deadline = time.monotonic() + idle_s + 30  # progress: a loaded broker is slow
                records += [
                    Record(
                        m.topic, m.partition, m.offset, m.key, m.value, {k: v for k, v in m.headers}
                    )
                    for m in batch
                ]
        return records
    finally:
        consumer.close()


def partition_ends(
    settings: CommonSettings, topics: Iterable[str]
) -> dict[str, dict[int, tuple[int, int]]]:
    """Topic -> partition -> (its first offset, the offset after its last record), for those
    of ``topics`` that exist (one client for all: a worker asks this as it starts)."""
    consumer = KafkaConsumer(**kafka_python_config(credentials(settings)), enable_auto_commit=False)
    try:
        tps = [
            TopicPartition(t, p)
            for t in topics
            for p in sorted(consumer.partitions_for_topic(t) or ())
        ]
        firsts, ends = consumer.beginning_offsets(tps), consumer.end_offsets(tps)
        found: dict[str, dict[int, tuple[int, int]]] = {}
        for tp in tps:
            found.setdefault(tp.topic, {})[tp.partition] = (firsts[tp], ends[tp])
        return found
    finally:
        consumer.close()


def read_ranges(
    settings: CommonSettings,
    group: str,
    topic: str,
    ranges: Mapping[int, tuple[int, int]],
    idle_s: float = 30.0,
) -> Iterator[list[Record]]:
    """The records of ``topic`` in each partition's [start, end) of ``ranges``, in the batches
    one consume returns (no headers: a bulk read, by librdkafka, several times kafka-python's
    pace on large values). Partitions are assigned, not subscribed: ``group`` (one this
    principal may use) is neither joined nor committed to. ``TimeoutError`` after ``idle_s``
    without progress."""
    from confluent_kafka import Consumer, KafkaError, KafkaException
    from confluent_kafka import TopicPartition as Partition

    consumer = Consumer(
        {
            **confluent_config(credentials(settings)),
            "group.id": group,
            "enable.auto.commit": False,
            "enable.partition.eof": True,
            "queued.max.messages.kbytes": 65536,
            "logger": logging.getLogger("confluent_kafka"),  # where the hub's logs go
        }
    )
    try:
        left = {p: end for p, (start, end) in ranges.items() if start < end}
        consumer.assign([Partition(topic, p, ranges[p][0]) for p in left])
        deadline = time.monotonic() + idle_s
        while left:
            if time.monotonic() > deadline:  # only a partition still to read counts as progress
                raise TimeoutError(f"could not read {topic} to the offsets asked for")
            batch: list[Record] = []
            done: list[int] = []
            for m in consumer.consume(num_messages=20_000, timeout=0.5):
                p, offset, error = m.partition(), m.offset(), m.error()
                if error is not None and error.code() != KafkaError._PARTITION_EOF:
                    if error.fatal() or p in left:
                        raise KafkaException(error)
                    continue  # a client-wide, retriable report: librdkafka retries itself
                if p is None or offset is None or p not in left:
                    continue
                end = left[p]
                if error is None and offset < end:
                    batch.append(Record(topic, p, offset, m.key(), m.value(), {}))
                    deadline = time.monotonic() + idle_s
                if offset + (error is None) >= end:  # an end-of-partition mark: compaction gaps
                    del left[p]
                    done.append(p)
            if done:  # read no further there
                consumer.pause([Partition(topic, p) for p in done])
            if batch:
                yield batch
    finally:
        consumer.close()


def group_is_stable(settings: CommonSettings, group: str) -> bool:
    """True once consumer ``group`` has members and has finished rebalancing."""
    admin = KafkaAdminClient(**kafka_python_config(credentials(settings)))
    try:
        description = admin.describe_groups([group]).get(group, {})
    except KafkaError as exc:
        if exc.retriable:  # e.g. no group coordinator yet on a brand-new broker
            return False
        raise
    finally:
        admin.close()
    return bool(description.get("group_state") == "Stable" and description.get("members"))
