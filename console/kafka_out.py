"""What the console writes to Kafka, as its own principal (``console``): its access records
onto the audit topic (chain ``console``) with the chain's signed head, and the analysts'
actions as children's services events.

Every write waits for the broker's acknowledgement (acks=all, idempotent producer): an
identifiable page is returned only after its access record is on the topic, and an action is
confirmed only once published. If Kafka does not answer within the timeout the caller gets
`ConsoleUnavailable`, and the page or action is refused.
"""

from __future__ import annotations

import json
import threading
from typing import Protocol

from confluent_kafka import KafkaError, Message, Producer

from plumbing.errors import ConsoleUnavailable
from plumbing.kafka import confluent_config, credentials
from plumbing.settings import CommonSettings
from schemas.audit import ChainHead
from schemas.topics import AUDIT, AUDIT_HEADS

__all__ = ["CONSOLE_PRINCIPAL", "KafkaOut", "Out"]

CONSOLE_PRINCIPAL = "console"


class Out(Protocol):
    """Where the console's records go (Kafka in service; a recording double in unit tests)."""

    def audit(self, chain: str, record: str) -> None:
        """One audit record of ``chain``, acknowledged."""

    def head(self, chain: str, head: ChainHead) -> None:
        """The chain's signed head, acknowledged (after its records)."""

    def event(self, topic: str, key: bytes, value: bytes) -> None:
        """One framed event, acknowledged."""


class KafkaOut:
    """An idempotent acks=all producer as the ``console`` principal, waiting for each write."""

    def __init__(self, settings: CommonSettings, timeout_s: float = 5.0) -> None:
        self.settings = settings.as_principal(CONSOLE_PRINCIPAL)
        self.timeout_s = timeout_s
        self.producer = Producer(
            {
                **confluent_config(credentials(self.settings)),
                "acks": "all",
                "enable.idempotence": True,
                "linger.ms": 0,
                "message.timeout.ms": int(timeout_s * 1000),
            }
        )
        self._lock = threading.Lock()

    def audit(self, chain: str, record: str) -> None:
        self._send(self.settings.topic(AUDIT), chain.encode(), record.encode())

    def head(self, chain: str, head: ChainHead) -> None:
        # the form of a Faust heads table's changelog (JSON key and value): one reader for both
        key, value = json.dumps(chain).encode(), json.dumps(head.encode()).encode()
        self._send(self.settings.topic(AUDIT_HEADS), key, value)

    def event(self, topic: str, key: bytes, value: bytes) -> None:
        self._send(topic, key, value)

    def close(self) -> None:
        """Deliver what is pending (bounded by the timeout), then disconnect."""
        self.producer.flush(self.timeout_s)
        self.producer.close()

    def _send(self, topic: str, key: bytes, value: bytes) -> None:
        outcome: list[KafkaError | None] = []

        def delivered(error: KafkaError | None, _: Message) -> None:
            outcome.append(error)

        with self._lock:
            try:
                self.producer.produce(topic, value, key, on_delivery=delivered)
            except (BufferError, Exception) as exc:  # a full queue, an unknown topic
                raise ConsoleUnavailable(f"Kafka refused the write to {topic}: {exc}") from exc
            self.producer.flush(self.timeout_s + 1)
        if not outcome or outcome[0] is not None:
            why = outcome[0].str() if outcome and outcome[0] else "no acknowledgement in time"
            raise ConsoleUnavailable(f"Kafka did not take the write to {topic}: {why}")
